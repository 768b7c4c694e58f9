"""Segmentation of long recordings: voice activity detection, clip cutting, diarization.

- ``cut``: Cutting long recordings into query clips: detected speech becomes clip boundaries.
- ``diarize``: Speaker diarization with pyannote.audio: who speaks when, as speaker turns per
  recording.
- ``store``: Applying segmentation to the store: query clips as offsets of their recording, and
  nudges.
- ``vad_energy``: Energy-threshold voice-activity detection: the no-model baseline and fallback.
- ``vad_pyannote``: pyannote.audio segmentation backend: voice activity and overlapped speech in one
  pass.
- ``vad_silero``: silero-vad backend: a small neural voice-activity model shipped inside the
  `silero-vad` wheel.
"""
