"""End to end: the TRS spider family crawls fixture sites served on 127.0.0.1 into the database."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.crawl_config import ENV_VAR
from policywatch.config import load_config
from tests.crawlers.crawl_helpers import (
    GOV,
    GOV_LIST,
    HRSS,
    HRSS_LIST,
    blob,
    crawl,
    last_run,
    paths,
    source_toml,
    stored,
    write_crawl_config,
)
from tests.harness import run_cli

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
T1 = "关于公布2026年厦门市急需紧缺职业(工种)目录的通知"
T5 = "关于开展2025年下半年职业技能等级认定工作的通知"
XLSX = "/xxgk/tzgg/202511/P020251103512345678901.xlsx"
PDF = "/xxgk/tzgg/202509/P020250915398765432101.pdf"
DOCX = "/xxgk/tzgg/202509/P020250915398765432102.docx"
P1 = "/xxgk/tzgg/202511/t20251103_100001.htm"
P2 = "/xxgk/tzgg/202510/t20251020_100002.htm"
P3 = "/xxgk/tzgg/202509/t20250915_100003.htm"
P4 = "/xxgk/tzgg/202508/t20250801_100004.htm"


def test_list_detail_attachment_crawl(site_factory, database_url, sessions, workdir: Path) -> None:
    hrss, gov = site_factory(HRSS), site_factory(GOV)
    config = write_crawl_config(
        workdir / "policywatch.toml",
        database_url,
        source_toml("t-hrss", [hrss.url(HRSS_LIST)])
        + source_toml("t-gov", [gov.url(GOV_LIST)], region="fujian", list_pages=2),
    )
    result = run_cli("--config", str(config), "crawl", "--source", "t-hrss", "--source", "t-gov", cwd=workdir)
    assert result.code == 0, result.stderr
    assert "t-hrss" in result.stdout and "requests" in result.stdout.splitlines()[0]
    assert "t-gov: list" in result.stderr  # progress lines

    docs = stored(sessions, "t-hrss")
    # every on-site list entry is a document (robots-forbidden ones too, never fetched)
    assert {p for p, d in docs.items() if d.document.role == "page"} == {
        P1, P2, P3, P4, "/private/202510/t20251010_100009.htm"
    }  # fmt: skip
    assert not any(
        "fujian.gov.cn" in d.document.url or "gov.cn/zhengce" in d.document.url for d in docs.values()
    )
    page = docs[P1]
    assert page.document.list_title == T1  # the title attribute, not the truncated text
    assert page.document.list_date == dt.date(2025, 11, 3)
    (version,) = page.versions
    assert version.title == T1
    assert version.published_at == dt.date(2025, 11, 3)
    assert version.doc_number == "厦人社〔2025〕112号"
    assert version.issuer == "厦门市人力资源和社会保障局"
    assert version.meta["relevant"] is True and version.meta["region"] == "xiamen"
    assert version.meta["info"]["index_number"] == "003000000/2025-00112"
    assert version.etag

    # attachments of relevant announcements: bytes as served, typed by magic bytes
    for path, fmt in ((XLSX, "xlsx"), (PDF, "pdf"), (DOCX, "docx")):
        att = docs[path]
        assert att.document.role == "attachment", path
        assert len(att.versions) == 1
        assert att.versions[0].meta["format"] == fmt
        assert blob(sessions, att.versions[0].sha256) == (HRSS / "base" / path.lstrip("/")).read_bytes()
    assert docs[XLSX].document.parent_id == page.document.id
    assert docs[PDF].document.parent_id == docs[P3].document.id
    assert docs[PDF].versions[0].content_type == "application/pdf"

    # GB18030 page served with a wrong "charset=utf-8" header
    gbk = docs[P4].versions[0]
    assert gbk.title == T5 and gbk.encoding == "gb18030"

    # listModel pagination: index_1 read, index_2 beyond maxStaticIndex never requested
    assert paths(hrss, r"index_1\.htm") and not paths(hrss, r"index_2\.htm")
    assert not paths(hrss, "^/private/")  # robots.txt obeyed
    assert all("mailto:ops@example.org" in r.headers.get("User-Agent", "") for r in hrss.requested())

    gov_docs = stored(sessions, "t-gov")
    # createPageHTML pagination, limited by list_pages = 2
    assert paths(gov, r"index_1\.htm") and not paths(gov, r"index_2\.htm")
    assert "/zwgk/zxwj/szfwj/202510/t20251028_200003.htm" in gov_docs
    # Custom_UnionStyle body; attachment of a relevant page stored, of an irrelevant one not fetched
    gov_page = gov_docs["/zwgk/zxwj/szfwj/202511/t20251110_200001.htm"].versions[0]
    assert gov_page.doc_number == "闽政〔2025〕21号"
    assert "/zwgk/zxwj/szfwj/202511/P020251110700000000001.pdf" in gov_docs
    assert not paths(gov, r"P020251105700000000002\.xlsx")

    run = last_run(sessions, "t-hrss")
    assert run.status == "ok" and run.items_seen == 5 and run.new_documents == 7 and run.errors == 0
    assert run.requests >= 9 and run.bytes_downloaded > 40000
    listing = run_cli("--config", str(config), "--json", "sources", cwd=workdir)
    statuses = {row["id"]: row["status"] for row in json.loads(listing.stdout)}
    assert statuses["t-hrss"] == "ok" and statuses["t-gov"] == "ok"


def test_unknown_source_is_a_usage_error(workdir: Path, database_url) -> None:
    config = write_crawl_config(workdir / "policywatch.toml", database_url, "")
    result = run_cli("--config", str(config), "crawl", "--source", "no-such-source", cwd=workdir)
    assert result.code == 2
    assert "no-such-source" in result.stderr


def test_scrapy_list_and_scrapy_crawl(site_factory, database_url, sessions, tmp_path: Path) -> None:
    gov = site_factory(GOV)
    config = write_crawl_config(
        tmp_path / "policywatch.toml", database_url, source_toml("t-scrapy", [gov.url(GOV_LIST)])
    )
    env = {**os.environ, ENV_VAR: load_config(str(config)).crawl_config().to_json()}
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    listed = subprocess.run([scrapy, "list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    ids = listed.stdout.split()
    for source_id in ("fujian-hrss", "xiamen-hrss", "fuzhou-psb", "quanzhou-gov", "t-scrapy"):
        assert source_id in ids
    prefectures = ("fuzhou", "xiamen", "quanzhou", "zhangzhou", "putian", "sanming", "nanping", "longyan")
    for region in (*prefectures, "ningde", "pingtan"):  # every region's 人社, 公安 and 政府 sources
        assert {f"{region}-hrss", f"{region}-psb", f"{region}-gov"} <= set(ids), region
    crawled = subprocess.run(
        [scrapy, "crawl", "t-scrapy"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    docs = stored(sessions, "t-scrapy")
    assert docs["/zwgk/zxwj/szfwj/202511/t20251110_200001.htm"].versions
    assert last_run(sessions, "t-scrapy").status == "ok"


def test_links_to_another_allowed_host_are_followed(
    site_factory, database_url, sessions, tmp_path: Path
) -> None:
    """allowed_domains decides what is fetched: a detail page on another allowed host is read."""
    site = site_factory(HRSS)
    other = f"http://localhost:{site.port}"
    listing = (
        '<html><head><meta charset="utf-8"><title>通知公告</title></head><body><ul>'
        f'<li><a href="{other}{P1}" title="{T1}">关于公布…</a><span>2025-11-03</span></li>'
        '<li><a href="https://www.fujian.gov.cn/t20251015_700001.htm" title="省政府文件">省政府…</a>'
        "<span>2025-10-15</span></li></ul></body></html>"
    )
    site.add_fault(rf"^{HRSS_LIST}$", status=200, body=listing.encode())
    # the attachment redirects once to the same file on the other allowed host: it is still
    # the document of the link on the page, so the next poll can ask for it conditionally
    site.add_fault(rf"^{XLSX}$", status=302, headers={"Location": site.url(XLSX)}, times=1)
    sources = source_toml("t-hosts", [site.url(HRSS_LIST)], allowed_domains=["127.0.0.1", "localhost"])
    config = write_crawl_config(tmp_path / "policywatch.toml", database_url, sources)
    health = crawl(config, "t-hosts")["t-hosts"]
    assert health.status == "ok", health
    assert health.items_seen == 1 and "1 off-site links" in health.message
    assert paths(site, rf"^{P1}$") and paths(site, rf"^{XLSX}$")
    docs = stored(sessions, "t-hosts")
    assert docs[P1].document.url == f"{other}{P1}" and docs[P1].versions
    assert docs[XLSX].document.url == f"{other}{XLSX}" and docs[XLSX].versions
    assert len(paths(site, rf"^{XLSX}$")) == 2  # the redirect, then the file
