"""The messages that are due: each destination's digest rendered, with its deliveries.

Apart from notifier/delivery.py (which sends them) so that a notify run with nothing
waiting loads no templates, robots or eligibility rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy.orm import Session

from notifier.channels import EMAIL, WEBHOOK, describe
from notifier.chat_digest import render_chat_parts, webhook_payload
from notifier.coverage import CoverageNote, describe_coverage
from notifier.digest import Recipient, Rendered, render_digest
from notifier.mail import message_id, sender_domain
from notifier.outbox import change_of, is_due, preferences_of
from notifier.robots import RobotTarget, fits, markdown_payload
from notifier.settings import NotifySettings
from notifier.subscriptions import matches
from rules.changes import Change
from rules.eligibility import ChangeEffect, RegionRules, change_effect
from rules.profile import Profile
from storage.coverage import read_coverage
from storage.documents import SourceRecord
from storage.eligibility_rules import region_rules, regions_with_rules
from storage.models import Delivery
from storage.outbox import mark_skipped
from storage.pending_deliveries import PendingGroup, changes_by_id, pending_groups

log = logging.getLogger("notifier.delivery")


@dataclass(frozen=True)
class Post:
    """A chat or webhook message: where to, and the JSON body before any signature."""

    target: RobotTarget
    payload: dict[str, Any]


@dataclass(frozen=True)
class Job:
    """A due message (a digest, or one part of a chat digest), detached from its session."""

    subscriber_id: int
    destination_id: int
    where: str  # the destination, masked (for logs)
    delivery_ids: tuple[int, ...]
    attempts: tuple[int, ...]  # failed tries so far, per delivery (aligned with delivery_ids)
    message_id: str
    mail: tuple[Recipient, Rendered] | None = None
    post: Post | None = None


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
) -> list[Job]:
    """The messages of one robot or webhook destination: parts that fit, each with its deliveries."""
    sub, dest = group.subscriber, group.destination
    secret, secret_env = settings.secret_for(dest.channel, dest.secret_env)
    target = RobotTarget(dest.channel, dest.address, secret, secret_env)
    pairs = [(d.change_id, c) for d, c in wanted]
    by_change = {d.change_id: d for d, _ in wanted}
    parts = render_chat_parts(
        pairs,
        why=preferences_of(sub.subscription).describe(),
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
            Job(
                sub.id,
                dest.id,
                describe(dest.channel, dest.address),
                tuple(d.id for d in deliveries),
                tuple(d.attempts for d in deliveries),
                msg_id,
                post=Post(target, payload),
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
) -> list[Job]:
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
        prefs = preferences_of(sub.subscription)
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
            Job(
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
