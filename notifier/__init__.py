"""notifier: from changes to people. The diff engine and renderers are pure; delivery is the edge.

Public modules:
- notifier.diff: diff_rule_sets(before, after, region=, kind=) -> list[Change]; Change,
  ChangeProvenance (Change.to_json() is the diff-report JSON contract).
- notifier.summary: summarise(change), subject_line(changes) — one-line Chinese text.
- notifier.report: render_report(changes, "text" | "markdown" | "html" | "json").
- notifier.subscriptions: Preferences, matches, normalise_email.
- notifier.outbox: queue_released_changes, is_due.
- notifier.digest: render_digest (multipart text + HTML, Jinja2 templates in templates/).
- notifier.delivery: run_notify (SMTP or .eml outbox, exactly-once bookkeeping, retries).
- notifier.alerts: operator alerts; notifier.unsubscribe: signed tokens, List-Unsubscribe.
- notifier.unsubscribe_server: the one-click unsubscribe HTTP endpoint (RFC 8058).
- notifier.settings: NotifySettings.from_config(config).
"""
