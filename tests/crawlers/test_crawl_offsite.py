"""Off-site redirects and refreshes, in one crawl batch against two loopback hosts.

127.0.0.1 serves each source's site; 127.0.0.2 stands for a foreign host and serves the same
pages, so a crawler that went there would find something to read. It must receive nothing,
and each refused hop must show in the source's health and once in the log.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.crawlers.crawl_helpers import HRSS, HRSS_LIST, paths, source_toml, stored, write_crawl_config
from tests.harness import run_cli

pytestmark = pytest.mark.slow

PLACES = {  # where the hostile answer is given: a pattern of the path, and that path
    "list": (rf"^{HRSS_LIST}$", HRSS_LIST),
    "detail": (r"/t20251103_100001\.htm$", "/xxgk/tzgg/202511/t20251103_100001.htm"),
    "attachment": (r"/P020251103512345678901\.xlsx$", "/xxgk/tzgg/202511/P020251103512345678901.xlsx"),
}
STUB = "<html><head><title>厦门市人力资源和社会保障局</title>{}</head><body></body></html>"


def hostile_answers(foreign: str, path: str) -> dict[str, dict[str, object]]:
    """Fault arguments per form, each sending the crawler to ``path`` on the foreign host."""
    target = f"{foreign}{path}"
    backslashed = "http:\\\\" + target.replace("/", "\\")
    meta = f'<meta http-equiv="refresh" content="0;url=http://{target}">'
    return {
        "triple-slash": {"status": 302, "headers": {"Location": f"///{target}"}},
        "backslash": {"status": 302, "headers": {"Location": backslashed}},
        "scheme-relative": {"status": 302, "headers": {"Location": f"//{target}"}},
        "absolute": {"status": 302, "headers": {"Location": f"http://{target}"}},
        "tab-inside": {"status": 302, "headers": {"Location": f"/\t/{target}"}},
        "meta-refresh": {"status": 200, "body": STUB.format(meta).encode()},
        "refresh-header": {
            "status": 200,
            "headers": {"Refresh": f"0; url=http://{target}"},
            "body": STUB.format("").encode(),
        },
    }


def test_no_hop_leaves_the_allowed_domains(site_factory, database_url, sessions, workdir: Path) -> None:
    foreign = site_factory(HRSS, host="127.0.0.2")
    foreign_host = f"127.0.0.2:{foreign.port}"
    servers, toml = {}, ""
    for place, (pattern, path) in PLACES.items():
        for form, fault in hostile_answers(foreign_host, path).items():
            sid = f"{place}-{form}"
            servers[sid] = site_factory(HRSS)
            servers[sid].add_fault(pattern, **fault)
            toml += source_toml(sid, [servers[sid].url(HRSS_LIST)])
    # a meta refresh in a gzip-compressed page is read once decompressed
    servers["list-meta-gzip"] = site_factory(HRSS)
    meta = f'<meta http-equiv="refresh" content="0;url=http://{foreign_host}{HRSS_LIST}">'
    servers["list-meta-gzip"].add_fault(
        PLACES["list"][0],
        status=200,
        body=gzip.compress(STUB.format(meta).encode()),
        headers={"Content-Encoding": "gzip"},
    )
    toml += source_toml("list-meta-gzip", [servers["list-meta-gzip"].url(HRSS_LIST)])
    # an on-site redirect written with backslashes is followed where a browser would go
    onsite = site_factory(HRSS)
    moved = "http:\\\\" + f"127.0.0.1:{onsite.port}{PLACES['detail'][1]}?moved=1".replace("/", "\\")
    onsite.add_fault(PLACES["detail"][0], status=302, headers={"Location": moved})
    toml += source_toml("onsite-backslash", [onsite.url(HRSS_LIST)])

    config = write_crawl_config(workdir / "policywatch.toml", database_url, toml)
    ids = [*servers, "onsite-backslash"]
    args = ["--config", str(config), "--json", "crawl"] + [x for sid in ids for x in ("--source", sid)]
    result = run_cli(*args, cwd=workdir)
    assert result.code == 1, result.stderr
    health = {h["source_id"]: h for h in json.loads(result.stdout)}
    assert set(health) == set(ids)

    assert paths(foreign) == []  # not even robots.txt
    for sid in servers:
        place, form = sid.split("-", 1)
        assert health[sid]["status"] == "failing", health[sid]
        assert "to another domain refused" in health[sid]["message"], health[sid]
        assert f"http://{foreign_host}/" in health[sid]["message"], health[sid]
        warned = [line for line in result.stderr.splitlines() if f"WARNING crawlers: {sid}: " in line]
        assert len(warned) == 1 and "refused" in warned[0], (sid, warned)  # one line per hop
        docs = stored(sessions, sid)
        if place == "list":
            assert not docs, sid
            continue
        refused_doc = docs.get(PLACES[place][1])  # a detail page is recorded as listed, not stored
        assert refused_doc is None or not refused_doc.versions, sid
        assert docs["/xxgk/tzgg/202509/P020250915398765432101.pdf"].versions  # the rest is read
    assert "Traceback" not in result.stderr

    assert health["onsite-backslash"]["status"] == "ok", health["onsite-backslash"]
    assert paths(onsite, r"\?moved=1$") == [PLACES["detail"][1] + "?moved=1"]
    assert stored(sessions, "onsite-backslash")[PLACES["detail"][1]].versions
