"""Occupation names and 职业分类大典 codes, normalised (CONVENTIONS.md, "Occupations")."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from .text import nfkc, normalise_name

DATA_DIR = Path(__file__).parent / "data"
ALIASES_PATH = DATA_DIR / "occupation_aliases.toml"

_SEP = r"\s*[-—–－‐‑―一~～_.·]\s*"  # the separators offices print between code groups
# D-DD-DD-DD optionally followed by a two-digit 工种 suffix; 7 or 9 digits when printed bare.
_CODE_SEPARATED = re.compile(
    rf"(?<![\d.])([1-8]){_SEP}(\d{{2}}){_SEP}(\d{{2}}){_SEP}(\d{{2}})(?:{_SEP}(\d{{2}}))?(?![\d])"
)
_CODE_BARE = re.compile(r"(?<![\d.])([1-8])(\d{2})(\d{2})(\d{2})(\d{2})?(?![\d.])")


def split_code(text: str | None) -> tuple[str | None, str | None]:
    """Return (code ``D-DD-DD-DD``, 工种 suffix or None) found in ``text``.

    Accepts 6-31-01-03, 6—31—01—03, 6310103 and 6-31-01-03-01 (suffix returned separately).
    """
    if not text:
        return None, None
    t = nfkc(str(text))
    m = _CODE_SEPARATED.search(t) or _CODE_BARE.search(t)
    if not m:
        return None, None
    major, mid, minor, unit, suffix = m.groups()
    return f"{major}-{mid}-{minor}-{unit}", suffix


def normalise_code(text: str | None) -> str | None:
    """The 职业分类大典 code in ``text`` as ``D-DD-DD-DD``, or None when there is none."""
    return split_code(text)[0]


def strip_code(text: str) -> str:
    """Remove a printed code (and brackets around it) from a name cell such as "电工(6-31-01-03)"."""
    t = nfkc(text)
    t = re.sub(r"[(（\[]\s*" + _CODE_SEPARATED.pattern + r"\s*[)）\]]", "", t)
    t = _CODE_SEPARATED.sub("", t)
    t = re.sub(r"[(（\[]\s*" + _CODE_BARE.pattern + r"\s*[)）\]]", "", t)
    return _CODE_BARE.sub("", t).strip()


@functools.lru_cache(maxsize=8)
def load_aliases(path: str | None = None) -> dict[str, str]:
    """Old or variant name → current name, read from a TOML data file (keys normalised)."""
    with open(path or ALIASES_PATH, "rb") as fh:
        data = tomllib.load(fh)
    out: dict[str, str] = {}
    for old, new in data.get("aliases", {}).items():
        key, value = normalise_name(old), normalise_name(new)
        if key and value:
            out[key] = value
    return out


_ENUM = re.compile(r"^(?:\d+[.、)]|\(\d+\)|[①-⑳])")
_MARKERS = re.compile(r"[*※△▲★☆#＃]+$|^[*※△▲★☆#＃]+")


def normalise_occupation(name: str | None) -> str:
    """Normalised occupation name with old names folded (维修电工 → 电工).

    "电工(维修电工)" folds too: a bracketed part that is an alias of the outer name, or the
    outer name itself an alias, is resolved through the alias table.
    """
    n = normalise_name(strip_code(name or "")) or ""
    n = _ENUM.sub("", n)
    n = _MARKERS.sub("", n) or n  # "电工*", "焊工▲": footnote markers are not part of the name
    aliases = load_aliases()
    if n in aliases:
        return aliases[n]
    m = re.fullmatch(r"(.+?)\((.+)\)", n)
    if m:
        outer, inner = m.group(1), m.group(2)
        outer_c = aliases.get(outer, outer)
        inner_c = aliases.get(inner, inner)
        if outer_c == inner_c:
            return outer_c
        if outer in aliases:
            return aliases[outer]
    return n
