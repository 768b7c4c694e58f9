"""Language models for the sphinx backend: the corpus, templates, pronunciations and the build.

- ``arpa``: Back-off n-gram models in ARPA form: read, write, score, perplexity and coverage.
- ``background``: The broad background component: general English from the bundled generic LM.
- ``build``: Build the catalog-adapted sphinx model: corpus -> mixed trigram ARPA LM +
  pronunciations.
- ``corpus``: The text a catalog language model is trained on: titles, filled query templates,
  labels.
- ``mix``: Linear interpolation of back-off models; mixture weights tuned on dev text (EM).
- ``spoken``: Spoken numbers, prices, sizes and quantities: the number classes of the LM.
- ``g2p``: Offline pronunciations for words the CMU dictionary lacks (brands, model names).
- ``pron_dict``: Pronunciation dictionaries in CMU/Sphinx format: reading the bundled one, writing a
  subset.
- ``templates``: Written query templates for the catalog language model: search, filter, price,
  cart, orders.
"""
