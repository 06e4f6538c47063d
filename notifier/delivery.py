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
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy.orm import Session, sessionmaker

from notifier.alerts import send_due_alerts
from notifier.channels import EMAIL, WEBHOOK, describe
from notifier.chat_digest import render_chat_parts, webhook_payload
from notifier.coverage import CoverageNote, describe_coverage
from notifier.digest import Recipient, Rendered, render_digest
from notifier.mail import message_id, sender_domain
from notifier.outbox import change_of, is_due, preferences_of, queue_released_changes
from notifier.robots import RobotClient, RobotTarget, fits, markdown_payload
from notifier.settings import NotifySettings
from notifier.subscriptions import matches
from notifier.transports import PermanentFailure, TransientFailure, Transport
from rules.changes import Change
from rules.eligibility import ChangeEffect, RegionRules, change_effect
from rules.profile import Profile
from storage.coverage import read_coverage
from storage.documents import SourceRecord
from storage.eligibility_rules import region_rules, regions_with_rules
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
class _Post:
    """A chat or webhook message: where to, and the JSON body before any signature."""

    target: RobotTarget
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Job:
    """A due message (a digest, or one part of a chat digest), detached from its session."""

    subscriber_id: int
    destination_id: int
    where: str  # the destination, masked (for logs)
    delivery_ids: tuple[int, ...]
    attempts: tuple[int, ...]  # failed tries so far, per delivery (aligned with delivery_ids)
    message_id: str
    mail: tuple[Recipient, Rendered] | None = None
    post: _Post | None = None


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


def chat_message_id(destination_id: int, change_ids: Sequence[int], sender: str) -> str:
    """Same destination + same changes -> same id (a webhook receiver can drop a re-sent one)."""
    return message_id("chat", [destination_id, *sorted(change_ids)], sender_domain(sender))


def _chat_jobs(
    group: PendingGroup,
    wanted: list[tuple[Delivery, Change]],
    settings: NotifySettings,
    note: CoverageNote | None,
    effects: dict[int, ChangeEffect] | None = None,
) -> list[_Job]:
    """The messages of one robot or webhook destination: parts that fit, each with its deliveries."""
    sub, dest = group.subscriber, group.destination
    secret, secret_env = settings.secret_for(dest.channel, dest.secret_env)
    target = RobotTarget(dest.channel, dest.address, secret, secret_env)
    pairs = [(d.change_id, c) for d, c in wanted]
    by_change = {d.change_id: d for d, _ in wanted}
    parts = render_chat_parts(
        pairs,
        why=preferences_of(sub).describe(),
        contact=settings.mail.contact,
        fits=(lambda t, x: True) if dest.channel == WEBHOOK else (lambda t, x: fits(dest.channel, t, x)),
        newline="\n\n" if dest.channel == "dingtalk" else "\n",
        coverage=note,
        feed_url=settings.feed_url or None,
        effects=effects,
    )
    jobs = []
    for part in parts:
        msg_id = chat_message_id(dest.id, part.change_ids, settings.mail.sender)
        if dest.channel == WEBHOOK:
            chosen = [(cid, c) for cid, c in pairs if cid in part.change_ids]
            payload = webhook_payload(msg_id, part, chosen, sub.name)
        else:
            payload = markdown_payload(dest.channel, part.title, part.text)
        deliveries = [by_change[cid] for cid in part.change_ids]
        jobs.append(
            _Job(
                sub.id,
                dest.id,
                describe(dest.channel, dest.address),
                tuple(d.id for d in deliveries),
                tuple(d.attempts for d in deliveries),
                msg_id,
                post=_Post(target, payload),
            )
        )
    return jobs


class _RulesInForce:
    """The rules in force per region for this run, read once (profiles' per-change effects)."""

    def __init__(self, session: Session, at: dt.date) -> None:
        self.session, self.at = session, at
        self._regions: list[str] | None = None
        self._rules: dict[str, RegionRules] = {}

    def __call__(self, region: str) -> RegionRules:
        if region not in self._rules:
            if self._regions is None:
                self._regions = regions_with_rules(self.session)
            self._rules[region] = region_rules(self.session, region, self.at, catalogue_regions=self._regions)
        return self._rules[region]


def profile_effects(
    profile_data: dict[str, Any] | None, changes: Sequence[tuple[int, Change]], rules: _RulesInForce
) -> dict[int, ChangeEffect]:
    """By change id, what each change does to the subscriber's profile (none without one)."""
    if not profile_data:
        return {}
    try:
        profile = Profile.from_dict(profile_data)
    except (TypeError, ValueError, KeyError) as exc:
        log.warning("a stored profile cannot be read (%s): digest sent without per-change effects", exc)
        return {}
    out = {}
    for cid, change in changes:
        effect = change_effect(profile, rules(change.region), change)
        if effect is not None:
            out[cid] = effect
    return out


def due_jobs(
    session: Session,
    settings: NotifySettings,
    now: dt.datetime,
    flush: bool,
    errors: list[str] | None = None,
    monitored: Sequence[SourceRecord] | None = None,
) -> list[_Job]:
    """Render the digest of every destination that is due (oldest waiting first).

    Pending changes the subscriber no longer wants (the subscription was narrowed after they
    were queued) are marked ``skipped`` instead of sent. A digest that cannot be rendered (a
    broken override template) is reported in ``errors`` and left pending. Each digest names
    the ``monitored`` sources of the subscriber's regions that could not be read.
    """
    groups = [g for g in pending_groups(session, now) if _due(g, settings, now, flush)]
    groups.sort(key=lambda g: (g.oldest_queued_at, g.subscriber.id, g.destination.id))
    records = changes_by_id(session, (d.change_id for g in groups for d in g.deliveries))
    coverage = read_coverage(session, monitored, now) if monitored is not None and groups else None
    tz = ZoneInfo(settings.timezone)
    in_force = _RulesInForce(session, now.astimezone(tz).date())
    jobs = []
    for group in groups:
        sub, dest = group.subscriber, group.destination
        prefs = preferences_of(sub)
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
        profile = sub.subscription.profile if sub.subscription else None
        effects = profile_effects(profile, [(d.change_id, c) for d, c in wanted], in_force)
        if dest.channel != EMAIL:
            jobs += _chat_jobs(group, wanted, settings, note, effects)
            continue
        recipient = Recipient(sub.id, dest.address, sub.name, prefs)
        try:
            rendered = render_digest(
                recipient,
                [(d.change_id, c) for d, c in wanted],
                settings.mail,
                now=now,
                coverage=note,
                effects=effects,
            )
        except jinja2.TemplateError as exc:
            log.error("subscriber %d: digest cannot be rendered: %s", sub.id, exc)
            if errors is not None:
                errors.append(f"digest template error: {exc}")
            continue
        jobs.append(
            _Job(
                sub.id,
                dest.id,
                describe(dest.channel, dest.address),
                tuple(d.id for d, _ in wanted),
                tuple(d.attempts for d, _ in wanted),
                rendered.message_id,
                mail=(recipient, rendered),
            )
        )
    return jobs


def _lease(settings: NotifySettings) -> dt.timedelta:
    return dt.timedelta(seconds=max(300.0, 4 * settings.smtp_timeout))


def _hand_over(
    job: _Job, transport: Transport, robots: RobotClient, settings: NotifySettings, now: dt.datetime
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
    job: _Job,
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
    robots = RobotClient(settings.robot_timeout)
    try:
        with factory.begin() as session:
            result.queued = queue_released_changes(session, now)
        result.alerts_sent, alert_error = send_due_alerts(factory, settings, transport, now)
        if alert_error:
            result.errors.append(f"operator alert: {alert_error}")
        with factory.begin() as session:
            jobs = due_jobs(session, settings, now, flush, result.errors, monitored)
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
