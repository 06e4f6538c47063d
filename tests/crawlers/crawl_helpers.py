"""Helpers for the crawler tests: configs pointing sources at local fixture servers, DB reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers.health import SourceHealth
from crawlers.runner import crawl_sources
from policywatch.config import load_config
from policywatch.site_server import SiteServer
from storage.models import Blob, CrawlRun, Document, DocumentVersion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
HRSS = FIXTURES / "trs_hrss"
GOV = FIXTURES / "trs_gov"
HRSS_LIST = "/xxgk/tzgg/"
GOV_LIST = "/zwgk/zxwj/szfwj/"


def source_toml(source_id: str, urls: list[str], region: str = "xiamen", **extra: object) -> str:
    lines = [
        f"[sources.{source_id}]",
        f'name = "测试来源 {source_id}"',
        'authority = "hrss"',
        f'region = "{region}"',
        'family = "trs"',
        "start_urls = [" + ", ".join(f'"{u}"' for u in urls) + "]",
    ]
    lines += [
        f"{k} = {v!r}" if not isinstance(v, bool) else f"{k} = {str(v).lower()}" for k, v in extra.items()
    ]
    return "\n".join(lines) + "\n"


def write_crawl_config(path: Path, database_url: str, sources: str, **crawl: object) -> Path:
    settings = {
        "download_delay": 0,
        "start_jitter_seconds": 0,
        "retry_backoff_seconds": 0,
        "retries": 2,
        "timeout_seconds": 5,
        "contact": "mailto:ops@example.org",
        "browser_wait_seconds": 3,  # the fault sites' challenges never pass: do not wait long
        **crawl,
    }
    body = "\n".join(
        f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}" for k, v in settings.items()
    )
    path.write_text(f'[database]\nurl = "{database_url}"\n\n[crawl]\n{body}\n\n{sources}', encoding="utf-8")
    return path


def crawl(config: Path, *ids: str) -> dict[str, SourceHealth]:
    crawl_config = load_config(str(config)).crawl_config()
    return {h.source_id: h for h in crawl_sources(crawl_config, list(ids), timeout=120)}


@dataclass
class Stored:
    document: Document
    versions: list[DocumentVersion]


def stored(sessions: sessionmaker[Session], source_id: str) -> dict[str, Stored]:
    """Documents of a source by URL path, with their versions."""
    with sessions() as session:
        docs = session.scalars(select(Document).where(Document.source_id == source_id)).all()
        out = {}
        for doc in docs:
            versions = list(
                session.scalars(
                    select(DocumentVersion)
                    .where(DocumentVersion.document_id == doc.id)
                    .order_by(DocumentVersion.id)
                )
            )
            path = "/" + doc.url.split("/", 3)[3]
            out[path] = Stored(doc, versions)
        return out


def blob(sessions: sessionmaker[Session], sha256: str) -> bytes:
    with sessions() as session:
        row = session.get(Blob, sha256)
        assert row is not None
        return row.data


def last_run(sessions: sessionmaker[Session], source_id: str) -> CrawlRun:
    with sessions() as session:
        run = session.scalars(
            select(CrawlRun).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id.desc())
        ).first()
        assert run is not None
        return run


def paths(server: SiteServer, pattern: str = "") -> list[str]:
    return [r.path for r in server.requested(pattern)]
