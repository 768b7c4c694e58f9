"""Import sources: detecting a source's format and streaming its items, with safe paths.

- ``common``: What every import source yields (ImportItem or Rejection) and the column mapping they
  share.
- ``detect``: Import sources: detecting a source's format and streaming its items.
- ``folder``: Folders of audio files (walked recursively, in a stable order) and single audio files.
- ``kaldi``: Kaldi data directories: wav.scp, text, utt2spk and optional segments.
- ``paths``: Safe resolution of paths read from manifests: relative to the manifest, inside allowed
  roots.
- ``table``: Tabular manifests: CSV/TSV with a header, NeMo JSON Lines, and Hugging Face
  audiofolder.
"""
