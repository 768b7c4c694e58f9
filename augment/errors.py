"""Exceptions raised by voxcart.augment; each message names the field, the value and the fix."""

from __future__ import annotations

from voxcart.datasets.errors import VoxcartError


class AugmentError(VoxcartError):
    """An augmentation cannot be applied (bad input audio, a refused split, a changed bank)."""


class AugmentConfigError(AugmentError):
    """A preset or custom pipeline is invalid: unknown transform, parameter, type or range."""


class BankError(AugmentError):
    """A noise or impulse-response bank cannot be built, read or used."""
