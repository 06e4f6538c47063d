"""Terminal output for the CLI: aligned tables that respect the width of CJK characters, and
the one form of times in ``--json`` output."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from notifier.columns import render_table


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    print("\n".join(render_table(headers, rows)), file=out or sys.stdout)


def json_time(value: object) -> str:
    """``json.dumps(default=json_time)``: times for scripts, UTC ISO 8601 with the offset."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
