"""Text normalisation shared by every parser (the rules of CONVENTIONS.md, "Text").

Values in rule rows are compared exactly by the diff engine, so every field goes
through one of these functions: layout noise (full-width forms, stray spaces, bracket
styles, trailing punctuation) must never look like a policy change.
"""

from __future__ import annotations

import re
import unicodedata

_BRACKETS = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "〔": "(",
        "〕": ")",
        "【": "(",
        "】": ")",
        "[": "(",
        "]": ")",
        "［": "(",
        "］": ")",
        "﹝": "(",
        "﹞": ")",
        "〖": "(",
        "〗": ")",
        "｛": "(",
        "｝": ")",
    }
)
_DASHES = str.maketrans({c: "-" for c in "—–－‐‑―─−"})
_EDGE_PUNCT = "。；;，,：:、 "
_WS = re.compile(r"\s+")
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# A space next to a CJK character is layout (a wrapped line, a padded cell), not a word break.
_CJK_SPACE = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


# Circled ordinals stay ordinals: NFKC would make "①近五年内…" read "1近五年内…".
_CIRCLED = {chr(0x2460 + i): f"({i + 1})" for i in range(20)}
_CIRCLED_RE = re.compile("[\u2460-\u2473]")


def nfkc(text: str) -> str:
    """NFKC plus removal of zero-width characters; full-width letters/digits become ASCII."""
    if _CIRCLED_RE.search(text):
        text = _CIRCLED_RE.sub(lambda m: _CIRCLED[m.group(0)], text)
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


def normalise_text(text: str | None) -> str | None:
    """Free text (conditions, notes): NFKC, ASCII brackets, whitespace collapsed, edges trimmed.

    Whitespace next to a CJK character is dropped (Chinese has no word spaces; such
    whitespace comes from line wraps and cell padding); elsewhere it becomes one space.

    Returns None for empty input so that "" and None never differ between versions.
    """
    if text is None:
        return None
    out = nfkc(str(text)).translate(_BRACKETS)
    out = _WS.sub(" ", out).strip()
    out = _CJK_SPACE.sub("", out)
    out = strip_edge_punct(out)
    return out or None


def normalise_name(text: str | None) -> str | None:
    """Names, items, categories: like :func:`normalise_text` but with all whitespace removed.

    Offices pad names with spaces to align columns ("电  工"); those spaces carry no meaning.
    """
    if text is None:
        return None
    out = nfkc(str(text)).translate(_BRACKETS)
    out = _WS.sub("", out)
    out = strip_edge_punct(out)
    return out or None


def strip_edge_punct(text: str) -> str:
    """Strip the leading/trailing punctuation listed in CONVENTIONS.md."""
    return text.strip(_EDGE_PUNCT + "\u3000\xa0\t\r\n")


def squash(text: str) -> str:
    """NFKC and remove every whitespace character; used for matching, not for output."""
    return _WS.sub("", nfkc(text))


def unify_dashes(text: str) -> str:
    """Map the many dash characters offices type to ASCII '-' (codes, dates, ranges)."""
    return text.translate(_DASHES)


_ENUM = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\([一二三四五六七八九十\d]+\)|\d+(?:\.\d+)*[、.．)](?!\d)|[①-⑳]|[A-Za-z][、.]"
    r"|第[一二三四五六七八九十百\d]+[条章节款部分]+)"
)


def strip_enumeration(text: str) -> str:
    """Remove a leading list marker: 一、 (一) 1. 1、 ① A."""
    prev = None
    while prev != text:
        prev = text
        text = _ENUM.sub("", text).strip()
    return text
