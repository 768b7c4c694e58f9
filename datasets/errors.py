"""Exceptions raised by voxcart.datasets; each message names the field, the value and the fix."""

from __future__ import annotations


class VoxcartError(Exception):
    """Base of every error voxcart reports to a user as a one-line reason."""


class VoxcartWarning(UserWarning):
    """Something a user should know that does not stop the work; the CLI prints it as one line
    ``voxcart: warning: ...`` on stderr."""


class ConfigError(VoxcartError):
    """A project configuration value is missing or invalid."""


class ProjectError(VoxcartError):
    """A project directory or database cannot be opened or created."""


class AudioError(VoxcartError):
    """An audio file cannot be read or fails validation."""


class ClipNotFoundError(VoxcartError):
    """No clip has the id asked for."""


class ManifestError(VoxcartError):
    """A manifest or metadata file cannot be parsed."""


class UnsafePathError(ManifestError):
    """A manifest path points outside the allowed roots."""


class CatalogError(VoxcartError):
    """A product catalog cannot be imported."""


class ExportError(VoxcartError):
    """An export cannot be written."""


class SynthesisError(VoxcartError):
    """Speech cannot be synthesized (espeak-ng missing, unknown voice, empty text)."""


class SegmentationError(VoxcartError):
    """Long recordings cannot be segmented or diarized (bad option, missing model files)."""


class QueueError(VoxcartError):
    """A queue operation got invalid input (unknown clip, bad priority, bad kind)."""


class LeaseLostError(QueueError):
    """The task is no longer leased to this user (it expired and was taken, or was completed)."""


class QueueBusyError(QueueError):
    """Leasing kept losing races to other annotators; trying again shortly will succeed."""


class ClipFilterError(VoxcartError):
    """A clip filter condition (``--where FIELD=VALUE``) is malformed or names an unknown value."""
