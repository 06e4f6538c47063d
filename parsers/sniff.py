"""Decide a file's format from its bytes (magic numbers), never from its name.

Attachments are often misnamed (an .xls that is really HTML, a .doc that is a .docx);
the extension is only used to break ties between formats that share a container.
"""

from __future__ import annotations

import io
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def sniff_format(data: bytes, filename: str = "") -> str:
    """One of: html, text, pdf, docx, xlsx, zip, xls, doc, wps_et, ole_encrypted, ole, rtf,
    image, empty, unknown."""
    if not data or not data.strip():
        return "empty"
    head = data[:2048]
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(data, filename)
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")):
        return "image"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"<") and (
        b"<html" in head.lower()
        or b"<table" in head.lower()
        or b"<!doctype" in head.lower()
        or b"<body" in head.lower()
        or b"<div" in head.lower()
        or b"<p" in head.lower()
    ):
        return "html"
    if b"\x00" not in head and not _binary_like(head):
        return "text"
    return "unknown"


# C0 control bytes other than whitespace (and DEL): in every ASCII-compatible encoding
# (UTF-8, GB18030) they are control characters, never part of a multibyte character.
_CONTROL = frozenset(range(0x20)) - frozenset(b"\t\n\r\f\v") | {0x7F}


def _binary_like(head: bytes) -> bool:
    """True for bytes that no text file holds: more than 2% control characters."""
    controls = sum(1 for b in head if b in _CONTROL)
    return controls > len(head) * 0.02


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip_damaged"
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        return "docx"
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "zip"


def _sniff_ole(data: bytes, filename: str) -> str:
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        return "ole_encrypted"
    if _utf16("WordDocument") in data:
        return "doc"
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return "xls"
    lower = filename.lower()
    if lower.endswith((".wps", ".et", ".dps")):
        return "wps_et"
    return "ole"
