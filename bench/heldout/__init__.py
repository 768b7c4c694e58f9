"""A held-out catalog, shopper queries and voices for ``bench/bench_catalog.py``.

Nothing here is imported by the voxcart packages, and nothing in the packages (the catalog LM,
its templates, the demo) may be built from it: it exists to measure suggestions on products,
phrasings and voices nobody tuned for. Do not edit LM templates to fit it.
"""
