"""Tests of voxcart.augment."""
