"""Allow `python -m voxcart.datasets.cli`."""

from voxcart.datasets.cli import main

main()
