"""The import engine: per-file validation, content deduplication and batched storing.

- ``engine``: The streaming import engine: validate each item, deduplicate by content, store in
  batches.
- ``store``: Storing one validated import batch in one transaction: recordings, clips, transcripts.
- ``validate``: Per-file import checks: one streaming pass for the content hash and level
  statistics, then span checks (length, silence, clipping) against the project's ValidationConfig.
"""
