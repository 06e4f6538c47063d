"""storage: the versioned database (SQLAlchemy 2, Alembic). SQL lives here and nowhere else.

Public modules:
- storage.models: typed models (Source, Document, DocumentVersion, Blob, RuleSetVersion,
  RuleRowRecord, ChangeRecord, Subscriber, Subscription, Destination, Delivery, OperatorAlert, JobRun,
  ProcessLock, ...); versions are append-only.
- storage.database: make_engine (SQLite WAL + foreign keys, PostgreSQL), session_factory
  (one transaction per ``with sessions.begin() as session:``).
- storage.schema: upgrade (what `policywatch init` runs), ensure_schema, SchemaOutdated.
- storage.documents: sources, documents, content-addressed document versions, crawl runs.
- storage.rulesets: series, rule-set versions, change records and their queries
  (rules_in_force); the pipeline that fills them is policywatch.pipeline.
- storage.subscribers, storage.outbox, storage.alerts: the notifier's tables.
- storage.jobs, storage.locks, storage.status: the daemon's bookkeeping and lease.
"""
