"""Region ids and the names people use for them (the sources registry names the regions crawled)."""

from __future__ import annotations

from .display import one_line

REGION_LABELS: dict[str, str] = {"fujian": "福建省", "fuzhou": "福州", "xiamen": "厦门", "quanzhou": "泉州"}
REGIONS: tuple[str, ...] = tuple(REGION_LABELS)


def region_label(region: str) -> str:
    return REGION_LABELS.get(region, one_line(region))
