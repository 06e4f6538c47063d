"""Bytes of an HTML page → text, whatever the server or the <meta> claimed.

Fujian sites serve UTF-8 now and GBK/GB2312 on older pages, with headers or metas that are
missing or wrong. GB* is decoded as GB18030 (a superset); a strict UTF-8 decode that
succeeds wins over any declaration, because GBK text is almost never valid UTF-8.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "hz-gb-2312", "ms936"}


def canonical_encoding(name: str | None) -> str | None:
    """Python codec name for a declared charset; every GB* name becomes gb18030."""
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    if n in _GB_FAMILY or n.startswith("gb"):
        return "gb18030"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def sniff_meta_charset(data: bytes) -> str | None:
    """The charset named by a <meta> tag in the first 4 KB, if any."""
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "ignore") if m else None


def _try(data: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return None if "\ufffd" in text else text


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode a page: BOM, then strict UTF-8, then the declared/meta charset, then detection.

    A result containing replacement characters counts as a failed decode and the next
    candidate is tried; detection (charset-normalizer) is the last resort.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    text = _try(data, "utf-8")
    if text is not None:
        return text
    for candidate in (declared, sniff_meta_charset(data)):
        text = _try(data, canonical_encoding(candidate))
        if text is not None and canonical_encoding(candidate) != "utf-8":
            return text
    best = from_bytes(data).best()
    if best is not None:
        encoding = canonical_encoding(best.encoding) or best.encoding
        text = _try(data, encoding)
        if text is not None:
            return text
    text = _try(data, "gb18030")
    if text is not None:
        return text
    return data.decode("utf-8", errors="replace")
