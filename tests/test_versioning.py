"""Versioning rules on the database, with a tiny stand-in parser that reads JSON pages.

The real parsers are exercised end to end in tests/test_end_to_end.py; here the point is
the series logic: dedup, dates over crawl order, cut-offs per year, the health guard."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from parsers.rows import DocumentInput, DocumentMeta, ParseProblem, ParseResult
from policywatch.pipeline import process_new_versions
from rules import CutoffScore, PointsItem, ShortageEntry
from storage.documents import SourceRecord, get_or_create_document, record_document_version, sync_sources
from storage.models import ChangeRecord, RuleSetVersion
from storage.rulesets import held_versions, query_changes, release_version, rules_in_force

SOURCE = SourceRecord("quanzhou-hrss", "泉州市人社局", "hrss", "quanzhou", "trs")


def json_parser(doc: DocumentInput) -> ParseResult:
    """Pages in these tests are JSON: {"meta": {...}, "rows": [...], "problems": [...]}."""
    data = json.loads(doc.page or b"{}")
    meta = data.get("meta", {})
    rows = []
    for r in data.get("rows", []):
        kind = r.pop("kind")
        if kind == "points_schedule":
            rows.append(PointsItem(**r))
        elif kind == "shortage_occupations":
            rows.append(ShortageEntry(**r))
        elif kind == "points_cutoff":
            rows.append(CutoffScore(**r))
    return ParseResult(
        meta=DocumentMeta(
            region=doc.region,
            doc_number=meta.get("doc_number"),
            published_at=dt.date.fromisoformat(meta["published_at"]) if meta.get("published_at") else None,
            effective_at=dt.date.fromisoformat(meta["effective_at"]) if meta.get("effective_at") else None,
            replaces=tuple(meta.get("replaces", ())),
        ),
        rows=rows,
        problems=[ParseProblem(p, "test problem") for p in data.get("problems", [])],
    )


def points(level_points: dict[str, float], **meta: object) -> bytes:
    rows = [
        {"kind": "points_schedule", "category": "技能水平", "item": k, "points": v}
        for k, v in level_points.items()
    ]
    rows.append(
        {
            "kind": "points_schedule",
            "category": "社保缴纳",
            "item": "社保缴纳年限",
            "points": 2,
            "per": "年",
            "cap": 20,
        }
    )
    return json.dumps({"meta": meta, "rows": rows}, ensure_ascii=False).encode()


def store(sessions: sessionmaker[Session], url: str, page: bytes) -> None:
    with sessions.begin() as s:
        sync_sources(s, [SOURCE])
        doc, _ = get_or_create_document(s, SOURCE.id, url)
        record_document_version(s, doc.id, page)


def run(sessions: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    return process_new_versions(sessions, parse=json_parser, parser_version="test-1")


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


LEVELS = {"五级/初级工": 10, "四级/中级工": 20, "三级/高级工": 40}


def test_first_version_is_a_quiet_baseline_then_changes_are_diffed(sessions: sessionmaker[Session]) -> None:
    store(sessions, "http://x/a.htm", points(LEVELS, published_at="2025-03-01"))
    report = run(sessions)
    assert (report.documents, report.versions, report.changes_released) == (1, 1, 0)
    store(sessions, "http://x/a.htm", points({**LEVELS, "五级/初级工": 15}, published_at="2025-03-01"))
    report = run(sessions)
    assert report.changes_released == 1
    with sessions.begin() as s:
        (change,) = query_changes(s, electrician_only=False)
        assert (change.region, change.kind, change.change, change.key) == (
            "quanzhou",
            "points_schedule",
            "modified",
            "技能水平|五级/初级工",
        )
        assert change.payload["before"]["points"] == 10 and change.payload["after"]["points"] == 15
        assert change.payload["source_url"] == "http://x/a.htm"


def test_same_bytes_or_same_rows_add_nothing(sessions: sessionmaker[Session]) -> None:
    store(sessions, "http://x/a.htm", points(LEVELS))
    run(sessions)
    store(sessions, "http://x/a.htm", points(LEVELS))  # same bytes: no new document version
    assert run(sessions).documents == 0
    store(sessions, "http://x/a.htm", points(dict(reversed(LEVELS.items()))))  # new bytes, same rules
    report = run(sessions)
    assert (report.documents, report.versions) == (1, 0)
    assert count(sessions, RuleSetVersion) == 1


def test_old_document_crawled_late_does_not_become_current(sessions: sessionmaker[Session]) -> None:
    store(sessions, "http://x/2025.htm", points(LEVELS, published_at="2025-03-01"))
    run(sessions)
    store(sessions, "http://x/2023.htm", points({**LEVELS, "三级/高级工": 30}, published_at="2023-02-01"))
    report = run(sessions)
    assert report.versions == 1 and report.changes_released == 0
    with sessions.begin() as s:
        _, rows = rules_in_force(s, "quanzhou", "points_schedule")
        assert {r["key"]: r["points"] for r in rows}["技能水平|三级/高级工"] == 40
        _, old_rows = rules_in_force(s, "quanzhou", "points_schedule", dt.date(2024, 1, 1))
        assert {r["key"]: r["points"] for r in old_rows}["技能水平|三级/高级工"] == 30


def test_replaced_document_is_no_longer_in_force(sessions: sessionmaker[Session]) -> None:
    store(
        sessions,
        "http://x/old.htm",
        points(LEVELS, published_at="2025-03-01", doc_number="泉人社〔2025〕1号"),
    )
    run(sessions)
    store(
        sessions,
        "http://x/new.htm",
        points(
            {**LEVELS, "四级/中级工": 25},
            published_at="2025-01-01",
            doc_number="泉人社〔2025〕9号",
            replaces=["泉人社〔2025〕1号"],
        ),
    )
    run(sessions)
    with sessions.begin() as s:
        version, rows = rules_in_force(s, "quanzhou", "points_schedule")
        assert version is not None and version.doc_number == "泉人社〔2025〕9号"


def cutoff_page(year: int, score: float, published: str) -> bytes:
    rows = [{"kind": "points_cutoff", "year": year, "score": score, "quota": 1000}]
    return json.dumps({"meta": {"published_at": published}, "rows": rows}).encode()


def test_cutoffs_are_facts_per_year(sessions: sessionmaker[Session]) -> None:
    store(sessions, "http://x/c2025.htm", cutoff_page(2025, 110, "2025-04-01"))
    run(sessions)
    store(sessions, "http://x/c2026.htm", cutoff_page(2026, 120, "2026-04-01"))
    run(sessions)
    with sessions.begin() as s:
        changes = query_changes(s, electrician_only=False)
        assert [(c.change, c.key) for c in changes] == [("added", "2026")]
        _, rows = rules_in_force(s, "quanzhou", "points_cutoff")
        assert sorted(r["year"] for r in rows) == [2025, 2026]


def test_zero_rows_is_held_as_suspect_not_announced_as_removals(sessions: sessionmaker[Session]) -> None:
    store(sessions, "http://x/a.htm", points(LEVELS, published_at="2025-03-01"))
    run(sessions)
    store(
        sessions, "http://x/a.htm", json.dumps({"meta": {"published_at": "2025-03-01"}, "rows": []}).encode()
    )
    report = run(sessions)
    assert len(report.suspect_versions) == 1
    with sessions.begin() as s:
        assert query_changes(s, electrician_only=False) == []
        (held,) = held_versions(s)
        assert held.row_count == 0 and "no rows" in (held.suspect_reason or "")
        assert (
            s.scalar(select(func.count()).select_from(ChangeRecord).where(ChangeRecord.change == "removed"))
            == 4
        )
        # what is in force is still the last consistent version
        _, rows = rules_in_force(s, "quanzhou", "points_schedule")
        assert len(rows) == 4


def test_parse_problems_hold_changes_until_the_operator_accepts(sessions: sessionmaker[Session]) -> None:
    store(sessions, "http://x/a.htm", points(LEVELS))
    run(sessions)
    page = json.loads(points({**LEVELS, "三级/高级工": 45}))
    page["problems"] = ["corrupt_file"]
    store(sessions, "http://x/a.htm", json.dumps(page).encode())
    report = run(sessions)
    assert report.changes_held == 1 and report.changes_released == 0
    with sessions.begin() as s:
        (held,) = held_versions(s)
        assert release_version(s, held, "accepted", "operator") == 1
    with sessions.begin() as s:
        assert [c.key for c in query_changes(s, electrician_only=False)] == ["技能水平|三级/高级工"]
        assert held_versions(s) == []


def test_parser_upgrade_differences_are_not_policy_news(sessions: sessionmaker[Session]) -> None:
    store(sessions, "http://x/a.htm", points(LEVELS))
    process_new_versions(sessions, parse=json_parser, parser_version="test-1")

    def better_parser(doc: DocumentInput) -> ParseResult:
        result = json_parser(doc)
        result.rows.append(PointsItem("技能水平", "二级/技师", 60.0))
        return result

    report = process_new_versions(sessions, parse=better_parser, parser_version="test-2")
    assert report.versions == 1 and report.changes_released == 0
    with sessions.begin() as s:
        assert query_changes(s, electrician_only=False) == []
        (upgrade,) = query_changes(s, electrician_only=False, include_held=True, include_parser_upgrades=True)
        assert upgrade.parser_upgrade and upgrade.released_at is None


def store_schedule_and_its_repealing_revision(sessions: sessionmaker[Session]) -> None:
    """A 2025 schedule in force from 2025-12-01, repealed by its revision from 2026-03-01."""
    store(
        sessions,
        "http://x/2025.htm",
        points(LEVELS, published_at="2025-11-20", effective_at="2025-12-01", doc_number="泉人社〔2025〕30号"),
    )
    store(
        sessions,
        "http://x/2026.htm",
        points(
            {**LEVELS, "三级/高级工": 45},
            published_at="2026-02-10",
            effective_at="2026-03-01",
            doc_number="泉人社〔2026〕4号",
            replaces=["泉人社〔2025〕30号"],
        ),
    )
    run(sessions)


def test_a_repeal_ends_a_document_from_the_repealing_date_not_retroactively(
    sessions: sessionmaker[Session],
) -> None:
    store_schedule_and_its_repealing_revision(sessions)
    with sessions.begin() as s:
        before, _ = rules_in_force(s, "quanzhou", "points_schedule", dt.date(2025, 11, 30))
        assert before is None  # nothing was in force before the first schedule took effect
        between, rows = rules_in_force(s, "quanzhou", "points_schedule", dt.date(2026, 1, 15))
        assert between is not None and between.doc_number == "泉人社〔2025〕30号"
        assert {r["key"]: r["points"] for r in rows}["技能水平|三级/高级工"] == 40
        after, rows = rules_in_force(s, "quanzhou", "points_schedule", dt.date(2026, 3, 1))
        assert after is not None and after.doc_number == "泉人社〔2026〕4号"
        latest, _ = rules_in_force(s, "quanzhou", "points_schedule")
        assert latest is not None and latest.doc_number == "泉人社〔2026〕4号"


def test_parsing_holds_no_transaction_so_the_lease_heartbeat_is_never_locked_out(
    sessions: sessionmaker[Session],
) -> None:
    """On SQLite every transaction holds the write lock: a parse inside one kept the lease
    heartbeat (and every other writer) waiting for as long as the parse took."""
    from storage.locks import heartbeat, make_holder, try_acquire

    holder = make_holder("test")
    with sessions.begin() as s:
        assert try_acquire(s, "policywatch", holder, 60)
    beats: list[bool] = []

    def parse_while_the_heartbeat_writes(doc: DocumentInput) -> ParseResult:
        with sessions.begin() as s:  # what the heartbeat thread does mid-parse
            beats.append(heartbeat(s, "policywatch", holder))
        return json_parser(doc)

    store(sessions, "http://x/a.htm", points(LEVELS, published_at="2025-03-01"))
    report = process_new_versions(sessions, parse=parse_while_the_heartbeat_writes, parser_version="test-1")
    assert beats == [True] and report.versions == 1 and not report.failures
