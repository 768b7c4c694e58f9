"""Language models for the sphinx backend: the corpus, templates, pronunciations and the build.

- ``build``: Build the catalog-adapted sphinx model: corpus -> trigram ARPA LM + pronunciation
  dictionary.
- ``corpus``: The text a catalog language model is trained on: titles, filled query templates,
  labels.
- ``g2p``: Offline pronunciations for words the CMU dictionary lacks (brands, model names).
- ``pron_dict``: Pronunciation dictionaries in CMU/Sphinx format: reading the bundled one, writing a
  subset.
- ``templates``: Written query templates for the catalog language model: search, filter, price,
  cart, orders.
"""
