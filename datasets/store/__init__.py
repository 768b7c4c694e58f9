"""The project store: configuration, database schema and migrations, revisions, the work queue, clip
  filters and statistics.

- ``clip_filter``: Which clips a model run covers: ``--where FIELD=VALUE`` conditions turned into a
  query.
- ``config``: Project configuration: a TOML file in the project directory, loaded into typed
  dataclasses.
- ``migrate``: Schema migrations with Alembic, run programmatically whenever a project is opened.
- ``project``: Opening a project: its directory, its database engine, sessions, and schema
  migrations.
- ``local_postgres``: A throwaway PostgreSQL cluster on this machine, for tests and benchmarks.
- ``queue``: The work queue: enqueue clips, lease the best task atomically, renew, release,
  complete (``queue/``: tasks, lease, status).
- ``references``: Gold references: what a clip really says, kept for evaluation only
  (``clip_references``).
- ``revisions``: Append-only transcript revisions: writing a new one and reading a clip's current
  transcript.
- ``round_trips``: Counting the SQL statements and transactions an engine runs.
- ``schema``: The project store's tables: recordings, clips, transcripts, users, queues, rounds,
  models.
- ``stats``: Project statistics: hours and clips by status, split and speaker; vocabulary; catalog
  terms.
"""
