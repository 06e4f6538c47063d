"""Values as people read them: one line, numbers printed the way offices write them.

Values come from crawled pages, so every line is forced onto one line and stripped of
control characters: a stray CR/LF in a title must not split an email header or a table row.
"""

from __future__ import annotations

import re
from typing import Any

MAX_TEXT = 40  # widest free-text value shown in a summary

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Unicode format characters (category Cf): zero-width and bidi controls that can disguise text.
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001-\U000e007f]"
)
_SPACES = re.compile(r"\s+")


def one_line(text: Any, limit: int | None = None) -> str:
    """Crawled text made safe for a single line: no control chars, no line breaks, bounded."""
    out = _SPACES.sub(" ", _CONTROL.sub(" ", _FORMAT.sub("", str(text)))).strip()
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


def number(value: Any) -> str:
    """10.0 -> "10", 0.5 -> "0.5": points are printed the way offices write them."""
    if isinstance(value, bool) or value is None:
        return "无" if value is None else str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return one_line(value, MAX_TEXT)


def display_value(name: str, value: Any) -> str:
    """A field value for a person: None as 无, sign as 加分/减分, text bounded to one line."""
    if value is None or value == "":
        return "无"
    if name == "sign":
        return "减分" if value == -1 else "加分"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return one_line(value, MAX_TEXT)


def arrow(before: Any, after: Any, name: str = "") -> str:
    return f"{display_value(name, before)} → {display_value(name, after)}"
