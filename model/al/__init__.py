"""Active learning: candidates, scorers, selection, rounds, the loop and its simulation.

- ``candidates``: Active-learning candidates: unlabelled clips with one model version's stored
  suggestion.
- ``curves``: Learning curves of an active-learning simulation: tables, label efficiency and the
  figure.
- ``loop``: `voxcart al run`: chain rounds of select, annotation, train and evaluation.
- ``oracle``: The simulated annotator: label a round's queued clips with their gold reference
  text.
- ``pseudo``: Pseudo-labels: a model's confident suggestions used as training text, never as human
  labels.
- ``rounds``: Active-learning rounds: select clips into the annotation queue, then retrain and re-
  score.
- ``scorers``: Active-learning scorers: how useful labelling a clip would be, from its stored
  suggestions.
- ``select``: Active-learning selection: pick the clips to label next under a budget, spread out.
- ``simulate``: `voxcart al simulate`: replay the active-learning loop with a simulated annotator.
- ``train``: Training an active-learning round's model: the next version from the labels, measured.
"""
