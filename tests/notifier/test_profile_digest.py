"""A subscriber with a profile: `subscribe --profile`, `subscribers`, and the digest saying what
each change does to that person, received by a real SMTP server."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from notifier.chat_digest import render_chat_parts
from rules.eligibility import ChangeEffect
from tests.conftest import SmtpSink
from tests.harness import run_cli, write_config
from tests.notifier.notify_helpers import points_change
from tests.test_versioning import LEVELS, points, run, store

PROFILE = """
[person]
age = 35
sex = "male"
[[certificates]]
occupation = "电工"
level = "四级"
[cities.quanzhou]
social_insurance_months = 30
"""


def _cutoff(year: int, score: float) -> bytes:
    rows = [{"kind": "points_cutoff", "year": year, "score": score}]
    return json.dumps({"meta": {"published_at": "2025-04-02"}, "rows": rows}).encode()


def test_digest_shows_what_each_change_does_to_the_subscriber(
    workdir: Path, database_url: str, sessions: sessionmaker[Session], smtp_server: SmtpSink
) -> None:
    # in force in 泉州: 中级工 20, insurance 2 per year (cap 20); the 2025 cut-off is 30
    store(sessions, "http://x/2025.htm", points(LEVELS, published_at="2025-11-20", effective_at="2025-12-01"))
    store(sessions, "http://x/cutoff.htm", _cutoff(2025, 30))
    run(sessions)
    cfg = str(
        write_config(
            workdir / "policywatch.toml",
            database_url,
            f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "none"\n',
        )
    )
    profile = workdir / "me.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    for args in (
        ("me@example.org", "--region", "quanzhou", "--frequency", "immediate", "--profile", str(profile)),
        ("other@example.org", "--region", "quanzhou", "--frequency", "immediate"),
    ):
        result = run_cli("--config", cfg, "subscribe", *args, cwd=workdir)
        assert result.code == 0, result.stderr
    listed = {
        r["email"]: r
        for r in json.loads(run_cli("--config", cfg, "--json", "subscribers", cwd=workdir).stdout)
    }
    assert listed["me@example.org"]["profile"] == "电工 四级/中级工; quanzhou"
    assert listed["other@example.org"]["profile"] is None
    table = run_cli("--config", cfg, "subscribers", cwd=workdir).stdout
    assert "电工 四级/中级工; quanzhou" in table

    # the revised schedule: 中级工 20 → 28, 技师 added at 70. This person's estimate goes from 24
    # (20 + 2 full years × 2) to 32, past the cut-off; the 技师 item does nothing for a 中级工.
    revised = {**LEVELS, "四级/中级工": 28, "二级/技师": 70}
    store(
        sessions, "http://x/2026.htm", points(revised, published_at="2025-12-20", effective_at="2026-01-01")
    )
    assert run(sessions).changes_released == 2
    sent = run_cli("--config", cfg, "--now", "2030-01-15T09:00:00+08:00", "notify", cwd=workdir)
    assert sent.code == 0, sent.stderr
    mails = {m.rcpt_tos[0]: m.message for m in smtp_server.messages}
    assert set(mails) == {"me@example.org", "other@example.org"}
    mine = mails["me@example.org"]
    text = mine.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mine.get_body(("html",)).get_content()  # type: ignore[union-attr]
    effect = "你在泉州的积分估计由 24 变为 32；2025 年分数线 30"
    alert = "按你的档案，你在泉州的积分估计（32）达到了2025 年分数线 30"
    for part in (text, html):
        assert effect in part and alert in part
        assert part.count("你在泉州的积分估计由") == 1, "the 技师 change does nothing for a 中级工"
    assert text.index(alert) < text.index("== 泉州"), "the threshold crossed comes first"
    other = mails["other@example.org"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "积分估计" not in other


def test_chat_digest_carries_the_effect_lines() -> None:
    change = points_change("quanzhou", "四级/中级工", 20, 28)
    effect = ChangeEffect(
        ("你在泉州的积分估计由 24 变为 32",), ("按你的档案，你现在符合泉州技能人才落户的条件",)
    )
    (part,) = render_chat_parts(
        [(7, change)], why="w", contact="c", fits=lambda t, x: True, effects={7: effect}
    )
    assert "对你：你在泉州的积分估计由 24 变为 32（估计）" in part.text
    assert "**对你：按你的档案，你现在符合泉州技能人才落户的条件**" in part.text
