"""What the parser is given for an announcement's files: every file its page links that is
stored, wherever it was stored first (a form two notices link is one document)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from policywatch.pipeline import document_input
from storage.documents import SourceRecord, get_or_create_document, record_document_version, sync_sources
from storage.models import Document

SOURCE = SourceRecord("xiamen-hrss", "厦门市人社局", "hrss", "xiamen", "trs")
BASE = "http://hrss.xm.example.gov.cn/xxgk/tzgg/202701/"
FORM = BASE + "P020270105000000000001.docx"  # an application form two notices link
OTHER = BASE + "P020270112000000000002.xlsx"  # linked, never stored


def _page(session: Session, n: int, linked: list[str]) -> int:
    doc, _ = get_or_create_document(session, SOURCE.id, f"{BASE}t2027010{n}_{n}.htm")
    meta = {"relevant": True, "attachments": [{"url": u, "name": u.rsplit("/", 1)[1]} for u in linked]}
    record_document_version(session, doc.id, f"<html><body>通知 {n}</body></html>".encode(), meta=meta)
    return int(doc.id)


def test_a_file_two_announcements_link_is_read_for_both(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        sync_sources(s, [SOURCE])
        first = _page(s, 1, [FORM])
        form, _ = get_or_create_document(s, SOURCE.id, FORM, role="attachment", parent_id=first)
        record_document_version(s, form.id, b"PK\x03\x04 the form")
        second = _page(s, 2, [FORM, OTHER])
        alone = _page(s, 3, [])

    with sessions.begin() as s:
        inputs = [document_input(s, s.get_one(Document, d))[0] for d in (first, second, alone)]

    assert [a.url for a in inputs[0].attachments] == [FORM]
    # stored once, under the first notice: the second is read with it too
    assert [(a.url, a.data) for a in inputs[1].attachments] == [(FORM, b"PK\x03\x04 the form")]
    assert inputs[2].attachments == ()
