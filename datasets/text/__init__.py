"""Text in its written and spoken forms: normalization, numbers, units, Kaldi-safe ids, WER.

- ``clean``: Text safety at the edge: control characters and unpaired surrogates removed from
  transcripts (and reported), refused in labels, before a database or a line-oriented export.
- ``kaldi_ids``: Kaldi-safe ids: the escape voxcart's Kaldi export writes and its Kaldi import reads
  back.
- ``normalize``: The transcript normalizer: written text to its spoken form, the form WER, LMs and
  exports use.
- ``numbers``: Numbers as English words and back: cardinals, ordinals and spans of number words in
  text.
- ``units``: Units, sizes and currencies of product text: how each is written and how it is said.
- ``wer``: Word and character error rates: the one definition, with its empty-reference rule
  and corpus vs utterance level.
- ``written_form``: Inverse text normalization: spoken-form text back to a written form for display
  and search.
"""
