"""The offline demo project: a built-in catalog, templated queries and synthesized speech.

- ``build``: Build a ready demo project offline: a product catalog, synthetic speakers, spoken
  queries.
- ``catalog``: The built-in demo product catalog: a few hundred realistic e-commerce products, no
  download.
- ``queries``: Spoken shopping queries for the demo project, generated from templates over the demo
  catalog.
- ``synth``: Offline speech synthesis with the espeak-ng library bundled in the `espeakng-loader`
  wheel.
"""
