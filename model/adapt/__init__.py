"""Acoustic adaptation of the sphinx backend on CPU (MAP or MLLR with the CMU Sphinx tools),
and the guarded promotion of the adapted versions."""

from voxcart.model.adapt.promote import PROMOTE_POLICIES, Promotion, check_promotion
from voxcart.model.adapt.run import METHODS, AdaptConfig, AdaptResult, adapt_sphinx
from voxcart.model.adapt.tools import SphinxToolsMissingError, find_tools

__all__ = [
    "METHODS",
    "PROMOTE_POLICIES",
    "AdaptConfig",
    "AdaptResult",
    "Promotion",
    "SphinxToolsMissingError",
    "adapt_sphinx",
    "check_promotion",
    "find_tools",
]
