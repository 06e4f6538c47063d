"""The commands as a user runs them: subscribe, unsubscribe, subscribers, notify [--flush]."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import SmtpSink
from tests.harness import run_cli, write_config
from tests.notifier.notify_helpers import closed_port, points_change, shortage_change, store_changes


def config(workdir: Path, database_url: str, smtp: str = "", notify: str = "") -> Path:
    return write_config(workdir / "policywatch.toml", database_url, f"[smtp]\n{smtp}\n[notify]\n{notify}\n")


def test_subscribe_validates_and_updates(workdir: Path, database_url: str) -> None:
    cfg = str(config(workdir, database_url))
    bad = run_cli("--config", cfg, "subscribe", "not-an-address", cwd=workdir)
    assert bad.code == 2 and "not a valid email address" in bad.stderr
    injected = run_cli("--config", cfg, "subscribe", "a@example.org\r\nBcc: b@example.org", cwd=workdir)
    assert injected.code == 2
    assert run_cli("--config", cfg, "subscribe", "a@example.org", "--kind", "nonsense", cwd=workdir).code == 2

    first = run_cli(
        "--config", cfg, "subscribe", "Wang@Example.org", "--region", "泉州", "--occupation", "焊工",
        "--name", "王师傅", cwd=workdir,
    )  # fmt: skip
    assert first.code == 0, first.stderr
    assert first.stdout.startswith("created: wang@example.org")
    again = run_cli(
        "--config",
        cfg,
        "subscribe",
        "wang@example.org",
        "--all-changes",
        "--frequency",
        "weekly",
        cwd=workdir,
    )
    assert again.code == 0 and again.stdout.startswith("updated:")

    listed = run_cli("--config", cfg, "subscribers", "--json", cwd=workdir)
    assert listed.code == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["email"] == "wang@example.org" and row["name"] == "王师傅"
    assert row["all_changes"] is True and row["frequency"] == "weekly" and row["regions"] == []
    table = run_cli("--config", cfg, "subscribers", cwd=workdir)
    assert "wang@example.org" in table.stdout and "all changes" in table.stdout


def test_unsubscribe(workdir: Path, database_url: str) -> None:
    cfg = str(config(workdir, database_url))
    unknown = run_cli("--config", cfg, "unsubscribe", "nobody@example.org", cwd=workdir)
    assert unknown.code == 1 and "not subscribed" in unknown.stderr
    assert run_cli("--config", cfg, "unsubscribe", "bad address", cwd=workdir).code == 2
    assert run_cli("--config", cfg, "subscribe", "a@example.org", cwd=workdir).code == 0
    assert run_cli("--config", cfg, "unsubscribe", "a@example.org", cwd=workdir).code == 0
    assert run_cli("--config", cfg, "unsubscribe", "A@example.org", cwd=workdir).code == 0  # idempotent
    (row,) = json.loads(run_cli("--config", cfg, "--json", "subscribers", cwd=workdir).stdout)
    assert row["active"] is False


def test_notify_sends_over_smtp_once(
    workdir: Path, database_url: str, sessions: sessionmaker[Session], smtp_server: SmtpSink
) -> None:
    cfg = str(
        config(
            workdir,
            database_url,
            smtp=f'host = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "none"\nreply_to = "help@example.org"',
            notify='operator_email = "ops@example.org"\npublic_url = "https://pw.example.org/u"',
        )
    )
    env = {"POLICYWATCH_SIGNING_KEY": "k3y"}
    for args in (
        ("qz@example.org", "--region", "quanzhou", "--frequency", "immediate"),
        ("daily@example.org",),
    ):
        assert run_cli("--config", cfg, "subscribe", *args, cwd=workdir).code == 0
    store_changes(
        sessions,
        points_change("quanzhou", "五级/初级工", 10, 15),
        shortage_change("quanzhou", "焊工", "6-18-02-04", related=False),
    )
    first = run_cli("--config", cfg, "notify", cwd=workdir, env=env)
    assert first.code == 0, first.stderr
    assert first.stdout.strip() == "notify: sent 1, failed 0, pending 1"
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["qz@example.org"]
    msg = mail.message
    assert msg["Subject"].startswith("【政策变化】泉州")
    assert "https://pw.example.org/u?token=" in str(msg["List-Unsubscribe"])
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "k3y" not in mail.data.decode("ascii", "replace") and "k3y" not in first.stderr

    again = run_cli("--config", cfg, "notify", cwd=workdir, env=env)
    assert again.code == 0 and again.stdout.strip() == "notify: sent 0, failed 0, pending 1"
    flushed = run_cli("--config", cfg, "notify", "--flush", cwd=workdir, env=env)
    assert flushed.code == 0 and flushed.stdout.strip() == "notify: sent 1, failed 0, pending 0"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["qz@example.org"], ["daily@example.org"]]


def test_notify_with_smtp_down_exits_1_and_keeps_everything(
    workdir: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    cfg = str(
        config(workdir, database_url, smtp=f'host = "127.0.0.1"\nport = {closed_port()}\nsecurity = "none"')
    )
    assert (
        run_cli("--config", cfg, "subscribe", "a@example.org", "--frequency", "immediate", cwd=workdir).code
        == 0
    )
    store_changes(sessions, points_change())
    result = run_cli("--config", cfg, "notify", cwd=workdir)
    assert result.code == 1
    assert result.stdout.strip() == "notify: sent 0, failed 1, pending 1"


def test_notify_writes_eml_files_when_no_smtp_host(
    workdir: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    cfg = str(config(workdir, database_url))
    assert (
        run_cli("--config", cfg, "subscribe", "a@example.org", "--frequency", "immediate", cwd=workdir).code
        == 0
    )
    store_changes(sessions, points_change())
    result = run_cli("--config", cfg, "notify", cwd=workdir)
    assert result.code == 0, result.stderr
    outbox = workdir / "outbox"
    assert result.stdout.strip() == f"notify: sent 1, failed 0, pending 0; outbox folder {outbox}"
    (path,) = outbox.glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "a@example.org"
    assert "初级工" in msg.get_body(("plain",)).get_content()
    data = json.loads(run_cli("--config", cfg, "--json", "notify", cwd=workdir).stdout)
    assert data["sent"] == 0 and data["outbox_dir"] == str(outbox)


def test_notify_rejects_an_impossible_daily_hour(workdir: Path, database_url: str) -> None:
    cfg = str(config(workdir, database_url, notify="daily_hour = 25"))
    result = run_cli("--config", cfg, "notify", cwd=workdir)
    assert result.code == 2 and "notify.daily_hour" in result.stderr
