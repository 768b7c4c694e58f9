"""ASR backends: the backend protocol and registry, sphinx, ctc and whisper, typed hypotheses.

- ``base``: The ASR backend interface and the registry that builds a backend from a model version.
- ``ctc``: The `ctc` backend: any Hugging Face ``AutoModelForCTC`` checkpoint (wav2vec2, HuBERT,
  WavLM, w2v-BERT, ...) from a local folder, or a hub id where the network allows.
- ``ctc_align``: From CTC frame posteriors to timed words: path collapsing, forced alignment,
  confidences.
- ``ctc_decode``: Decoding CTC posteriors into hypotheses: greedy, or pyctcdecode beam search with
  hotwords.
- ``ctc_models``: Registering CTC checkpoints as model versions, and checking a checkpoint folder
  first.
- ``device``: Where and how a torch model runs: device choice, GPU autocast, CPU int8 quantization.
- ``hf_checkpoints``: What the Hugging Face backends (ctc, whisper) share about local checkpoints
  and the hub.
- ``hf_core``: The core the Hugging Face backends (ctc, whisper) share: loading a folder or hub id,
  audio checks, length-bucketed transcription, out-of-memory errors, registration.
- ``hypothesis``: Typed recognition results: timed words with confidences, utterance scores, N-best
  lists.
- ``sphinx``: The default `sphinx` backend: pocketsphinx's bundled en-us acoustic model, no
  download.
- ``whisper``: The `whisper` backend (suggestions only): a Whisper checkpoint through transformers,
  from a local folder or a hub id where the network allows.
- ``whisper_words``: Whisper tokens to timed, scored words: the pure part of the ``whisper``
  backend.
"""
