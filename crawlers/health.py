"""Per-source crawl health: what `policywatch crawl` prints and a CrawlRun row records.

No Scrapy import here: the CLI and the daemon read SourceHealth without loading Scrapy.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# Worst first: the status of a source is the worst thing that happened during its crawl.
STATUSES = ("blocked", "failing", "structure-changed", "empty", "ok")
FAILED = frozenset(STATUSES) - {"ok"}
BROWSER_NOTE = "read through the browser"  # a message starting so: the source was read via Chromium
# C0/C1 controls, line/paragraph separators and bidi overrides: a site must not write escape
# sequences or fake lines into our logs and terminal through a link or a Location header.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str, limit: int = 300) -> str:
    """Site-supplied text made safe for one log or terminal line: controls escaped, length capped."""
    text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class SourceHealth:
    source_id: str
    status: str
    items_seen: int = 0
    new_documents: int = 0
    changed_documents: int = 0
    requests: int = 0
    bytes_downloaded: int = 0
    errors: int = 0
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceHealth:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def status_label(status: str, message: str | None) -> str:
    """The status as shown to operators: ``ok (browser)`` for a source read through Chromium."""
    if status == "ok" and (message or "").startswith(BROWSER_NOTE):
        return "ok (browser)"
    return status


@dataclass
class HealthTracker:
    """Counts what one spider saw; the spider reports events, `result` decides the status."""

    source_id: str
    problems: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in STATUSES})
    items_seen: int = 0
    errors: int = 0
    offsite_links: int = 0
    notes: list[str] = field(default_factory=list)
    had_documents: bool = False  # the source had list entries in earlier crawls
    browser_pages: int = 0  # pages read through the browser (crawlers/browser_fetch.py)
    browser_seconds: float = 0.0  # the longest a challenge took to pass

    def read_by_browser(self, seconds: float) -> None:
        self.browser_pages += 1
        self.browser_seconds = max(self.browser_seconds, seconds)

    def problem(self, status: str, detail: str) -> None:
        self.problems[status].append(detail)

    def error(self, detail: str, *, failing: bool = False) -> None:
        self.errors += 1
        if failing:
            self.problem("failing", detail)
        else:
            self.notes.append(detail)

    def status(self) -> str:
        return next((s for s in STATUSES[:-1] if self.problems[s]), "ok")

    def message(self) -> str:
        parts = [f"{s}: {d}" for s in STATUSES[:-1] for d in self.problems[s][:3]]
        if self.browser_pages:
            parts.insert(
                0,
                f"{BROWSER_NOTE} ({self.browser_pages} pages; the challenge took up to "
                f"{self.browser_seconds:.1f} s)",
            )
        parts += self.notes[:3]
        if len(self.notes) > 3:
            parts.append(f"… {len(self.notes) - 3} more errors")
        if self.offsite_links:
            parts.append(f"{self.offsite_links} off-site links recorded, not followed")
        return "; ".join(printable(p) for p in parts)

    def result(
        self, *, new: int, changed: int, requests: int, bytes_downloaded: int, extra_errors: int = 0
    ) -> SourceHealth:
        return SourceHealth(
            source_id=self.source_id,
            status=self.status(),
            items_seen=self.items_seen,
            new_documents=new,
            changed_documents=changed,
            requests=requests,
            bytes_downloaded=bytes_downloaded,
            errors=self.errors + extra_errors,
            message=self.message(),
        )
