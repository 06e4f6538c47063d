"""The README's demo path, exactly as a user runs it (the installed console script)."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from tests.harness import run_cli


def test_demo_shows_the_changes_and_writes_the_digest(tmp_path: Path) -> None:
    keep = tmp_path / "demo"
    result = run_cli("demo", "--keep", str(keep), cwd=tmp_path)
    assert result.code == 0, result.stderr[-3000:]
    out = result.stdout
    assert "泉州 · 积分" in out and "五级/初级工" in out and re.search(r"10\s+→\s+15", out)
    assert "福建省 · 紧缺工种目录" in out and "电工（三级/高级工，特别紧缺）" in out
    assert "中式烹调师" not in out, "the unrelated removal is not an electrician change"
    assert "+1 change(s) not related to electricians" in out
    hint = re.search(r"`(policywatch --config \S+ diff-report --all)`", out)
    assert hint is not None, out
    shown = run_cli(*hint.group(1).split()[1:], cwd=tmp_path)  # works from the user's folder
    assert shown.code == 0 and "中式烹调师" in shown.stdout, shown.stderr
    assert "厦门" not in out, "a formatting-only re-publication is not a change"

    eml_path = Path(re.search(r"\.eml:\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    html_path = Path(re.search(r"\.html:\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    assert eml_path.parent == keep / "outbox" and html_path.exists()
    message = email.message_from_bytes(eml_path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"].addresses[0].addr_spec == "electrician@example.org"
    assert "初级工积分10→15" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for part in (text, html):
        assert "电工" in part and "15" in part and "泉人社〔2025〕18号" in part
    assert html_path.read_text(encoding="utf-8") == html.replace("\r\n", "\n")
    report_html = (keep / "diff-report.html").read_text(encoding="utf-8")
    assert "中式烹调师" in report_html, "the html report shows every change"
    assert not list((keep / "outbox").glob("*.tmp"))


def test_demo_without_keep_leaves_nothing_behind(tmp_path: Path) -> None:
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("policywatch-demo-*"))
    result = run_cli("demo", cwd=tmp_path)
    assert result.code == 0, result.stderr[-3000:]
    assert "--keep DIR" in result.stdout
    assert set(Path(tempfile.gettempdir()).glob("policywatch-demo-*")) == before
    assert list(tmp_path.iterdir()) == []
