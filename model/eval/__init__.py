"""Evaluation: recognition metrics, slices, the evaluation run and its reports.

- ``evaluate``: Evaluating a model version on a split: transcripts, references, metrics overall and
  by slice.
- ``metrics``: Recognition metrics on normalized text: WER, CER, entity errors, prices, search
  success.
- ``product_search``: A small lexical product search (BM25) over a catalog, to ask "would this
  transcript find it?".
- ``references``: What an evaluation scores against: human transcripts, or gold references (and
  their names).
- ``report``: Writing an evaluation: a JSON record, a Markdown report and a WER-by-slice bar chart
  (PNG).
- ``run``: One ``voxcart eval`` run: its options as one record, every named split evaluated and
  reported.
- ``slices``: How evaluation groups clips: by speaker, noise condition, augmentation and query type.
"""
