"""Where a rule row was read: kept with the row, never part of its identity."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a row was read: page body (attachment None) or an attachment, then sheet/page/table/row."""

    attachment: str | None = None
    sheet: str | None = None
    page: int | None = None
    table: int | None = None
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}
