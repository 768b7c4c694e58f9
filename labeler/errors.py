"""Exceptions raised by voxcart.labeler; each message names the field, the value and the fix.

All derive from :class:`voxcart.datasets.errors.VoxcartError`, so that the CLI reports them as a
one-line reason and the app can show them as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voxcart.datasets.errors import VoxcartError

if TYPE_CHECKING:
    from voxcart.datasets.store.revisions import TranscriptView


class LabelerError(VoxcartError):
    """Base of the labeler's errors."""


class AccountError(LabelerError):
    """A username, password or role is invalid, or the username is taken."""


class InvalidCredentialsError(LabelerError):
    """Login failed; deliberately does not say whether the user or the password was wrong."""


class PermissionDeniedError(LabelerError):
    """The user's role does not allow the action (or the account is deactivated)."""


PermissionDenied = PermissionDeniedError
"""Short name used by the app's pages."""


class SubmitError(LabelerError):
    """A submitted annotation is invalid (bad status, missing skip reason, unknown clip)."""


class NothingToUndoError(SubmitError):
    """The user has no submitted revision left to undo."""


class StaleEditError(SubmitError):
    """Someone saved a newer revision of the clip since the editor loaded it.

    Attributes:
        clip_id: the clip being edited.
        base_revision_id: the revision the editor started from (None: no transcript yet).
        newer: the clip's newest revision, to show to the annotator before they retry.
    """

    def __init__(self, clip_id: int, base_revision_id: int | None, newer: TranscriptView) -> None:
        self.clip_id = clip_id
        self.base_revision_id = base_revision_id
        self.newer = newer
        who = f"user {newer.user_id}" if newer.user_id is not None else newer.source
        super().__init__(
            f"clip {clip_id} was changed by {who} (revision {newer.revision_id}) after you "
            f"loaded revision {base_revision_id}; review their text {newer.verbatim!r} and "
            f"submit again with base_revision_id={newer.revision_id}"
        )
