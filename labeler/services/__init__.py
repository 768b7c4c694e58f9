"""What the app's pages do, without Streamlit: annotate, review, boundaries, browse, jobs.

- ``annotate``: What the annotate page needs, without Streamlit: the next clip to transcribe and its
  context.
- ``boundaries``: Boundary correction of a clip: its audio with context on each side, and nudges as
  new versions.
- ``browse``: Clip browsing for the explore page: filtered clip rows, a clip's audio and history,
  chart data.
- ``checks``: Submit-time checks on a transcript: warnings the annotator may override, never walls.
- ``clip_media``: What the editor plays and draws for a clip: 16 kHz PCM16 WAV bytes, waveform
  peaks, spectrogram.
- ``clip_picker``: The clips a page offers in a picker: ids and uids, first ones by id.
- ``diff``: Word-level diff between a model's suggestion and the annotator's edit, and its WER.
- ``double_annotation``: Double annotation: a configured fraction of clips is transcribed by a
  second annotator.
- ``editor_events``: The editor's events (submit, accept, skip, check) and what each one writes.
- ``export_bundle``: Export from the app: the CLI's exporter, then the export folder packed as one
  zip to download.
- ``jobs``: Background jobs started from the app (suggest, LM build): one thread, progress in
  memory.
- ``oov``: Out-of-catalog words: words of a transcript that neither the catalog nor English knows.
- ``overview``: Read-only summaries for the app's home and rounds pages: who did what, models, AL
  rounds.
- ``queue_fill``: Filling the annotation queue from a clip filter, least confident suggestions
  first.
- ``review``: Review of human transcripts: approve, reject with a reason, or edit; inter-annotator
  agreement.
- ``submit``: Submitting an annotation: one transaction that appends a revision and completes the
  task.
- ``users``: Account administration for ``voxcart user``: add an account or list them, each call
  in its own transaction.
"""
