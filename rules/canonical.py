"""Canonical forms: what counts as the same text, value and rule set.

Layout noise (spacing, full-width forms, punctuation, row order, 40 vs 40.0) must never
surface as a change, because every change may end up in somebody's mailbox.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry import RuleRow

_PUNCT = str.maketrans(
    {
        "。": ".",
        "｡": ".",
        "、": ",",
        "〔": "(",
        "〕": ")",
        "【": "(",
        "】": ")",
        "［": "(",
        "］": ")",
        "[": "(",
        "]": ")",
        "﹝": "(",
        "﹞": ")",
        "〖": "(",
        "〗": ")",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "—": "-",
        "–": "-",
        "－": "-",
        "‐": "-",
        "‑": "-",
        "―": "-",
        "─": "-",
        "～": "~",
        "〜": "~",
    }
)
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
# Characters that can only be noise once NFKC has run; a string without any is already canonical.
_NOISY = re.compile(
    r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad。｡、〔〕【】［］\[\]﹝﹞〖〗“”‘’「」『』—–－‐‑―─～〜]"
)
_EDGE = ".,;:!?"


@lru_cache(maxsize=65536)
def canonical_text(text: str) -> str | None:
    """Text as compared: NFKC, no whitespace at all, one form per punctuation mark.

    Returns None for text that is empty after cleaning, so "" and None never differ.
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _NOISY.search(text):
        text = _INVISIBLE.sub("", text).translate(_PUNCT)
    text = text.strip(_EDGE)
    return text or None


def canonical_value(value: Any) -> Any:
    """A field value as compared: canonical text, and 40 == 40.0 (floats rounded to 1e-9)."""
    if isinstance(value, str):
        return canonical_text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):  # noqa: UP038 (the tuple form is the faster check)
        number = round(float(value), 9)
        return int(number) if number.is_integer() else number
    return value


def canonical_rows(rows: Sequence[RuleRow]) -> list[dict[str, Any]]:
    """Rows as sorted plain dicts: order and provenance never change a rule set's identity."""
    out = [
        {"kind": r.kind, "key": r.key(), **{k: _plain_number(v) for k, v in r.fields().items()}} for r in rows
    ]
    out.sort(key=lambda d: (d["kind"], d["key"], repr(sorted(d.items()))))
    return out


def plain_fields(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """Field values as printed: 15, never 15.0, whichever parser produced them."""
    return None if fields is None else {k: _plain_number(v) for k, v in fields.items()}


def _plain_number(value: Any) -> Any:
    """40 and 40.0 are the same rule."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical_json(rows: Sequence[RuleRow]) -> str:
    """The canonical JSON whose sha256 identifies a rule-set version (unique per series)."""
    return json.dumps(canonical_rows(rows), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
