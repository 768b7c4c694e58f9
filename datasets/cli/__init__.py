"""The datasets commands (init, stats, split, import, catalog, export, segment) and what every
command shares: project options, comma lists and the progress bar.

The `voxcart` root that registers all packages' commands is `voxcart.labeler.cli.root`.
"""
