import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.documents import SourceRecord, get_or_create_document, record_document_version, sync_sources
from storage.models import Blob, DocumentVersion, RuleSetVersion, Series
from storage.schema import SCHEMA_REVISION, check_drift, current_revision, head_revision

SOURCE = SourceRecord("xiamen-hrss", "厦门市人社局", "hrss", "xiamen", "trs")


def _document(sessions: sessionmaker[Session], url: str = "http://127.0.0.1/a/t20251103_1.htm") -> int:
    with sessions.begin() as s:
        sync_sources(s, [SOURCE])
        doc, created = get_or_create_document(s, SOURCE.id, url, list_title="关于…")
        assert created
        return doc.id


def test_migrations_reach_head_without_drift(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == SCHEMA_REVISION
    check_drift(engine)  # what `alembic check` does: models and migrations agree


def test_same_bytes_twice_is_one_version_changed_bytes_two(sessions: sessionmaker[Session]) -> None:
    doc_id = _document(sessions)
    with sessions.begin() as s:
        v1, new1 = record_document_version(s, doc_id, b"<html>v1</html>", title="t")
    with sessions.begin() as s:
        v1b, new1b = record_document_version(s, doc_id, b"<html>v1</html>")
    with sessions.begin() as s:
        v2, new2 = record_document_version(s, doc_id, b"<html>v2</html>")
    assert (new1, new1b, new2) == (True, False, True)
    assert v1.id == v1b.id != v2.id
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(DocumentVersion)) == 2


def test_identical_bytes_stored_once_across_documents(sessions: sessionmaker[Session]) -> None:
    a = _document(sessions, "http://127.0.0.1/a/P1.xlsx")
    b = _document(sessions, "http://127.0.0.1/b/P2.xlsx")
    with sessions.begin() as s:
        record_document_version(s, a, b"PK\x03\x04same")
        record_document_version(s, b, b"PK\x03\x04same")
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 1
        assert s.scalar(select(func.count()).select_from(DocumentVersion)) == 2


def test_constraints_are_in_the_database(sessions: sessionmaker[Session]) -> None:
    doc_id = _document(sessions)
    with sessions.begin() as s:
        version, _ = record_document_version(s, doc_id, b"x")
        sha = version.sha256
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(DocumentVersion(document_id=doc_id, sha256=sha))
    with sessions.begin() as s:
        series = Series(region="xiamen", kind="points_schedule")
        s.add(series)
        s.flush()
        sid = series.id
        s.add(
            RuleSetVersion(
                series_id=sid, canonical_json="[]", canonical_hash="h", row_count=0, parser_version="1"
            )
        )
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(
            RuleSetVersion(
                series_id=sid, canonical_json="[]", canonical_hash="h", row_count=0, parser_version="1"
            )
        )


def test_concurrent_writers_store_one_version(sessions: sessionmaker[Session]) -> None:
    doc_id = _document(sessions)
    barrier = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            barrier.wait()
            with sessions.begin() as s:
                _, is_new = record_document_version(s, doc_id, b"<html>same page</html>")
            results.append(is_new)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [False, False, False, True]
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(DocumentVersion)) == 1
        assert s.scalar(select(func.count()).select_from(Blob)) == 1


def test_schema_check_of_a_current_database_is_one_query(engine: Engine) -> None:
    """Every command checks the schema: it must not cost an Alembic environment."""
    from sqlalchemy import event

    from storage.schema import ensure_schema

    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        ensure_schema(engine)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    queries = [s for s in statements if not s.startswith("BEGIN")]  # SQLite's BEGIN IMMEDIATE
    assert len(queries) == 1 and "alembic_version" in queries[0]
