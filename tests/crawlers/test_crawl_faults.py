"""Faults, all in one crawl batch: each source has its own server with one injected problem.

One failing source never stops the others, and what was stored before a failure stays.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawlers.crawl_helpers import (
    GOV,
    GOV_LIST,
    HRSS,
    HRSS_LIST,
    paths,
    source_toml,
    stored,
    write_crawl_config,
)
from tests.harness import run_cli

pytestmark = pytest.mark.slow

P1 = r"/t20251103_100001\.htm$"
P2 = r"/t20251020_100002\.htm$"
XLSX = r"/P020251103512345678901\.xlsx$"
DOCX = r"/P020250915398765432102\.docx$"
PAGE0 = rf"^{HRSS_LIST}$"
CHALLENGE = (
    b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    b"<script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=81234;"
    b'$_ts.cd="qqqqrrGlrjfkdAEsjEAWhqALcaEWaq";</script>'
    b'<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js" r="m"></script>'
    b"</head><body></body></html>"
)


def test_faults_are_reported_per_source(site_factory, database_url, sessions, workdir: Path) -> None:
    servers = {}

    def hrss(source_id: str, state: str = "base"):
        servers[source_id] = site_factory(HRSS, state)
        return source_toml(source_id, [servers[source_id].url(HRSS_LIST)])

    toml = "".join(
        hrss(sid)
        for sid in (
            "f-retry", "f-timeout", "f-reset", "f-412", "f-521", "f-blank", "f-big", "f-redirect", "f-att",
            "f-biglist",
        )
    )  # fmt: skip
    toml += hrss("f-redesign", "redesign")
    servers["f-ok"] = site_factory(GOV)
    toml += source_toml("f-ok", [servers["f-ok"].url(GOV_LIST)])

    servers["f-retry"].add_fault(P1, status=500, times=2)
    servers["f-timeout"].add_fault(P2, delay=2.5)
    servers["f-reset"].add_fault(XLSX, reset=True)
    servers["f-412"].add_fault(PAGE0, status=412, body=CHALLENGE)
    servers["f-521"].add_fault(
        PAGE0, status=521, body=b"<script>document.cookie='__jsl_clearance=1'</script>",
        headers={"Set-Cookie": "__jsluid_h=2bd4e8f7c0a1; max-age=31536000; path=/; HttpOnly"},
    )  # fmt: skip
    servers["f-blank"].add_fault(
        PAGE0,
        status=200,
        body="<html><head><title>厦门市人力资源和社会保障局</title></head><body></body></html>".encode(),
    )
    servers["f-big"].add_fault(DOCX, status=200, body=b"PK\x03\x04" + b"\0" * 300_000)
    servers["f-biglist"].add_fault(PAGE0, status=200, body=b"<html><body>" + b"x" * 300_000)
    servers["f-att"].add_fault(XLSX, status=200, body=CHALLENGE)  # a challenge in place of the file
    servers["f-att"].add_fault(DOCX, status=200, body=b"")
    # (an escape sequence in the Location must not reach the terminal or the health message)
    moved = f"http://localhost:{servers['f-redirect'].port}/moved/elsewhere.htm?\x1b[2J"
    servers["f-redirect"].add_fault(P2, status=302, headers={"Location": moved})

    config = write_crawl_config(
        workdir / "policywatch.toml", database_url, toml, timeout_seconds=1, max_download_bytes=200_000
    )
    ids = [*servers]
    args = ["--config", str(config), "--json", "crawl"] + [x for sid in ids for x in ("--source", sid)]
    result = run_cli(*args, cwd=workdir)
    assert result.code == 1, result.stderr  # some sources failed
    health = {h["source_id"]: h for h in json.loads(result.stdout)}
    assert set(health) == set(ids)  # every source completed and reported

    # 500, 500, then success: retried, stored, ok
    assert health["f-retry"]["status"] == "ok"
    assert len(paths(servers["f-retry"], P1)) == 3
    assert stored(sessions, "f-retry")["/xxgk/tzgg/202511/t20251103_100001.htm"].versions

    # timeouts and resets exhaust the retries: failing, but the rest of the site is stored
    for sid, path in (("f-timeout", P2), ("f-reset", XLSX)):
        assert health[sid]["status"] == "failing", health[sid]
        if sid == "f-reset":  # (a timed-out request is logged by the server only if answered)
            assert len(paths(servers[sid], path)) >= 3  # first try + 2 retries (+ Twisted's own)
        docs = stored(sessions, sid)
        assert docs["/xxgk/tzgg/202511/t20251103_100001.htm"].versions
        assert docs["/xxgk/tzgg/202509/P020250915398765432101.pdf"].versions
    assert "/xxgk/tzgg/202511/P020251103512345678901.xlsx" not in stored(sessions, "f-reset")

    # challenges and near-empty pages are "blocked", never "no news"
    for sid in ("f-412", "f-521", "f-blank"):
        assert health[sid]["status"] == "blocked", health[sid]
    assert "$_ts" in health["f-412"]["message"] and "__jsluid" in health["f-521"]["message"]
    assert health["f-redesign"]["status"] == "structure-changed"

    # a challenge or an empty body answered 200 for an attachment is not stored as its content
    assert health["f-att"]["status"] == "blocked" and "$_ts" in health["f-att"]["message"]
    assert "empty attachment" in health["f-att"]["message"]
    att_docs = stored(sessions, "f-att")
    assert not any(d.versions for p, d in att_docs.items() if p.endswith((".xlsx", ".docx")))
    assert att_docs["/xxgk/tzgg/202509/P020250915398765432101.pdf"].versions

    # an oversized attachment is skipped and reported; the crawl goes on
    big = health["f-big"]
    assert big["status"] == "ok" and big["errors"] >= 1 and "max_download_bytes" in big["message"]
    big_docs = stored(sessions, "f-big")
    assert not any(d.versions for p, d in big_docs.items() if p.endswith(".docx"))
    assert big_docs["/xxgk/tzgg/202509/P020250915398765432101.pdf"].versions

    # an oversized first list page leaves nothing to read: failing, not "ok" with no entries
    assert health["f-biglist"]["status"] == "failing", health["f-biglist"]
    assert "max_download_bytes" in health["f-biglist"]["message"]

    # a redirect to another domain is not followed
    assert not paths(servers["f-redirect"], "^/moved/")
    assert "redirect to another domain" in health["f-redirect"]["message"]
    assert "\x1b" not in health["f-redirect"]["message"] and "\x1b" not in result.stderr

    assert health["f-ok"]["status"] == "ok" and health["f-ok"]["new_documents"] >= 3
