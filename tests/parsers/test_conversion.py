""".doc / .wps via LibreOffice headless; reported (not crashed) when LibreOffice is missing."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from parsers import Attachment, DocumentInput, parse_document
from rules import ShortageEntry

FIXTURES = Path(__file__).parent / "fixtures"
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice (soffice) is not installed; .ci/run installs it",
)


def _parse(name: str) -> object:
    data = (FIXTURES / name).read_bytes()
    return parse_document(DocumentInput(url="u", region="xiamen", attachments=(Attachment("u", name, data),)))


@needs_soffice
@pytest.mark.parametrize("name", ["shortage_xiamen_2026.doc", "shortage_xiamen_2026.wps"])
def test_doc_and_wps_are_converted(name: str) -> None:
    result = _parse(name)
    rows = [r for r in result.rows if isinstance(r, ShortageEntry)]
    assert [(r.occupation, r.code, r.degree) for r in rows] == [
        ("电工", "6-31-01-03", "特别紧缺"),
        ("继电保护员", "6-28-01-15", "紧缺"),
        ("电力电缆安装运维工", "6-29-02-11", "一般紧缺"),
    ]
    assert rows[0].source.attachment == name
    assert result.meta.effective_at == dt.date(2026, 2, 1)
    assert result.meta.published_at == dt.date(2026, 1, 10)
    assert result.meta.replaces == ("厦门市紧缺职业目录(2024年版)",)
    assert result.problems == []


def test_missing_libreoffice_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYWATCH_SOFFICE", "/nonexistent/soffice")
    result = _parse("shortage_xiamen_2026.doc")
    assert result.rows == []
    assert [p.code for p in result.problems] == ["conversion_unavailable"]
    assert result.problems[0].where.attachment == "shortage_xiamen_2026.doc"


@needs_soffice
def test_conversion_timeout_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import parsers.formats.convert as convert

    monkeypatch.setattr(convert, "CONVERT_TIMEOUT", 0.01)
    monkeypatch.setattr(convert.convert_with_soffice, "__defaults__", (0.01,))
    result = _parse("shortage_xiamen_2026.doc")
    assert [p.code for p in result.problems] == ["conversion_failed"]
