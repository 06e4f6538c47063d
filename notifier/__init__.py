"""notifier: from changes to people. Renderers are pure; delivery is the edge.

The diff engine, Change and the one-line summaries live in rules/, the layer below.

Public modules:
- notifier.report: render_report(changes, "text" | "markdown" | "html" | "json").
- notifier.subscriptions: Preferences, matches, normalise_email.
- notifier.outbox: queue_released_changes, is_due.
- notifier.digest: render_digest (multipart text + HTML, Jinja2 templates in templates/).
- notifier.delivery: run_notify (per destination: SMTP or .eml outbox, group robots,
  webhooks; exactly-once bookkeeping, retries).
- notifier.channels: destination kinds, URL validation, masking; notifier.chat_digest: the
  digest as chat markdown split to fit; notifier.robots: WeCom, DingTalk, Feishu, webhook.
- notifier.feed: the Atom feed of released changes.
- notifier.alerts: operator alerts; notifier.unsubscribe: signed tokens, List-Unsubscribe.
- notifier.unsubscribe_server: the one-click unsubscribe HTTP endpoint (RFC 8058).
- notifier.settings: NotifySettings (built by policywatch.config.Config.notify_settings()).
"""
