"""The sources registry: crawlers/sources.toml, validated, with the config's overrides applied."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from crawlers.crawl_config import CrawlConfig

REGISTRY_FILE = Path(__file__).with_name("sources.toml")
SPIDER_FAMILIES = ("trs",)  # families implemented in crawlers/spiders
AUTHORITIES = ("hrss", "psb", "gov")
FETCH_MODES = ("http", "browser")  # browser: list and detail pages through headless Chromium
REQUIRED = ("name", "authority", "region", "family", "start_urls")


class SourceError(ValueError):
    """A source that cannot be crawled, or an unknown source id: one line, exit 2 in the CLIs."""

    def __init__(self, origin: str, key: str, expected: str, got: object = None) -> None:
        self.origin, self.key, self.expected, self.got = origin, key, expected, got
        shown = "" if got is None else f", got {got!r}"
        super().__init__(f"{origin}: {key}: expected {expected}{shown}")


@dataclass(frozen=True)
class SourceDefinition:
    id: str
    name: str
    authority: str
    region: str
    family: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    enabled: bool = True
    verified: bool = False
    schedule: str | None = None  # cron override of schedule.crawl
    list_pages: int | None = None  # override of crawl.list_pages
    fetch: str = "http"  # or "browser" (crawlers/browser_fetch.py)


def _hosts(urls: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(urlsplit(u).hostname or "" for u in urls))


def _build(source_id: str, data: Mapping[str, object], origin: str) -> SourceDefinition:
    for key in REQUIRED:
        if key not in data:
            raise SourceError(origin, f"sources.{source_id}.{key}", "a value (required for a new source)")
    urls = tuple(str(u) for u in data["start_urls"])  # type: ignore[attr-defined]
    domains = tuple(str(d) for d in data.get("allowed_domains") or ()) or _hosts(urls)  # type: ignore[attr-defined]
    source = SourceDefinition(
        id=source_id,
        name=str(data["name"]),
        authority=str(data["authority"]),
        region=str(data["region"]),
        family=str(data["family"]),
        start_urls=urls,
        allowed_domains=domains,
        enabled=bool(data.get("enabled", True)),
        verified=bool(data.get("verified", False)),
        schedule=data.get("schedule"),  # type: ignore[arg-type]
        list_pages=data.get("list_pages"),  # type: ignore[arg-type]
        fetch=str(data.get("fetch") or "http"),
    )
    return _checked(source, origin)


# Ids end up in file names, log lines and URLs: letters, digits and dashes only (no "../").
_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


def on_domains(url: str, domains: list[str] | tuple[str, ...]) -> bool:
    """Whether the URL's host is one of ``domains`` or below one of them (never for a URL that
    does not parse, such as an unclosed IPv6 bracket)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))


def _checked(source: SourceDefinition, origin: str) -> SourceDefinition:
    """The source, if a spider can read it: safe ids, a known family and authority, start URLs
    inside the allowed domains (a source that may not fetch its own list page reads nothing)."""
    key = f"sources.{source.id}"
    if not _SAFE_ID.match(source.id):
        raise SourceError(origin, key, "an id of lower-case letters, digits and dashes", source.id)
    if not _SAFE_ID.match(source.region):
        raise SourceError(
            origin, f"{key}.region", "a region id of lower-case letters, digits and dashes", source.region
        )
    if source.family not in SPIDER_FAMILIES:
        raise SourceError(origin, f"{key}.family", "one of " + ", ".join(SPIDER_FAMILIES), source.family)
    if source.authority not in AUTHORITIES:
        raise SourceError(origin, f"{key}.authority", "one of " + ", ".join(AUTHORITIES), source.authority)
    if source.fetch not in FETCH_MODES:
        raise SourceError(origin, f"{key}.fetch", "one of " + ", ".join(FETCH_MODES), source.fetch)
    if not source.start_urls:
        raise SourceError(origin, f"{key}.start_urls", "at least one URL")
    bad = [d for d in source.allowed_domains if not _HOSTNAME.match(d)]
    if not source.allowed_domains or bad:
        raise SourceError(
            origin, f"{key}.allowed_domains", "host names like rsj.xm.gov.cn", list(source.allowed_domains)
        )
    for url in source.start_urls:
        if not on_domains(url, source.allowed_domains):
            raise SourceError(
                origin,
                f"{key}.allowed_domains",
                f"domains that include the host of {url}",
                list(source.allowed_domains),
            )
    return source


def builtin_sources() -> dict[str, SourceDefinition]:
    return dict(_builtin_sources())


@functools.cache
def _builtin_sources() -> dict[str, SourceDefinition]:
    """Parsed once per process: a command asks for the sources several times."""
    raw = tomllib.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    return {sid: _build(sid, data, str(REGISTRY_FILE)) for sid, data in raw.items()}


def load_sources(config: CrawlConfig, *, include_disabled: bool = False) -> list[SourceDefinition]:
    """Built-in sources overlaid with [sources.<id>] from the config; new ids need every field."""
    sources = builtin_sources()
    for source_id, override in config.sources.items():
        given = override.given()
        base = sources.get(source_id)
        if base is None:
            sources[source_id] = _build(source_id, given, config.origin)
            continue
        changes = {k: v for k, v in given.items() if k not in ("start_urls", "allowed_domains")}
        if override.start_urls is not None:
            changes["start_urls"] = override.start_urls
            changes["allowed_domains"] = _hosts(override.start_urls)
        if override.allowed_domains is not None:
            changes["allowed_domains"] = override.allowed_domains
        sources[source_id] = _checked(replace(base, **changes), config.origin)
    return [s for s in sources.values() if include_disabled or s.enabled]


def select_sources(config: CrawlConfig, ids: list[str] | None) -> list[SourceDefinition]:
    """The enabled sources, or exactly the ones asked for (an unknown id is a usage error)."""
    everything = {s.id: s for s in load_sources(config, include_disabled=True)}
    if not ids:
        return [s for s in everything.values() if s.enabled]
    unknown = [i for i in ids if i not in everything]
    if unknown:
        raise SourceError("--source", ",".join(unknown), "one of " + ", ".join(everything))
    return [everything[i] for i in ids]
