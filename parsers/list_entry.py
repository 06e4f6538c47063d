"""One row of a list page, as read and as remembered (storage/list_pages.py).

Apart from parsers/trs_page.py so that what remembers list pages does not load lxml.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ListEntry:
    url: str
    title: str  # the full title: the link's ``title`` attribute beats its truncated text
    date: dt.date | None
    offsite: bool
