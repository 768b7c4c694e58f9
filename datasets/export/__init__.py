"""Versioned dataset exports: qualifying rows, one writer per format, datasheets.

- ``datasheet``: Datasheets: what an exported dataset holds, per split, written beside it as JSON
  and Markdown.
- ``exporter``: `export_dataset`: stream the qualifying rows into a format writer, atomically, and
  record the result as a dataset version.
- ``hf``: Hugging Face audiofolder: ``<split>/`` folders holding the clips and a ``metadata.jsonl``.
- ``kaldi``: Kaldi data directories: ``<split>/`` with wav.scp, segments, text, utt2spk, spk2utt,
  utt2dur.
- ``lhotse``: Lhotse manifests: ``<split>_recordings.jsonl.gz`` and
  ``<split>_supervisions.jsonl.gz``.
- ``nemo``: NeMo ASR manifests: ``<split>_manifest.jsonl``, one JSON object per clip.
- ``rows``: The rows an export writes: one per clip whose current transcript qualifies, in clip
  order.
- ``table``: Tables: ``<split>.csv`` and ``<split>.parquet``, one row per clip.
- ``writer``: What every export format writer shares: export folders, clip audio, lazily opened
  split files.
"""
