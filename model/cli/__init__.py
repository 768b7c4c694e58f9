"""The model commands: suggest, lm build, eval, train, model and al.

- ``al_cmd``: `voxcart al select|train|status|run|simulate`: active-learning rounds from the command
  line.
- ``eval_cmd``: `voxcart eval`: score a model version on a split and write its JSON/Markdown/PNG
  report.
- ``model_cmd``: `voxcart model add` and `voxcart model list`: register checkpoints as model
  versions.
- ``suggest_cmd``: `voxcart suggest` and `voxcart lm build`: fill the suggestion pool, build the
  catalog LM.
- ``train_cmd``: `voxcart train`: fine-tune a CTC model on the project's human-accepted transcripts.
"""
