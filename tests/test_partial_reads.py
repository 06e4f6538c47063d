"""A document read in part is never published as if it were whole (issue 18): its version is
held, the parse records how much was read, and `policywatch health` names the document."""

from __future__ import annotations

import json
from pathlib import Path

from harness import run_cli, write_config
from sqlalchemy.orm import Session, sessionmaker

from parsers import parse_document
from policywatch.pipeline import process_new_versions
from storage.alerts import latest_parses_read_in_part
from storage.documents import SourceRecord, get_or_create_document, record_document_version, sync_sources
from storage.rulesets import held_versions

SOURCE = SourceRecord("quanzhou-hrss", "泉州市人社局", "hrss", "quanzhou", "trs")
URL = "http://rsj.quanzhou.example.gov.cn/tzgg/202701/t20270105_1.htm"
PAGE = """<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="关于积分落户计分标准的通知">
<meta name="PubDate" content="2027-01-05 09:00"></head><body><div class="TRS_Editor">
<p>现将积分落户计分标准公布如下。</p>
<table><tr><td>项目</td><td>分值</td></tr>
<tr><td>取得技师证书</td><td>40</td></tr>
<tr><td>取得高级工证书</td><td>按市人社局另行公布的标准计分</td></tr></table>
</div></body></html>"""


def test_a_document_read_in_part_is_held_and_named_by_health(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    with sessions.begin() as s:
        sync_sources(s, [SOURCE])
        doc, _ = get_or_create_document(s, SOURCE.id, URL)
        record_document_version(s, doc.id, PAGE.encode())
    report = process_new_versions(sessions, parse=parse_document, parser_version="test")
    assert report.suspect_versions, "a version with an unread row is held, even as a first version"
    with sessions.begin() as s:
        (held,) = held_versions(s)
        assert "unread_rows" in (held.suspect_reason or "")
        (parse,) = latest_parses_read_in_part(s)
        assert parse.url == URL and 0 < parse.coverage_read < parse.coverage_seen

    cfg = str(write_config(tmp_path / "pw.toml", database_url))
    health = run_cli("--config", cfg, "--json", "health", cwd=tmp_path)
    assert health.code == 1
    (partial,) = json.loads(health.stdout)["documents_read_in_part"]
    assert partial["document"] == URL and partial["read"] < partial["seen"]
    assert "按市人社局另行公布" in partial["problem"]
    text = run_cli("--config", cfg, "health", cwd=tmp_path).stdout
    assert "Documents read in part" in text and URL in text
