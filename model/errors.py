"""Exceptions raised by voxcart.model; each message names the field, the value and the fix."""

from __future__ import annotations

from voxcart.datasets.errors import VoxcartError


class ModelError(VoxcartError):
    """A model cannot be registered, built, loaded or run."""


class AudioRejectedError(ModelError):
    """One clip's audio cannot be transcribed (too short, silent, too long); the batch goes on."""
