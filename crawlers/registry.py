"""The sources registry: crawlers/sources.toml, validated, with the config's overrides applied."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from policywatch.config import Config, ConfigError

REGISTRY_FILE = Path(__file__).with_name("sources.toml")
SPIDER_FAMILIES = ("trs",)  # families implemented in crawlers/spiders
AUTHORITIES = ("hrss", "psb", "gov")
REQUIRED = ("name", "authority", "region", "family", "start_urls")


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


def _hosts(urls: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(urlsplit(u).hostname or "" for u in urls))


def _build(source_id: str, data: dict[str, object], origin: str) -> SourceDefinition:
    for key in REQUIRED:
        if key not in data:
            raise ConfigError(origin, f"sources.{source_id}.{key}", "a value (required for a new source)")
    family = str(data["family"])
    if family not in SPIDER_FAMILIES:
        raise ConfigError(
            origin, f"sources.{source_id}.family", "one of " + ", ".join(SPIDER_FAMILIES), family
        )
    authority = str(data["authority"])
    if authority not in AUTHORITIES:
        raise ConfigError(
            origin, f"sources.{source_id}.authority", "one of " + ", ".join(AUTHORITIES), authority
        )
    urls = tuple(str(u) for u in data["start_urls"])  # type: ignore[attr-defined]
    if not urls:
        raise ConfigError(origin, f"sources.{source_id}.start_urls", "at least one URL")
    domains = tuple(str(d) for d in data.get("allowed_domains") or ()) or _hosts(urls)  # type: ignore[attr-defined]
    return SourceDefinition(
        id=source_id,
        name=str(data["name"]),
        authority=authority,
        region=str(data["region"]),
        family=family,
        start_urls=urls,
        allowed_domains=domains,
        enabled=bool(data.get("enabled", True)),
        verified=bool(data.get("verified", False)),
        schedule=data.get("schedule"),  # type: ignore[arg-type]
        list_pages=data.get("list_pages"),  # type: ignore[arg-type]
    )


def builtin_sources() -> dict[str, SourceDefinition]:
    raw = tomllib.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    return {sid: _build(sid, data, str(REGISTRY_FILE)) for sid, data in raw.items()}


def load_sources(config: Config, *, include_disabled: bool = False) -> list[SourceDefinition]:
    """Built-in sources overlaid with [sources.<id>] from the config; new ids need every field."""
    sources = builtin_sources()
    for source_id, overrides in config.sources.items():
        base = sources.get(source_id)
        if base is None:
            sources[source_id] = _build(source_id, overrides, config.origin)
            continue
        changes: dict[str, object] = {
            k: v for k, v in overrides.items() if k not in ("start_urls", "allowed_domains")
        }
        if "start_urls" in overrides:
            changes["start_urls"] = tuple(overrides["start_urls"])
            changes["allowed_domains"] = _hosts(tuple(overrides["start_urls"]))
        if "allowed_domains" in overrides:
            changes["allowed_domains"] = tuple(overrides["allowed_domains"])
        if "family" in changes and changes["family"] not in SPIDER_FAMILIES:
            raise ConfigError(
                config.origin, f"sources.{source_id}.family", "one of " + ", ".join(SPIDER_FAMILIES)
            )
        sources[source_id] = replace(base, **changes)  # type: ignore[arg-type]
    return [s for s in sources.values() if include_disabled or s.enabled]


def select_sources(config: Config, ids: list[str] | None) -> list[SourceDefinition]:
    """The enabled sources, or exactly the ones asked for (an unknown id is a usage error)."""
    everything = {s.id: s for s in load_sources(config, include_disabled=True)}
    if not ids:
        return [s for s in everything.values() if s.enabled]
    unknown = [i for i in ids if i not in everything]
    if unknown:
        raise ConfigError("--source", ",".join(unknown), "one of " + ", ".join(everything))
    return [everything[i] for i in ids]
