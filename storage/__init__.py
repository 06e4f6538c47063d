"""storage: the versioned database (SQLAlchemy 2, Alembic). SQL lives here and nowhere else.

Public modules:
- storage.tables: the schema as Core tables, defined once; versions are append-only. The
  queries of an unchanged poll (pre-check, job bookkeeping, the idle notify) use these, so
  that a poll never builds the ORM mappers.
- storage.models: typed ORM classes mapped onto those tables (Source, Document,
  DocumentVersion, RuleSetVersion, RuleRowRecord, ChangeRecord, Subscriber, Delivery, ...),
  for code that works with whole objects (the pipeline, subscriptions, rendering).
- storage.database: make_engine (SQLite WAL + foreign keys, PostgreSQL), session_factory
  (one transaction per ``with sessions.begin() as session:``).
- storage.schema: upgrade (what `policywatch init` runs), ensure_schema, SchemaOutdated.
- storage.documents: sources, documents, content-addressed document versions, crawl runs.
- storage.rulesets: series, rule-set versions, change records and their queries
  (rules_in_force); the pipeline that fills them is policywatch.pipeline.
- storage.in_force: which version of a series is in force at a date (and which
  announcements are, for the crawler's rechecks).
- storage.subscribers, storage.outbox, storage.pending_deliveries, storage.alerts: the
  notifier's tables.
- storage.jobs, storage.locks, storage.status: the daemon's bookkeeping and lease.
"""
