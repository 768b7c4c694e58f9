"""The voxcart labeling app (run with `voxcart app -p PROJECT`, which sets VOXCART_PROJECT)."""

from voxcart.labeler.app.main import main

main()
