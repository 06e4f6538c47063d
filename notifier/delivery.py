"""`notify`: queue released changes, then send each due subscriber one digest, exactly once
as far as SMTP allows.

Per digest: lease the deliveries (commit), render, hand to the transport, and mark them
sent in the transaction right after the server accepted. The worst case is a crash (or a
lost connection) after the server's 250 and before that commit: the lease expires, the next
run sends the same digest again with the same Message-ID: one duplicate, never a loss.
A 5xx for the recipient fails those deliveries for good; a 4xx or an unreachable server
counts an attempt and retries after an exponential backoff, giving up after MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy.orm import Session, sessionmaker

from notifier.alerts import send_due_alerts
from notifier.coverage import describe_coverage
from notifier.digest import Recipient, Rendered, render_digest
from notifier.outbox import change_of, is_due, preferences_of, queue_released_changes
from notifier.settings import NotifySettings
from notifier.subscriptions import matches
from notifier.transports import PermanentFailure, TransientFailure, Transport
from rules.changes import Change
from storage.coverage import read_coverage
from storage.documents import SourceRecord
from storage.models import Delivery, utcnow
from storage.outbox import (
    PendingGroup,
    changes_by_id,
    claim,
    count_pending,
    mark_failed,
    mark_retry,
    mark_sent,
    mark_skipped,
    pending_groups,
)

log = logging.getLogger(__name__)

BACKOFF_BASE = dt.timedelta(minutes=5)
BACKOFF_MAX = dt.timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of retries with the backoff above


def backoff(attempt: int) -> dt.timedelta:
    """Wait before the next try after ``attempt`` failed tries: 5, 10, 20 … minutes, at most 6 h."""
    return min(BACKOFF_BASE * (2 ** max(0, attempt - 1)), BACKOFF_MAX)


@dataclass
class NotifyResult:
    """What one `notify` run did (messages, except ``queued`` and ``pending`` which count deliveries)."""

    queued: int = 0
    sent: int = 0
    sent_changes: int = 0
    failed: int = 0  # messages refused for good this run
    deferred: int = 0  # messages that hit a temporary failure this run (retried later)
    rate_limited: int = 0  # due messages left for the next run by smtp.max_messages_per_run
    pending: int = 0  # deliveries still pending after the run
    alerts_sent: int = 0
    outbox_dir: Path | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when anything failed to send this run (the CLI exits 1)."""
        return not (self.failed or self.deferred or self.errors)


@dataclass(frozen=True)
class _Job:
    """A due digest, detached from the session that found it."""

    recipient: Recipient
    delivery_ids: tuple[int, ...]
    attempts: tuple[int, ...]  # failed tries so far, per delivery (aligned with delivery_ids)
    rendered: Rendered


def _due(group: PendingGroup, settings: NotifySettings, now: dt.datetime, flush: bool) -> bool:
    if flush:
        return True
    blocked = group.blocked_until
    if blocked is not None and blocked > now:
        return False
    frequency = group.subscriber.subscription.frequency if group.subscriber.subscription else "daily"
    return is_due(
        frequency,
        group.oldest_queued_at,
        now,
        timezone=settings.timezone,
        daily_hour=settings.daily_hour,
        weekly_day=settings.weekly_day,
    )


def due_jobs(
    session: Session,
    settings: NotifySettings,
    now: dt.datetime,
    flush: bool,
    errors: list[str] | None = None,
    monitored: Sequence[SourceRecord] | None = None,
) -> list[_Job]:
    """Render the digest of every subscriber that is due (oldest waiting first).

    Pending changes the subscriber no longer wants (the subscription was narrowed after they
    were queued) are marked ``skipped`` instead of sent. A digest that cannot be rendered (a
    broken override template) is reported in ``errors`` and left pending. Each digest names
    the ``monitored`` sources of the subscriber's regions that could not be read.
    """
    groups = [g for g in pending_groups(session, now) if _due(g, settings, now, flush)]
    groups.sort(key=lambda g: (g.oldest_queued_at, g.subscriber.id))
    records = changes_by_id(session, (d.change_id for g in groups for d in g.deliveries))
    coverage = read_coverage(session, monitored, now) if monitored is not None and groups else None
    tz = ZoneInfo(settings.timezone)
    jobs = []
    for group in groups:
        sub = group.subscriber
        prefs = preferences_of(sub)
        recipient = Recipient(sub.id, sub.email, sub.name, prefs)
        wanted: list[tuple[Delivery, Change]] = []
        unwanted: list[tuple[Delivery, Change]] = []
        for d in group.deliveries:
            change = change_of(records[d.change_id])
            (wanted if matches(prefs, change) else unwanted).append((d, change))
        if unwanted:
            mark_skipped(session, [d.id for d, _ in unwanted], "no longer matches the subscription")
            log.info("subscriber %d: %d queued changes no longer wanted, skipped", sub.id, len(unwanted))
        if not wanted:
            continue
        note = describe_coverage(coverage.within(prefs.regions), tz) if coverage else None
        try:
            rendered = render_digest(
                recipient, [(d.change_id, c) for d, c in wanted], settings.mail, now=now, coverage=note
            )
        except jinja2.TemplateError as exc:
            log.error("subscriber %d: digest cannot be rendered: %s", sub.id, exc)
            if errors is not None:
                errors.append(f"digest template error: {exc}")
            continue
        jobs.append(
            _Job(recipient, tuple(d.id for d, _ in wanted), tuple(d.attempts for d, _ in wanted), rendered)
        )
    return jobs


def _lease(settings: NotifySettings) -> dt.timedelta:
    return dt.timedelta(seconds=max(300.0, 4 * settings.smtp_timeout))


def _send_one(
    factory: sessionmaker[Session],
    transport: Transport,
    job: _Job,
    settings: NotifySettings,
    now: dt.datetime,
    result: NotifyResult,
) -> bool:
    """Send one digest; returns False when the rest of the run should stop (server unusable)."""
    ids = job.delivery_ids
    data = job.rendered.message.as_bytes()  # before the lease: a serialising error leaves none behind
    start = max(now, utcnow())  # a long run must not hand out leases that already expired
    with factory.begin() as session:
        if not claim(session, ids, start, start + _lease(settings)):
            log.info(
                "subscriber %d: deliveries taken by another sender, skipped", job.recipient.subscriber_id
            )
            return True
    try:
        where = transport.send(settings.mail.sender, job.recipient.email, data, job.rendered.message_id, now)
    except PermanentFailure as exc:
        with factory.begin() as session:
            mark_failed(session, ids, str(exc))
        result.failed += 1
        log.warning("subscriber %d: digest refused for good: %s", job.recipient.subscriber_id, exc)
        return True
    except TransientFailure as exc:
        # Each delivery has its own count: a change queued yesterday is not given up on
        # together with the older ones it shares the digest with.
        tries = dict(zip(ids, job.attempts, strict=True))
        spent = [i for i in ids if tries[i] + 1 >= MAX_ATTEMPTS]
        again = [i for i in ids if tries[i] + 1 < MAX_ATTEMPTS]
        with factory.begin() as session:
            if spent:
                mark_failed(session, spent, f"gave up after {MAX_ATTEMPTS} attempts: {exc}")
            if again:
                wait = backoff(max(tries[i] for i in again) + 1)
                mark_retry(session, again, str(exc), now + wait)
        if again:
            result.deferred += 1
        else:
            result.failed += 1
        log.warning(
            "subscriber %d: digest not sent (attempt %d), %d deliveries given up, %d to retry: %s",
            job.recipient.subscriber_id,
            max(job.attempts) + 1,
            len(spent),
            len(again),
            exc,
        )
        return not exc.whole_run
    # Accepted: record it at once. A crash right here is the one-duplicate worst case.
    with factory.begin() as session:
        mark_sent(session, ids, job.rendered.message_id, utcnow())
    result.sent += 1
    result.sent_changes += len(ids)
    log.info("subscriber %d: digest of %d changes sent via %s", job.recipient.subscriber_id, len(ids), where)
    return True


def run_notify(
    factory: sessionmaker[Session],
    settings: NotifySettings,
    *,
    now: dt.datetime | None = None,
    flush: bool = False,
    transport: Transport | None = None,
    monitored: Sequence[SourceRecord] | None = None,
) -> NotifyResult:
    """One `notify` run: queue, operator alerts, then due digests up to the per-run limit.

    ``monitored``: the enabled sources (the application knows them); each digest says which
    of its subscriber's could not be read. None: digests say nothing about coverage."""
    now = now or utcnow()
    result = NotifyResult(outbox_dir=settings.outbox_dir if settings.uses_outbox else None)
    transport = transport or settings.transport()
    try:
        with factory.begin() as session:
            result.queued = queue_released_changes(session, now)
        result.alerts_sent, alert_error = send_due_alerts(factory, settings, transport, now)
        if alert_error:
            result.errors.append(f"operator alert: {alert_error}")
        with factory.begin() as session:
            jobs = due_jobs(session, settings, now, flush, result.errors, monitored)
        limit = settings.max_messages_per_run
        for n, job in enumerate(jobs):
            if n >= limit:
                result.rate_limited = len(jobs) - limit
                log.info("rate limit: %d digests left for the next run", result.rate_limited)
                break
            if not _send_one(factory, transport, job, settings, now, result):
                log.warning(
                    "transport unusable: %d remaining digests left for the next run", len(jobs) - n - 1
                )
                break
    finally:
        transport.close()
    with factory.begin() as session:
        result.pending = count_pending(session)
    return result
