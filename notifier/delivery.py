"""`notify`: queue released changes, then send each due destination its digest, exactly once
as far as the channel allows.

A destination is an email address (SMTP or .eml outbox), a group robot (WeCom, DingTalk,
Feishu) or a JSON webhook. An email digest is one message; a chat digest is split at change
boundaries into messages that fit the service's limit, each carrying its own deliveries.
Per message: lease its deliveries (commit), hand it over, and mark them sent in the
transaction right after the server accepted. The worst case is a crash (or a lost
connection) after the acceptance and before that commit: the lease expires, the next run
sends the same message again (same Message-ID / webhook id): one duplicate, never a loss.
A permanent refusal (SMTP 5xx, a robot's bad key or signature) fails those deliveries for
good; a temporary one (4xx, 5xx from a robot, rate limits, an unreachable server) counts an
attempt and retries after an exponential backoff, giving up after MAX_ATTEMPTS. A failure
of one destination never touches another's deliveries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from notifier.alerts import send_due_alerts
from notifier.outbox import queue_released_changes
from notifier.settings import NotifySettings
from notifier.transports import PermanentFailure, TransientFailure, Transport
from storage.documents import SourceRecord
from storage.outbox import claim, count_pending, mark_failed, mark_retry, mark_sent
from storage.tables import utcnow

if TYPE_CHECKING:
    from notifier.due_messages import Job
    from notifier.robots import RobotClient

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


def _lease(settings: NotifySettings) -> dt.timedelta:
    return dt.timedelta(seconds=max(300.0, 4 * settings.smtp_timeout))


def _hand_over(
    job: Job, transport: Transport, robots: RobotClient, settings: NotifySettings, now: dt.datetime
) -> str:
    if job.mail is not None:
        recipient, rendered = job.mail
        data = rendered.message.as_bytes()
        return transport.send(settings.mail.sender, recipient.email, data, job.message_id, now)
    assert job.post is not None
    return robots.send(job.post.target, job.post.payload, now)


def _send_one(
    factory: sessionmaker[Session],
    transport: Transport,
    robots: RobotClient,
    job: Job,
    settings: NotifySettings,
    now: dt.datetime,
    result: NotifyResult,
) -> bool:
    """Send one message; False when the rest of this destination's (or, for a whole-run
    failure, every) message should wait for the next run."""
    ids = job.delivery_ids
    if job.mail is not None:
        job.mail[1].message.as_bytes()  # before the lease: a serialising error leaves none behind
    start = max(now, utcnow())  # a long run must not hand out leases that already expired
    with factory.begin() as session:
        if not claim(session, ids, start, start + _lease(settings)):
            log.info("subscriber %d: deliveries taken by another sender, skipped", job.subscriber_id)
            return True
    try:
        where = _hand_over(job, transport, robots, settings, now)
    except PermanentFailure as exc:
        with factory.begin() as session:
            mark_failed(session, ids, str(exc))
        result.failed += 1
        log.warning("subscriber %d: digest to %s refused for good: %s", job.subscriber_id, job.where, exc)
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
            "subscriber %d: digest to %s not sent (attempt %d), %d deliveries given up, %d to retry: %s",
            job.subscriber_id,
            job.where,
            max(job.attempts) + 1,
            len(spent),
            len(again),
            exc,
        )
        if exc.whole_run:
            raise _RunStopped from None
        return False
    # Accepted: record it at once. A crash right here is the one-duplicate worst case.
    with factory.begin() as session:
        mark_sent(session, ids, job.message_id, utcnow())
    result.sent += 1
    result.sent_changes += len(ids)
    log.info("subscriber %d: digest of %d changes sent via %s", job.subscriber_id, len(ids), where)
    return True


class _RunStopped(Exception):
    """The transport is unusable for every message (SMTP server down, login refused)."""


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
            waiting_any = count_pending(session) > 0
        jobs: list[Job] = []
        if waiting_any:  # rendering (templates, eligibility) loads only when something waits
            from notifier.due_messages import due_jobs

            with factory.begin() as session:
                jobs = due_jobs(session, settings, now, flush, result.errors, monitored)
        robots: RobotClient | None = None
        if jobs:
            from notifier.robots import RobotClient

            robots = RobotClient(settings.robot_timeout)
        limit = settings.max_messages_per_run
        waiting: set[int] = set()  # destinations with a temporary failure this run
        mail_down = False  # the mail transport is unusable for every message this run
        for n, job in enumerate(jobs):
            if n >= limit:
                result.rate_limited = len(jobs) - limit
                log.info("rate limit: %d digests left for the next run", result.rate_limited)
                break
            if job.destination_id in waiting or (mail_down and job.mail is not None):
                continue  # waits for the next run (a backoff holds the destination's group)
            try:
                assert robots is not None  # made when there are jobs
                if not _send_one(factory, transport, robots, job, settings, now, result):
                    waiting.add(job.destination_id)
            except _RunStopped:
                mail_down = True
                left = sum(1 for later in jobs[n + 1 :] if later.mail is not None)
                log.warning("mail transport unusable: %d remaining email digests left for the next run", left)
    finally:
        transport.close()
    with factory.begin() as session:
        result.pending = count_pending(session)
    return result
