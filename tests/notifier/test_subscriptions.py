"""Subscribers: address validation, the matching rule, and subscribe-twice-updates in the database."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from notifier.subscriptions import (
    InvalidEmail,
    Preferences,
    change_occupations,
    matches,
    normalise_email,
)
from storage.models import Subscriber, Subscription
from storage.subscribers import (
    SubscriptionRequest,
    deactivate_subscriber,
    list_subscribers,
    upsert_subscriber,
)
from tests.notifier.notify_helpers import points_change, shortage_change


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("worker@example.org", "worker@example.org"),
        ("  Wang.Shifu+policy@Mail.Example.CN ", "wang.shifu+policy@mail.example.cn"),
        ("ops@localhost", "ops@localhost"),
    ],
)
def test_valid_addresses(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "worker",
        "worker@",
        "@example.org",
        "a@b",
        "a b@example.org",
        "a@example.org\r\nBcc: x@example.org",
        "a@example.org, b@example.org",
        "<a@example.org>",
        '"a"@example.org',
        "a@@example.org",
        "a@exa_mple.org",
        "a..b@example.org",
        "工人@example.org",
        "a@" + "x" * 250 + ".org",
    ],
)
def test_invalid_addresses(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalise_email(raw)


QZ_POINTS = points_change("quanzhou")
XM_POINTS = points_change("xiamen")
QZ_WELDER = shortage_change("quanzhou", "焊工", "6-18-02-04", related=False)
QZ_WORDING = shortage_change("quanzhou", "电工", substantive=False)


def test_default_is_the_electrician_family_everywhere() -> None:
    prefs = Preferences.build()
    assert matches(prefs, QZ_POINTS) and matches(prefs, XM_POINTS)
    assert not matches(prefs, QZ_WELDER)
    assert not matches(prefs, QZ_WORDING)  # wording-only edits are for --all-changes


def test_region_and_kind_filters() -> None:
    prefs = Preferences.build(regions=["quanzhou"], kinds=["points_schedule"])
    assert matches(prefs, QZ_POINTS)
    assert not matches(prefs, XM_POINTS)
    assert not matches(prefs, shortage_change("quanzhou"))


def test_occupation_adds_changes_about_that_occupation() -> None:
    prefs = Preferences.build(occupations=["焊工"])
    assert matches(prefs, QZ_WELDER) and matches(prefs, QZ_POINTS)
    assert not matches(prefs, shortage_change("quanzhou", "钳工", "6-20-01-01", related=False))
    # old names fold onto current ones on both sides
    renamed = shortage_change("quanzhou", "维修电工", None, related=False)
    assert "电工" in change_occupations(renamed)
    assert matches(
        Preferences.build(occupations=["维修电工"]), shortage_change("quanzhou", "电工", related=False)
    )


def test_all_changes_takes_everything_but_parser_upgrades() -> None:
    prefs = Preferences.build(all_changes=True)
    for change in (QZ_POINTS, XM_POINTS, QZ_WELDER, QZ_WORDING):
        assert matches(prefs, change)
    assert not matches(prefs, dataclasses.replace(QZ_POINTS, parser_upgrade=True))
    assert not matches(Preferences.build(all_changes=True, regions=["fuzhou"]), QZ_WELDER)


def test_describe_says_why() -> None:
    text = Preferences.build(regions=["quanzhou"], occupations=["焊工"], frequency="weekly").describe()
    assert "泉州" in text and "电工" in text and "焊工" in text and "每周" in text


def test_subscribing_twice_updates_never_duplicates(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _, outcome = upsert_subscriber(session, SubscriptionRequest("a@example.org", regions=["quanzhou"]))
        assert outcome == "created"
    with sessions.begin() as session:
        sub, outcome = upsert_subscriber(
            session,
            SubscriptionRequest("a@example.org", name="王", kinds=["points_cutoff"], frequency="weekly"),
        )
        assert outcome == "updated"
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
        assert session.scalar(select(func.count()).select_from(Subscription)) == 1
        (sub,) = list_subscribers(session)
        assert sub.name == "王" and sub.subscription is not None
        assert sub.subscription.regions == [] and sub.subscription.kinds == ["points_cutoff"]
        assert sub.subscription.frequency == "weekly"


def test_unsubscribe_then_resubscribe(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        upsert_subscriber(session, SubscriptionRequest("a@example.org"))
    with sessions.begin() as session:
        assert deactivate_subscriber(session, "nobody@example.org") is None
        sub = deactivate_subscriber(session, "a@example.org")
        assert sub is not None and not sub.active and sub.unsubscribed_at is not None
    with sessions.begin() as session:
        assert deactivate_subscriber(session, "a@example.org") is not None  # idempotent
        assert list_subscribers(session, active_only=True) == []
    with sessions.begin() as session:
        _, outcome = upsert_subscriber(session, SubscriptionRequest("a@example.org"))
        assert outcome == "reactivated"
        assert len(list_subscribers(session, active_only=True)) == 1
