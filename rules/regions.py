"""Region ids and the names people use for them, read from rules/data/regions.toml.

Regions are data: adding one is a table in that file (and its sources in the crawlers'
registry), never code. A region a source names but the file does not is shown by its id.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .display import one_line

REGIONS_FILE = Path(__file__).parent / "data" / "regions.toml"


@dataclass(frozen=True)
class Region:
    id: str
    name: str  # full Chinese name: 漳州市, 平潭综合实验区
    label: str  # short name in digests and reports: 漳州, 平潭


def load_regions(path: Path = REGIONS_FILE) -> dict[str, Region]:
    """The regions of ``path`` in file order; ValueError naming the file for a malformed entry."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, Region] = {}
    for rid, data in raw.items():
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("name", "label")):
            raise ValueError(f"{path}: [{rid}]: expected string keys name and label")
        out[rid] = Region(rid, data["name"], data["label"])
    return out


KNOWN_REGIONS: dict[str, Region] = load_regions()
REGION_LABELS: dict[str, str] = {rid: r.label for rid, r in KNOWN_REGIONS.items()}
REGIONS: tuple[str, ...] = tuple(KNOWN_REGIONS)


def region_label(region: str) -> str:
    return REGION_LABELS.get(region, one_line(region))


def region_names(region: str) -> tuple[str, ...]:
    """Every name a person may type for ``region``: its id, label and full name."""
    known = KNOWN_REGIONS.get(region)
    return (region,) if known is None else tuple(dict.fromkeys((region, known.label, known.name)))
