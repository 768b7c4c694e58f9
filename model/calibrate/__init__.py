"""Calibrated word confidence: a per-model monotone map, fitted on dev labels, applied on read.

- ``isotonic``: pool-adjacent-violators isotonic regression and the piecewise-linear map it fits.
- ``quality``: expected calibration error and AUROC of confidence for wrong words.
- ``labels``: stored suggestions' words labelled right or wrong against reference texts.
- ``store``: a model version's calibration (kept in its metadata row) and applying it.
- ``fit``: fitting and storing a model's calibration on the dev split (``voxcart model
  calibrate``).
"""
