"""Bad input: each case gives one specific problem code, never an exception or silent emptiness."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from pw_parser_builders import (
    POINTS_ROWS,
    SHORTAGE_ROWS,
    _tiny_png,
    docx_bytes,
    image_only_pdf,
    pdf_bytes,
    xlsx_bytes,
)

from parsers import Attachment, DocumentInput, ParseResult, parse_document, sniff_format
from parsers.sniff import OLE_MAGIC


def parse_one(name: str, data: bytes) -> ParseResult:
    return parse_document(DocumentInput(url="u", attachments=(Attachment("u", name, data),)))


def codes(result: ParseResult) -> list[str]:
    return [p.code for p in result.problems]


def _rewrite_zip(data: bytes, member: str, transform: object) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == member:
                content = transform(content)  # type: ignore[operator]
            dst.writestr(info.filename, content)
    return out.getvalue()


def test_truncated_xlsx() -> None:
    data = xlsx_bytes({"S": SHORTAGE_ROWS})
    result = parse_one("a.xlsx", data[: len(data) // 2])
    assert codes(result) == ["truncated"]
    assert result.problems[0].where.attachment == "a.xlsx"


def test_truncated_pdf() -> None:
    data = pdf_bytes(["标题"], SHORTAGE_ROWS, [])
    assert codes(parse_one("a.pdf", data[: len(data) // 3])) in (["truncated"], ["corrupt_file"])


def test_corrupt_docx_part() -> None:
    data = _rewrite_zip(docx_bytes(["正文"], SHORTAGE_ROWS, []), "word/document.xml", lambda c: c[:200])
    assert codes(parse_one("a.docx", data)) == ["corrupt_file"]


def test_corrupt_xlsx_workbook_part() -> None:
    data = _rewrite_zip(xlsx_bytes({"S": SHORTAGE_ROWS}), "xl/workbook.xml", lambda c: b"<not xml")
    assert codes(parse_one("a.xlsx", data)) == ["corrupt_file"]


def test_encrypted_ooxml_in_ole_container() -> None:
    # What Office writes for a password-protected xlsx/docx: an OLE compound file holding
    # the EncryptionInfo and EncryptedPackage streams.
    body = bytearray(OLE_MAGIC + b"\x00" * 1016)
    body += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    body += b"\x00" * 2048
    assert sniff_format(bytes(body), "a.xlsx") == "ole_encrypted"
    assert codes(parse_one("a.xlsx", bytes(body))) == ["encrypted"]


def test_encrypted_pdf() -> None:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner"))
    c.drawString(100, 700, "points 40")
    c.showPage()
    c.save()
    assert codes(parse_one("secret.pdf", buf.getvalue())) == ["encrypted"]


def test_zip_bomb_declared_size() -> None:
    data = bytearray(xlsx_bytes({"S": POINTS_ROWS}))
    pos = data.find(b"PK\x01\x02")  # first central directory entry
    data[pos + 24 : pos + 28] = struct.pack("<I", 0xFFFFFFF0)  # uncompressed size: ~4 GB
    assert codes(parse_one("bomb.xlsx", bytes(data))) == ["too_large"]


def test_zip_bomb_compression_ratio() -> None:
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(docx_bytes(["正文"], [], [])))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("word/media/zeros.bin", b"\x00" * (8 * 1024 * 1024))
    assert codes(parse_one("bomb.docx", out.getvalue())) == ["too_large"]


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd">',
    ],
)
def test_xml_entity_declarations_are_refused(payload: bytes) -> None:
    def inject(content: bytes) -> bytes:
        return payload + (content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content)

    docx = _rewrite_zip(docx_bytes(["正文"], SHORTAGE_ROWS, []), "word/document.xml", inject)
    assert codes(parse_one("a.docx", docx)) == ["xml_entities"]
    xlsx = _rewrite_zip(xlsx_bytes({"S": SHORTAGE_ROWS}), "xl/workbook.xml", inject)
    assert codes(parse_one("a.xlsx", xlsx)) == ["xml_entities"]


def test_scanned_pdf_has_no_text_layer() -> None:
    result = parse_one("scan.pdf", image_only_pdf())
    assert codes(result) == ["no_text_layer"]
    assert result.rows == []


def test_image_attachment() -> None:
    assert codes(parse_one("table.jpg", _tiny_png())) == ["no_text_layer"]


def test_unknown_format_is_decided_by_magic_bytes_not_extension() -> None:
    assert sniff_format(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "list.xlsx") == "unknown"
    assert codes(parse_one("list.xlsx", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))) == [
        "unsupported_format"
    ]
    # and a real xlsx named .pdf is still read as xlsx
    result = parse_one("list.pdf", xlsx_bytes({"S": SHORTAGE_ROWS}))
    assert result.problems == [] and len(result.rows) == 3


def test_empty_file() -> None:
    assert codes(parse_one("a.xlsx", b"")) == ["empty_file"]


def test_plain_zip_archive_members_are_parsed_and_bad_members_reported() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("附件1.xlsx", xlsx_bytes({"S": SHORTAGE_ROWS}))
        zf.writestr("附件2.pdf", b"%PDF-1.4 garbage")
    result = parse_one("附件.zip", out.getvalue())
    assert len(result.rows) == 3
    assert result.rows[0].source.attachment == "附件.zip/附件1.xlsx"
    assert [(p.code, p.where.attachment) for p in result.problems] in (
        [("truncated", "附件.zip/附件2.pdf")],
        [("corrupt_file", "附件.zip/附件2.pdf")],
    )


def test_one_bad_attachment_does_not_hide_the_good_one() -> None:
    doc = DocumentInput(
        url="u",
        attachments=(
            Attachment("u", "good.xlsx", xlsx_bytes({"S": SHORTAGE_ROWS})),
            Attachment("u", "bad.pdf", image_only_pdf()),
        ),
    )
    result = parse_document(doc)
    assert len(result.rows) == 3
    assert codes(result) == ["no_text_layer"]


@pytest.mark.parametrize("seed", range(20))
def test_random_garbage_never_raises(seed: int) -> None:
    import random

    rng = random.Random(seed)
    good = [
        xlsx_bytes({"S": SHORTAGE_ROWS}),
        pdf_bytes(["t"], SHORTAGE_ROWS, []),
        docx_bytes(["p"], SHORTAGE_ROWS, []),
    ][seed % 3]
    data = bytearray(good)
    for _ in range(30):
        data[rng.randrange(len(data))] = rng.randrange(256)
    page = bytes(rng.randrange(256) for _ in range(500))
    result = parse_document(
        DocumentInput(url="u", page=page, attachments=(Attachment("u", "x.bin", bytes(data)),))
    )
    assert isinstance(result, ParseResult)
    assert result.rows or result.problems


def test_binary_garbage_without_nul_bytes_is_reported_even_beside_a_good_page() -> None:
    # random bytes 1..255 (no NUL) used to sniff as "text": the attachment then gave no rows
    # and no problem, so the page's rows hid that a whole attachment was unreadable
    import random

    rng = random.Random(7)
    garbage = bytes(rng.randrange(1, 256) for _ in range(3000))
    assert sniff_format(garbage, "list.xlsx") == "unknown"
    assert sniff_format("职业名称\t代码\n电工\t6-31-01-03\n".encode("gb18030"), "a.txt") == "text"
    page = (
        "<html><body><table><tr><th>职业名称</th><th>职业代码</th></tr>"
        "<tr><td>电工</td><td>6-31-01-03</td></tr></table></body></html>"
    ).encode()
    result = parse_document(
        DocumentInput(url="u", page=page, attachments=(Attachment("u", "list.xlsx", garbage),))
    )
    assert len(result.rows) == 1
    assert [(p.code, p.where.attachment) for p in result.problems] == [("unsupported_format", "list.xlsx")]


def test_rows_past_the_size_caps_are_reported_not_dropped_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    # the readers stop at a row/page cap; the rows past it used to vanish with no problem,
    # which the versioning layer would take for removed rules
    from pathlib import Path

    from parsers.formats import pdf, xls, xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    result = parse_one("list.xlsx", xlsx_bytes({"S": SHORTAGE_ROWS}))
    assert [(p.code, p.where.sheet) for p in result.problems] == [("too_large", "S")]
    assert len(result.rows) == 1  # the header and the first row were read

    monkeypatch.setattr(xls, "MAX_ROWS", 2)
    data = (Path(__file__).parent / "fixtures" / "points_quanzhou_2025.xls").read_bytes()
    assert "too_large" in codes(parse_one("points.xls", data))

    monkeypatch.setattr(pdf, "MAX_PAGES", 1)
    two_pages = pdf_bytes(["2026年紧缺职业目录"] * 70, SHORTAGE_ROWS, [])
    result = parse_one("list.pdf", two_pages)
    assert [(p.code, p.where.attachment) for p in result.problems] == [("too_large", "list.pdf")]

    monkeypatch.undo()  # under the caps: nothing reported
    assert parse_one("list.xlsx", xlsx_bytes({"S": SHORTAGE_ROWS})).problems == []
    assert "too_large" not in codes(parse_one("points.xls", data))
    assert parse_one("list.pdf", two_pages).problems == []


@pytest.mark.parametrize(
    ("name", "body"),
    [
        (
            "附件1.pdf",
            "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>",
        ),
        ("附件1.xlsx", "<!DOCTYPE html><html><body><p>请先登录</p></body></html>"),
        ("附件1.docx", "File not found"),
    ],
)
def test_an_error_page_served_for_a_document_is_reported(name: str, body: str) -> None:
    # read as HTML/text it gave no rows and no problem: beside a page with rows, the
    # attachment's rules would silently look removed
    page = (
        "<html><body><table><tr><th>职业名称</th><th>职业代码</th></tr>"
        "<tr><td>电工</td><td>6-31-01-03</td></tr></table></body></html>"
    ).encode()
    result = parse_document(
        DocumentInput(url="u", page=page, attachments=(Attachment("u", name, body.encode()),))
    )
    assert len(result.rows) == 1
    assert [(p.code, p.where.attachment) for p in result.problems] == [("unsupported_format", name)]


def test_an_html_table_saved_as_xls_is_still_read_without_a_problem() -> None:
    table = "".join(
        f"<tr><td>{n}</td><td>{c}</td></tr>" for n, c in [("电工", "6-31-01-03"), ("焊工", "6-18-02-04")]
    )
    data = f"<html><body><table><tr><th>职业名称</th><th>职业代码</th></tr>{table}</table></body></html>"
    result = parse_one("目录.xls", data.encode())
    assert len(result.rows) == 2 and result.problems == []
