"""The command line: the root that registers every package's commands, and the labeler's own
  commands.

- ``app_cmd``: `voxcart app`: start the labeling app (Streamlit) for one project.
- ``demo_cmd``: `voxcart demo DIR`: build a ready demo project offline (catalog, synthetic speakers,
  queries).
- ``queue_cmd``: `voxcart queue fill` and `voxcart queue status`: the annotation queue from the
  command line.
- ``user_cmd``: `voxcart user add` and `voxcart user list`: local accounts from the command line.
"""
