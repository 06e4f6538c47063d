"""What a crawl reads from the policywatch config, typed: handed to the crawl child as JSON.

policywatch/config.py reads and validates the config file once and builds a CrawlConfig;
``crawlers.runner`` puts it in the child's environment ($POLICYWATCH_CRAWL_CONFIG), so the
child reads no config file. Without one (``scrapy list`` / ``scrapy crawl ID`` by hand) the
built-in defaults and the built-in sources apply.

The sections' fields are also the schema of their config keys: the default, and in
``metadata`` the ``doc`` line of the README's reference and the constraints policywatch
checks on load (``min``, ``max``, ``choices``, ``format``, ``item_format``, ``optional``,
``secret_env``; see policywatch/config.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from storage.database import DEFAULT_URL

ENV_VAR = "POLICYWATCH_CRAWL_CONFIG"
BUILT_IN_DEFAULTS = "built-in defaults"  # the origin of settings that come from no file

DEFAULT_KEYWORDS = (
    "落户", "户籍", "入户", "积分", "居住证", "新市民", "紧缺", "急需", "职业(工种)目录",
    "工种目录", "人才引进", "技能人才", "分数线", "技能等级", "职业资格",
)  # fmt: skip


@dataclass(frozen=True)
class CrawlSettings:
    """[crawl]: politeness, limits and relevance for every source."""

    user_agent: str = field(
        default="policywatch/{version} (+{contact})",
        metadata={"doc": "User-Agent; {version} and {contact} are filled in.", "format": "user_agent"},
    )
    contact: str = field(
        default="https://github.com/policywatch/policywatch",
        metadata={"doc": "Contact URL or mailto: shown to site operators in the User-Agent."},
    )
    download_delay: float = field(
        default=2.0,
        metadata={
            "doc": "Seconds between requests to one host (AutoThrottle may add more); >= 1 recommended.",
            "min": 0,
            "max": 3600,
        },
    )
    concurrent_requests_per_domain: int = field(
        default=1, metadata={"doc": "Open connections per host.", "min": 1}
    )
    obey_robots_txt: bool = field(default=True, metadata={"doc": "Obey robots.txt."})
    max_download_bytes: int = field(
        default=20 * 1024 * 1024,
        metadata={
            "doc": "Largest response or attachment downloaded; bigger ones are skipped and reported.",
            "min": 1024,
        },
    )
    timeout_seconds: int = field(default=30, metadata={"doc": "Per-request timeout.", "min": 1, "max": 3600})
    retries: int = field(
        default=3, metadata={"doc": "Retries on 5xx, timeouts and resets (with backoff).", "min": 0}
    )
    retry_backoff_seconds: float = field(
        default=2.0,
        metadata={
            "doc": "First retry waits this long, each further retry twice as long (capped at 60 s).",
            "min": 0,
        },
    )
    list_pages: int = field(
        default=3,
        metadata={"doc": "List pages read per section: page 0 plus this many minus one.", "min": 1},
    )
    recheck_days: int = field(
        default=7,
        metadata={
            "doc": "Relevant documents that are not current are rechecked (conditional requests) "
            "after this many days.",
            "min": 0,
        },
    )
    current_window_days: int = field(
        default=730,
        metadata={
            "doc": "Relevant documents published within this many days, or feeding a rule set in "
            "force, are rechecked on every poll, attachments included (0: only those in force).",
            "min": 0,
        },
    )
    start_jitter_seconds: float = field(
        default=0.0,
        metadata={
            "doc": "Random delay before each source's crawl starts (the daemon sets its own).",
            "min": 0,
        },
    )
    browser: str = field(
        default="auto",
        metadata={
            "doc": "auto: a page that answers with a JavaScript challenge (瑞数 412, 加速乐 521) is fetched "
            "again through headless Chromium, and so are the source's other pages in that crawl; "
            "off: never (the source is blocked).",
            "choices": ("auto", "off"),
        },
    )
    browser_executable: str = field(
        default="/usr/bin/chromium",
        metadata={"doc": "The Chromium the browser fetch launches (Debian's chromium package)."},
    )
    browser_wait_seconds: float = field(
        default=15.0,
        metadata={
            "doc": "How long the browser may take to pass a challenge (run its script, reload) "
            "before the source is reported blocked.",
            "min": 1,
            "max": 120,
        },
    )
    keywords: tuple[str, ...] = field(
        default=DEFAULT_KEYWORDS,
        metadata={
            "doc": "An announcement is relevant (details and attachments fetched) when its title "
            "or body contains one of these."
        },
    )


@dataclass(frozen=True)
class LogSettings:
    """[log]: where log lines go; the crawl child logs to the same places."""

    level: str = field(
        default="INFO",
        metadata={"doc": "DEBUG, INFO, WARNING or ERROR.", "choices": ("DEBUG", "INFO", "WARNING", "ERROR")},
    )
    file: str = field(
        default="",
        metadata={
            "doc": "Also log to this file, rotated (empty: stderr only).",
            "format": "log_file",
            "optional": True,
        },
    )
    max_bytes: int = field(
        default=10 * 1024 * 1024, metadata={"doc": "Rotate the log file at this size.", "min": 1024}
    )
    backups: int = field(default=5, metadata={"doc": "Rotated log files kept.", "min": 0})


@dataclass(frozen=True)
class SourceOverride:
    """[sources.<id>]: changes to a built-in source, or a whole new one (None: not set)."""

    start_urls: tuple[str, ...] | None = field(
        default=None,
        metadata={
            "doc": "List-page URLs; replaces the registry's (allowed domains follow their hosts).",
            "item_format": "url",
        },
    )
    allowed_domains: tuple[str, ...] | None = field(
        default=None,
        metadata={"doc": "Hosts the spider may fetch from (default: the start URLs' hosts)."},
    )
    enabled: bool | None = field(default=None, metadata={"doc": "false disables the source."})
    name: str | None = field(default=None, metadata={"doc": "Chinese name (required for a new source)."})
    authority: str | None = field(
        default=None,
        metadata={"doc": "hrss (人社), psb (公安) or gov (政府) (required for a new source)."},
    )
    region: str | None = field(
        default=None,
        metadata={
            "doc": "Region id, e.g. fujian, zhangzhou, pingtan (rules/data/regions.toml names them; "
            "required for a new source)."
        },
    )
    family: str | None = field(
        default=None,
        metadata={"doc": "Spider family that reads it, e.g. trs (required for a new source)."},
    )
    schedule: str | None = field(
        default=None,
        metadata={"doc": "Cron expression overriding schedule.crawl for this source.", "format": "cron"},
    )
    list_pages: int | None = field(
        default=None, metadata={"doc": "Overrides crawl.list_pages for this source.", "min": 1}
    )
    fetch: str | None = field(
        default=None,
        metadata={
            "doc": "http (default: the browser only after a challenge) or browser (list and detail "
            "pages always through headless Chromium).",
            "choices": ("http", "browser"),
        },
    )

    def given(self) -> dict[str, Any]:
        """The keys the config sets, in schema order."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class CrawlConfig:
    """Everything a crawl reads from the config; ``origin`` names the file for error messages."""

    origin: str = BUILT_IN_DEFAULTS
    database_url: str = field(default=DEFAULT_URL, repr=False)  # may carry the password
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    log: LogSettings = field(default_factory=LogSettings)  # log.file already absolute
    sources: Mapping[str, SourceOverride] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlConfig:
        """The config ``to_json`` wrote; ValueError if ``text`` is something else."""
        try:
            data = json.loads(text)
            return cls(
                origin=data["origin"],
                database_url=data["database_url"],
                crawl=_section(CrawlSettings, data["crawl"]),
                log=_section(LogSettings, data["log"]),
                sources={sid: _section(SourceOverride, o) for sid, o in data["sources"].items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a crawl config ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_environment(cls) -> CrawlConfig:
        """The config the parent process handed over, else the built-in defaults."""
        text = os.environ.get(ENV_VAR)
        if not text:
            return cls()
        try:
            return cls.from_json(text)
        except ValueError as exc:
            raise ValueError(f"${ENV_VAR}: {exc}") from None


Section = TypeVar("Section")


def _section(cls: type[Section], data: dict[str, Any]) -> Section:
    """A settings dataclass from its JSON form (lists there are tuples here)."""
    return cls(**{key: tuple(v) if isinstance(v, list) else v for key, v in data.items()})
