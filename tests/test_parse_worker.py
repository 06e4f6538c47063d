"""The bounded parse worker: a document that exhausts memory or time becomes a parse problem,
the worker is replaced, and the next document is parsed as usual."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.rows import DocumentInput
from policywatch.parse_worker import BoundedParser, ParseLimits

TESTS = str(Path(__file__).parent)
PAGE = (
    "<html><body><table><tr><td>职业名称</td><td>职业代码</td></tr>"
    "<tr><td>电工</td><td>6-31-01-03</td></tr><tr><td>焊工</td><td>6-30-02-02</td></tr></table></body></html>"
).encode()


@pytest.fixture
def bounded(monkeypatch: pytest.MonkeyPatch) -> BoundedParser:
    monkeypatch.setenv("PYTHONPATH", TESTS)
    return BoundedParser(
        ParseLimits(seconds=10, memory_bytes=1024**3), target="pw_misbehaving_parsers:by_url"
    )


@pytest.mark.parametrize(("url", "code"), [("http://x/hog", "too_large"), ("http://x/die", "too_large")])
def test_memory_exhaustion_or_a_crash_is_a_problem_and_the_next_document_parses(
    bounded: BoundedParser, url: str, code: str
) -> None:
    with bounded:
        result = bounded(DocumentInput(url=url, title="t"))
        assert [p.code for p in result.problems] == [code] and result.rows == []
        after = bounded(DocumentInput(url="http://x/ok", page=PAGE))
        assert {r.key() for r in after.rows} == {"6-31-01-03", "6-30-02-02"} and not after.problems


def test_a_document_past_the_deadline_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", TESTS)
    with BoundedParser(
        ParseLimits(seconds=2, memory_bytes=1024**3), target="pw_misbehaving_parsers:by_url"
    ) as p:
        result = p(DocumentInput(url="http://x/hang"))
        assert [pr.code for pr in result.problems] == ["timeout"]
        assert len(p(DocumentInput(url="http://x/ok", page=PAGE)).rows) == 2


def test_the_default_worker_parses_like_the_library() -> None:
    from parsers import parse_document

    doc = DocumentInput(url="http://x/ok", page=PAGE)
    with BoundedParser() as p:
        assert p(doc) == parse_document(doc)
