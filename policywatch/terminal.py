"""Terminal output for the CLI: aligned tables that respect the width of CJK characters."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

from notifier.columns import render_table


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    print("\n".join(render_table(headers, rows)), file=out or sys.stdout)
