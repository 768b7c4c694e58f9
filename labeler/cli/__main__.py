"""Allow `python -m voxcart.labeler.cli`."""

from voxcart.labeler.cli.root import main

main()
