"""A prefecture added as data only (漳州): its built-in source crawls a fixture site on
127.0.0.1, its rules are versioned under its own region, a subscriber of that region gets
the change in a digest, and every command accepts its id, label and full name."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.harness import run_cli
from tests.prefecture.prefecture_site import PAGE, prefecture_config, write_prefecture_site

pytestmark = pytest.mark.slow
JUNIOR = "技能水平|五级/初级工"


def test_zhangzhou_end_to_end(site_factory, database_url: str, workdir: Path) -> None:
    site = site_factory(write_prefecture_site(workdir.parent / "zhangzhou-site"))
    outbox = workdir / "outbox"
    cfg = str(
        prefecture_config(
            workdir / "pw.toml", database_url, "zhangzhou-hrss", site.url("/zwgk/tzgg/"), outbox
        )
    )
    sources = json.loads(run_cli("--config", cfg, "--json", "sources", cwd=workdir).stdout)
    assert {s["id"]: s["region"] for s in sources}["zhangzhou-hrss"] == "zhangzhou"

    subscribed = run_cli(
        "--config", cfg, "subscribe", "welder@example.org", "--region", "zhangzhou", "--frequency",
        "immediate", cwd=workdir,
    )  # fmt: skip
    assert subscribed.code == 0, subscribed.stderr
    other = run_cli("--config", cfg, "subscribe", "xm@example.org", "--region", "厦门", cwd=workdir)
    assert other.code == 0, other.stderr

    first = run_cli("--config", cfg, "crawl", "--source", "zhangzhou-hrss", cwd=workdir)
    assert first.code == 0, first.stdout + first.stderr
    shown = run_cli(
        "--config", cfg, "rules", "show", "--region", "漳州市", "--kind", "points_schedule", "--format",
        "json", cwd=workdir,
    )  # fmt: skip
    assert shown.code == 0, shown.stderr
    assert {r["key"]: r["points"] for r in json.loads(shown.stdout)}[JUNIOR] == 10

    site.set_state("later")
    second = run_cli("--config", cfg, "crawl", "--source", "zhangzhou-hrss", cwd=workdir)
    assert second.code == 0, second.stdout + second.stderr
    report = run_cli("--config", cfg, "diff-report", "--region", "漳州", "--format", "json", cwd=workdir)
    assert report.code == 0, report.stderr
    (change,) = json.loads(report.stdout)
    assert (change["region"], change["kind"], change["key"]) == ("zhangzhou", "points_schedule", JUNIOR)
    assert change["before"]["points"] == 10 and change["after"]["points"] == 15
    assert change["source_url"] == site.url(PAGE)
    text = run_cli("--config", cfg, "diff-report", "--region", "zhangzhou", cwd=workdir)
    assert "漳州" in text.stdout

    sent = run_cli("--config", cfg, "notify", "--flush", cwd=workdir)
    assert sent.code == 0, sent.stderr
    (path,) = outbox.glob("*.eml")  # the 厦门 subscriber gets nothing from 漳州
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "welder@example.org"
    assert "漳州" in str(msg["Subject"])
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "漳州" in body and "15" in body


def test_unknown_prefecture_is_a_usage_error(workdir: Path, database_url: str) -> None:
    cfg = workdir / "pw.toml"
    cfg.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    result = run_cli("--config", str(cfg), "subscribe", "a@example.org", "--region", "zhangzou", cwd=workdir)
    assert result.code == 2
    assert "did you mean zhangzhou?" in result.stderr
    for typed, region in (("平潭", "pingtan"), ("宁德市", "ningde"), ("LongYan", "longyan")):
        ok = run_cli(
            "--config", str(cfg), "--json", "subscribe", "a@example.org", "--region", typed, cwd=workdir
        )
        assert ok.code == 0, ok.stderr
        assert json.loads(ok.stdout)["regions"] == [region]
