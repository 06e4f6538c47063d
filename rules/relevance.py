"""Does a rule row matter to an electrician? The family of occupations is data (a TOML file)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .occupations import normalise_code, normalise_occupation
from .registry import KINDS
from .text import normalise_name

if TYPE_CHECKING:
    from .registry import RuleRow

DEFAULT_FAMILY_PATH = Path(__file__).parent / "data" / "electrician_family.toml"


@dataclass(frozen=True)
class OccupationFamily:
    """A watched group of occupations: codes, current and old names, 工种, and licences."""

    name: str
    codes: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()  # current and old names and 工种, normalised
    licences: tuple[str, ...] = ()  # special-operation licences (低压电工作业 …)
    licence_keywords: tuple[str, ...] = ()
    members: tuple[dict[str, object], ...] = field(default=(), compare=False)

    def has_code(self, code: str | None) -> bool:
        return bool(code) and normalise_code(code) in self.codes

    def has_name(self, name: str | None) -> bool:
        if not name:
            return False
        n = normalise_name(name)
        return n in self.names or normalise_occupation(name) in self.names


def load_family(path: str | Path) -> OccupationFamily:
    """Read an occupation family from TOML (see rules/data/electrician_family.toml)."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    codes: set[str] = set()
    names: set[str] = set()
    members = []
    for occ in data.get("occupations", []):
        members.append(dict(occ))
        code = normalise_code(occ.get("code"))
        if code:
            codes.add(code)
        for raw in [occ.get("name"), *occ.get("old_names", []), *occ.get("work_types", [])]:
            n = normalise_name(raw)
            if n:
                names.add(n)
    lic = data.get("licences", {})
    return OccupationFamily(
        name=str(data.get("name", Path(path).stem)),
        codes=frozenset(codes),
        names=frozenset(names),
        licences=tuple(n for n in (normalise_name(x) for x in lic.get("names", [])) if n),
        licence_keywords=tuple(n for n in (normalise_name(x) for x in lic.get("keywords", [])) if n),
        members=tuple(members),
    )


@functools.lru_cache(maxsize=1)
def default_family() -> OccupationFamily:
    """The electrician family shipped with the package."""
    return load_family(DEFAULT_FAMILY_PATH)


def is_electrician_related(row: RuleRow, family: OccupationFamily | None = None) -> bool:
    """Whether ``row`` can change what an electrician (or the given family) may do.

    Each kind decides (``RuleKind.relevant``): a shortage row by its code, name or 工种; a
    points item about skill levels, licences or shortage bonuses; a talent condition that
    requires a skill level; a cut-off always.
    """
    return bool(KINDS[row.kind].relevant(row, family or default_family()))
