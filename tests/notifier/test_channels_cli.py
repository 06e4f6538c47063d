"""`subscribe` with group robots and webhooks, `subscribers` with secrets masked, `unsubscribe` by URL,
and `notify` posting to a robot endpoint on 127.0.0.1 through the installed command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from notifier.channels import InvalidDestination, mask_url, parse_channel_option, validate_url
from tests.harness import run_cli, write_config
from tests.notifier.notify_helpers import points_change, store_changes
from tests.notifier.robot_endpoint import RobotEndpoint

KEY = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def config(workdir: Path, database_url: str, extra: str = "") -> str:
    return str(write_config(workdir / "policywatch.toml", database_url, extra))


@pytest.mark.parametrize(
    ("channel", "url", "expected"),
    [
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https://"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "key="),
        ("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=k", "host"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send", "access_token"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/", "hook/<id>"),
        ("webhook", "http://hooks.example.org/x", "https://"),
        ("webhook", "https://hooks.example.org/x y", "one URL"),
        ("webhook", "https://user:pw@hooks.example.org/\r\nx", "one URL"),
    ],
)
def test_destination_urls_are_validated(channel: str, url: str, expected: str) -> None:
    with pytest.raises(
        InvalidDestination, match=expected.replace("?", r"\?").replace("<", ".").replace(">", ".")
    ):
        validate_url(channel, url)


def test_valid_destinations_and_masks() -> None:
    assert validate_url("wecom", f" https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY} ").endswith(
        KEY
    )
    assert validate_url("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/abc-123")
    assert validate_url(
        "dingtalk", "http://127.0.0.1:8080/robot/send?access_token=t"
    )  # loopback test endpoint
    assert parse_channel_option("webhook:https://hooks.example.org/pw") == (
        "webhook",
        "https://hooks.example.org/pw",
    )
    with pytest.raises(InvalidDestination):
        parse_channel_option("slack:https://hooks.example.org/pw")
    masked = mask_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}")
    assert KEY not in masked and masked.startswith(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0a1b"
    )
    assert "hook-id-0123456789abcdef" not in mask_url(
        "https://open.feishu.cn/open-apis/bot/v2/hook/hook-id-0123456789abcdef"
    )
    assert "pw" not in mask_url("https://user:pw@hooks.example.org/x?token=abcdefghijkl")


def test_subscribe_robots_list_them_masked_and_unsubscribe_by_url(workdir: Path, database_url: str) -> None:
    cfg = config(workdir, database_url)
    wecom = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    dingtalk = "https://oapi.dingtalk.com/robot/send?access_token=dt0123456789abcdef0123"
    bad = run_cli("--config", cfg, "subscribe", "--wecom", "http://qyapi.weixin.qq.com/x", cwd=workdir)
    assert bad.code == 2 and "https" in bad.stderr
    nothing = run_cli("--config", cfg, "subscribe", "--region", "xiamen", cwd=workdir)
    assert nothing.code == 2 and "--wecom" in nothing.stderr
    secret_alone = run_cli(
        "--config", cfg, "subscribe", "--wecom", wecom, "--secret-env", "PW_X", cwd=workdir
    )
    assert secret_alone.code == 2 and "--dingtalk or --feishu" in secret_alone.stderr
    not_a_name = run_cli(
        "--config", cfg, "subscribe", "--dingtalk", dingtalk, "--secret-env", "SECabc=1", cwd=workdir
    )
    assert not_a_name.code == 2

    first = run_cli(
        "--config", cfg, "subscribe", "--wecom", wecom, "--region", "厦门", "--frequency", "immediate",
        "--name", "厦门电工群", cwd=workdir,
    )  # fmt: skip
    assert first.code == 0, first.stderr
    assert first.stdout.startswith("created: 厦门电工群") and KEY not in first.stdout
    both = run_cli(
        "--config", cfg, "subscribe", "hr@example.org", "--channel", f"dingtalk:{dingtalk}",
        "--secret-env", "PW_DT_SECRET", "--kind", "points_schedule", cwd=workdir,
        env={"PW_DT_SECRET": "SECthe-secret-itself"},
    )  # fmt: skip
    assert both.code == 0, both.stderr
    again = run_cli("--config", cfg, "subscribe", "--wecom", wecom, "--region", "quanzhou", cwd=workdir)
    assert again.code == 0 and again.stdout.startswith("updated:")  # the URL names the subscriber
    conflict = run_cli("--config", cfg, "subscribe", "hr@example.org", "--wecom", wecom, cwd=workdir)
    assert conflict.code == 2 and "different subscribers" in conflict.stderr

    listed = run_cli("--config", cfg, "--json", "subscribers", cwd=workdir)
    assert listed.code == 0, listed.stderr
    assert KEY not in listed.stdout and "dt0123456789abcdef0123" not in listed.stdout
    assert "SECthe-secret-itself" not in listed.stdout
    rows = {r["email"] or r["name"]: r for r in json.loads(listed.stdout)}
    group = rows["厦门电工群"]
    assert group["regions"] == ["quanzhou"] and group["email"] is None
    assert [c["channel"] for c in group["channels"]] == ["wecom"]
    hr = rows["hr@example.org"]
    assert [(c["channel"], c["secret_env"]) for c in hr["channels"]] == [
        ("email", None),
        ("dingtalk", "PW_DT_SECRET"),
    ]
    table = run_cli("--config", cfg, "subscribers", cwd=workdir)
    assert "wecom https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0a1b***" in table.stdout
    assert KEY not in table.stdout

    assert (
        run_cli(
            "--config", cfg, "unsubscribe", "https://oapi.dingtalk.com/robot/send?access_token=x", cwd=workdir
        ).code
        == 1
    )
    stop = run_cli("--config", cfg, "unsubscribe", dingtalk, cwd=workdir)
    assert stop.code == 0 and "dt0123456789abcdef0123" not in stop.stdout
    rows = {
        r["email"] or r["name"]: r
        for r in json.loads(run_cli("--config", cfg, "--json", "subscribers", cwd=workdir).stdout)
    }
    assert rows["hr@example.org"]["active"] is True  # its email still goes out
    assert [c["active"] for c in rows["hr@example.org"]["channels"]] == [True, False]
    assert run_cli("--config", cfg, "unsubscribe", wecom, cwd=workdir).code == 0
    rows = {
        r["email"] or r["name"]: r
        for r in json.loads(run_cli("--config", cfg, "--json", "subscribers", cwd=workdir).stdout)
    }
    assert rows["厦门电工群"]["active"] is False


def test_notify_posts_to_a_robot_with_the_secret_from_the_named_variable(
    workdir: Path, database_url: str, sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint
) -> None:
    cfg = config(workdir, database_url, "[channels]\ntimeout_seconds = 5\n")
    url = robot_endpoint.feishu("hook-0123456789abcdef")
    sub = run_cli(
        "--config", cfg, "subscribe", "--feishu", url, "--secret-env", "PW_FEISHU",
        "--frequency", "immediate", cwd=workdir,
    )  # fmt: skip
    assert sub.code == 0, sub.stderr
    store_changes(sessions, points_change())
    result = run_cli("--config", cfg, "notify", cwd=workdir, env={"PW_FEISHU": "s3cret-value"})
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("notify: sent 1, failed 0, pending 0")
    (got,) = robot_endpoint.received
    assert got.body["sign"] and got.body["timestamp"] and got.body["msg_type"] == "interactive"
    for secret in ("s3cret-value", "hook-0123456789abcdef"):
        assert secret not in result.stderr and secret not in result.stdout
