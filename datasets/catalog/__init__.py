"""Product catalogs: reading catalog files, storing them, and their entity vocabulary.

- ``read``: Reading a product catalog file (CSV, TSV or JSONL) into validated product records.
- ``store``: Product catalogs in the project store: importing a catalog file and loading its
  vocabulary.
- ``types``: Which column names product types (category, a type attribute, or the titles).
- ``vocab``: The entity vocabulary of a product catalog: which brands, product types, models and
  attribute values shoppers may say, and finding them in normalized transcripts.
"""
