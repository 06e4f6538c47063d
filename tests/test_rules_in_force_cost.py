"""`rules show` and the eligibility estimate read the rows of the version in force only: the
queries and the rows loaded do not grow with the versions a series holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from rules.kinds.cutoff import CutoffScore
from rules.kinds.points import PointsItem
from rules.relevance import is_electrician_related
from storage.eligibility_rules import region_rules
from storage.models import RuleRowRecord, RuleSetVersion
from storage.rulesets import VersionFacts, append_version, get_series, rules_in_force

ROWS = 20


def facts(n: int) -> VersionFacts:
    return VersionFacts(
        document_version_id=None,
        published_at=dt.date(2020, 1, 1) + dt.timedelta(days=40 * n),
        effective_at=None,
        doc_number=f"厦人社〔{2020 + n}〕{n}号",
        replaces=(),
        parser_version="1",
        problems=[],
        suspect_reason=None,
    )


def store_versions(sessions: sessionmaker[Session], versions: int) -> None:
    with sessions.begin() as session:
        points = get_series(session, "xiamen", "points_schedule")
        cutoffs = get_series(session, "xiamen", "points_cutoff")
        for n in range(versions):
            rows = [PointsItem("技能水平", f"项目{r}", float(r + n)) for r in range(ROWS)]
            append_version(session, points, rows, facts(n), is_electrician_related)
            # a cut-off version carries every earlier year (the pipeline keeps absent years)
            years = [CutoffScore(year=2000 + y, score=float(100 + y + n)) for y in range(n + 1)]
            append_version(session, cutoffs, years, facts(n), is_electrician_related)


@contextmanager
def reads(engine: Engine) -> Iterator[dict[str, Any]]:
    """Statements sent, and rule rows / versions loaded as objects, inside the block."""
    seen: dict[str, Any] = {"statements": [], "rows": 0, "versions": 0}

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen["statements"].append(sql)

    def row(target: Any, context: Any) -> None:
        seen["rows"] += 1

    def version(target: Any, context: Any) -> None:
        seen["versions"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(RuleRowRecord, "load", row)
    event.listen(RuleSetVersion, "load", version)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(RuleRowRecord, "load", row)
        event.remove(RuleSetVersion, "load", version)


def show(
    sessions: sessionmaker[Session], engine: Engine, kind: str, at: dt.date
) -> tuple[Any, dict[str, Any]]:
    with sessions.begin() as session, reads(engine) as seen:
        version, rows = rules_in_force(session, "xiamen", kind, at)
        return (version.id if version else None, len(rows)), seen


def test_rules_show_loads_one_version_and_its_rows(engine: Engine, sessions: sessionmaker[Session]) -> None:
    store_versions(sessions, 12)
    (version, rows), seen = show(sessions, engine, "points_schedule", dt.date(2030, 1, 1))
    assert version is not None and rows == ROWS
    assert seen["rows"] == ROWS and seen["versions"] == 1
    assert not any("canonical_json" in s for s in seen["statements"])
    statements = len(seen["statements"])

    # an earlier date: an earlier version, the same work
    (earlier, rows), seen = show(sessions, engine, "points_schedule", dt.date(2020, 3, 1))
    assert earlier is not None and earlier < version and rows == ROWS
    assert seen["rows"] == ROWS and len(seen["statements"]) == statements

    # cut-offs: the version in force carries every year, and only its rows are read
    (_, years), seen = show(sessions, engine, "points_cutoff", dt.date(2030, 1, 1))
    assert years == 12 and seen["rows"] == 12 and seen["versions"] == 1


def test_statements_do_not_grow_with_the_versions_stored(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    store_versions(sessions, 2)
    at = dt.date(2030, 1, 1)
    _, few = show(sessions, engine, "points_schedule", at)
    with sessions.begin() as session, reads(engine) as few_eligibility:
        region_rules(session, "xiamen", at)
    more = 10
    with sessions.begin() as session:
        series = get_series(session, "xiamen", "points_schedule")
        for n in range(2, 2 + more):
            rows = [PointsItem("技能水平", f"项目{r}", float(r + n)) for r in range(ROWS)]
            append_version(session, series, rows, facts(n), is_electrician_related)
    _, many = show(sessions, engine, "points_schedule", at)
    with sessions.begin() as session, reads(engine) as many_eligibility:
        rules = region_rules(session, "xiamen", at)
    assert len(rules.points) == ROWS
    assert len(many["statements"]) == len(few["statements"]) and many["rows"] == few["rows"] == ROWS
    assert len(many_eligibility["statements"]) == len(few_eligibility["statements"])
    assert many_eligibility["rows"] == few_eligibility["rows"]
    # versions are loaded as objects only when chosen, whatever the series holds
    assert many["versions"] == few["versions"] == 1
    assert many_eligibility["versions"] == few_eligibility["versions"]
