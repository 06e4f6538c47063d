"""The daemon's warm crawler: many crawls on one reactor in one process, each storing what changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawlers.crawl_helpers import HRSS, HRSS_LIST, source_toml, stored, write_crawl_config

ROOT = Path(__file__).resolve().parents[2]
# In a child: the reactor must not be installed in the test process itself.
THREE_CRAWLS = """
import json, sys, threading, urllib.request
from crawlers.in_process import InProcessCrawler
from policywatch.config import load_config

config = load_config(sys.argv[1]).crawl_config()
crawler = InProcessCrawler()
out = []
for step in ("base", "changed", "changed"):
    urllib.request.urlopen(sys.argv[2] + step).read()  # the test switches the site's state
    out.append([h.to_json() for h in crawler.crawl(config, ["t-warm"])])
out.append(sorted(t.name for t in threading.enumerate()))
crawler.close()
print(json.dumps(out))
"""


@pytest.mark.slow
def test_three_crawls_on_one_reactor_store_exactly_what_changed(
    site_factory, database_url, sessions, tmp_path: Path
) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    site = site_factory(HRSS)

    class SwitchState(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            site.set_state(self.path.strip("/"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    switch = ThreadingHTTPServer(("127.0.0.1", 0), SwitchState)
    Thread(target=switch.serve_forever, daemon=True).start()
    try:
        config = write_crawl_config(
            tmp_path / "pw.toml", database_url, source_toml("t-warm", [site.url(HRSS_LIST)])
        )
        result = subprocess.run(
            [sys.executable, "-c", THREE_CRAWLS, str(config), f"http://127.0.0.1:{switch.server_port}/"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        switch.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    first, second, third, threads = json.loads(result.stdout.strip().splitlines()[-1])
    assert threads.count("policywatch-reactor") == 1  # one reactor thread for all three crawls
    assert [h["status"] for h in (*first, *second, *third)] == ["ok"] * 3
    assert first[0]["new_documents"] > 0
    assert second[0]["new_documents"] + second[0]["changed_documents"] > 0  # the "changed" state
    assert third[0]["new_documents"] == third[0]["changed_documents"] == 0  # nothing new the third time
    versions = {path: len(s.versions) for path, s in stored(sessions, "t-warm").items()}
    assert max(versions.values()) >= 2  # a page or attachment changed under its URL
