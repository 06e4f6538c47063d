"""The one-click unsubscribe endpoint over real HTTP on 127.0.0.1: the link from a real digest,
RFC 8058 POST, the confirmation page, tampered tokens, and the `unsubscribe-server` command."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from notifier.delivery import run_notify
from notifier.settings import NotifySettings
from notifier.unsubscribe import make_token
from notifier.unsubscribe_server import UnsubscribeServer, UnsubscribeService, mask_email, render_page
from storage.subscribers import get_subscriber
from tests.conftest import SmtpSink
from tests.harness import run_cli, write_config
from tests.notifier.notify_helpers import points_change, settings, store_changes, subscribe

KEY = "test-signing-key-Zq8"
PUBLIC_URL = "https://policywatch.example.org/unsubscribe"


@pytest.fixture
def endpoint(sessions: sessionmaker[Session]) -> Iterator[UnsubscribeServer]:
    service = UnsubscribeService(sessions, KEY, contact="ops@example.org")
    server = UnsubscribeServer(service, "/unsubscribe").start()
    yield server
    server.stop()


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, str, dict[str, str]]:
    """A real request; 4xx/5xx come back as a status instead of an exception."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8"), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode("utf-8"), dict(exc.headers.items())


def one_click(url: str) -> tuple[int, str, dict[str, str]]:
    return http("POST", url, b"List-Unsubscribe=One-Click")


def link_from(message: EmailMessage, server: UnsubscribeServer) -> str:
    """The https link of List-Unsubscribe, pointed at the local server as a reverse proxy would."""
    targets = [t.strip().strip("<>") for t in str(message["List-Unsubscribe"]).split(",")]
    (https,) = [t for t in targets if t.startswith("https://")]
    parts = urlsplit(https)
    assert parts.path == "/unsubscribe"
    return f"http://127.0.0.1:{server.port}{parts.path}?{parts.query}"


def is_active(sessions: sessionmaker[Session], email: str) -> bool:
    with sessions.begin() as session:
        sub = get_subscriber(session, email)
        assert sub is not None
        return sub.active


def mail_settings(tmp_path: Path, smtp: SmtpSink) -> NotifySettings:
    return settings(
        tmp_path / "outbox", smtp, public_url=PUBLIC_URL, signing_key=KEY, operator_email="ops@example.org"
    )


def test_one_click_from_a_real_digest_unsubscribes_and_later_notify_skips_them(
    sessions: sessionmaker[Session],
    smtp_server: SmtpSink,
    endpoint: UnsubscribeServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    subscribe(sessions, "wang@example.org", frequency="immediate")
    subscribe(sessions, "li@example.org", frequency="immediate")
    store_changes(sessions, points_change())
    assert run_notify(sessions, mail_settings(tmp_path, smtp_server)).sent == 2
    (wang_mail,) = [m.message for m in smtp_server.messages if m.rcpt_tos == ["wang@example.org"]]
    assert wang_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = link_from(wang_mail, endpoint)

    status, page, headers = one_click(url)
    assert status == 200 and "已退订" in page and "Unsubscribed" in page
    assert "w***@example.org" in page and "wang@example.org" not in page
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert not is_active(sessions, "wang@example.org") and is_active(sessions, "li@example.org")

    again, page, _ = one_click(url)  # idempotent
    assert again == 200 and "已经退订" in page and not is_active(sessions, "wang@example.org")

    store_changes(sessions, points_change("quanzhou", "三级/高级工", 40, 50))
    later = run_notify(sessions, mail_settings(tmp_path, smtp_server))
    assert later.sent == 1 and later.pending == 0
    assert [m.rcpt_tos for m in smtp_server.messages[2:]] == [["li@example.org"]]

    token = urlsplit(url).query.removeprefix("token=")
    endpoint_log = [r.getMessage() for r in caplog.records if r.name == "notifier.unsubscribe_server"]
    assert len(endpoint_log) == 2 and all("w***@example.org" in line for line in endpoint_log)
    # aiosmtpd's debug log ("mail.*") prints the whole message: the test server's, not policywatch's
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert token not in ours and "wang@example.org" not in ours


def test_the_confirmation_page_has_a_form_and_changes_nothing_until_posted(
    sessions: sessionmaker[Session], endpoint: UnsubscribeServer
) -> None:
    sid = subscribe(sessions, "wang@example.org")
    token = make_token(KEY, sid, "wang@example.org")
    url = f"{endpoint.url}?token={token}"

    status, page, headers = http("GET", url)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "退订" in page and "Unsubscribe" in page and "w***@example.org" in page
    assert '<form method="post" action="?token=' + token + '">' in page
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in page
    assert "src=" not in page and "<link" not in page and "http" not in page  # no external assets
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert is_active(sessions, "wang@example.org")  # a GET (link scanner, preview) never unsubscribes

    action = urljoin(url, page.split('action="', 1)[1].split('"', 1)[0])
    status, page, _ = http("POST", action, b"List-Unsubscribe=One-Click")  # the form, as a browser sends it
    assert status == 200 and "已退订" in page and not is_active(sessions, "wang@example.org")
    status, page, _ = http("GET", url)
    assert status == 200 and "已经退订" in page and "<form" not in page


def test_bad_tokens_get_400_and_change_nothing(
    sessions: sessionmaker[Session], endpoint: UnsubscribeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wang = subscribe(sessions, "wang@example.org")
    li = subscribe(sessions, "li@example.org")
    good = make_token(KEY, wang, "wang@example.org")
    mac = good.split(".", 1)[1]
    flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
    bad_tokens = [
        flipped,  # tampered signature
        good[:-3],  # cut short
        f"{li}.{mac}",  # another subscriber's id with this signature
        make_token("some-other-key", wang, "wang@example.org"),  # signed with another key
        "999.abc",  # nobody
        "",
    ]
    for token in bad_tokens:
        for method in ("GET", "POST"):
            status, page, _ = http(method, f"{endpoint.url}?token={token}", b"" if method == "POST" else None)
            assert status == 400, (token, method)
            assert "链接无效" in page and "Invalid link" in page and "nothing was changed" in page
    assert http("POST", endpoint.url, b"List-Unsubscribe=One-Click")[0] == 400  # no token at all
    assert is_active(sessions, "wang@example.org") and is_active(sessions, "li@example.org")
    for token in bad_tokens[:4]:
        assert token not in caplog.text


def test_out_of_range_subscriber_ids_get_400_not_a_dropped_connection(
    sessions: sessionmaker[Session], endpoint: UnsubscribeServer
) -> None:
    subscribe(sessions, "wang@example.org")
    # beyond SQLite's 64-bit integers, beyond int()'s digit limit, and non-ASCII digits
    for head in ("9" * 20, "9" * 5000, "%D9%A1"):
        for method in ("GET", "POST"):
            status, page, _ = http(
                method, f"{endpoint.url}?token={head}.abc", b"" if method == "POST" else None
            )
            assert status == 400 and "Invalid link" in page, (head[:10], method)
    assert is_active(sessions, "wang@example.org")


def test_other_paths_are_404(sessions: sessionmaker[Session], endpoint: UnsubscribeServer) -> None:
    sid = subscribe(sessions, "wang@example.org")
    token = make_token(KEY, sid, "wang@example.org")
    base = f"http://127.0.0.1:{endpoint.port}"
    for path in ("/", "/unsubscribe/x", "/unsubscribex", "/other"):
        assert http("GET", f"{base}{path}?token={token}")[0] == 404
        assert one_click(f"{base}{path}?token={token}")[0] == 404
    assert is_active(sessions, "wang@example.org")


def test_pages_escape_what_they_show() -> None:
    page = render_page("<b>zh</b>", "en", [("<script>x</script>", "&")], action='?token=a"onclick=x')
    assert "<script>" not in page.decode() and "&lt;script&gt;" in page.decode()
    assert 'action="?token=a&#34;onclick=x"' in page.decode()
    assert mask_email("wang@example.org") == "w***@example.org"


# ---------------------------------------------------------------- the command


def _config(workdir: Path, database_url: str, notify: str) -> str:
    return str(write_config(workdir / "policywatch.toml", database_url, f"[notify]\n{notify}\n"))


def test_the_command_needs_the_public_url_and_the_signing_key(workdir: Path, database_url: str) -> None:
    no_url = run_cli("--config", _config(workdir, database_url, ""), "unsubscribe-server", cwd=workdir)
    assert no_url.code == 2 and "notify.public_url" in no_url.stderr
    cfg = _config(workdir, database_url, f'public_url = "{PUBLIC_URL}"\nsigning_key_env = "PW_TEST_KEY"')
    no_key = run_cli("--config", cfg, "unsubscribe-server", cwd=workdir, env={"PW_TEST_KEY": ""})
    assert no_key.code == 2 and "PW_TEST_KEY is not set" in no_key.stderr
    help_text = run_cli("unsubscribe-server", "--help", cwd=workdir).stdout
    assert "reverse proxy" in help_text and "--port" in help_text


def test_the_command_serves_until_sigterm(
    workdir: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    sid = subscribe(sessions, "wang@example.org")
    token = make_token(KEY, sid, "wang@example.org")
    cfg = _config(workdir, database_url, f'public_url = "{PUBLIC_URL}"\nsigning_key_env = "PW_TEST_KEY"')
    exe = Path(sys.executable).with_name("policywatch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "policywatch"]
    env = {k: v for k, v in os.environ.items() if k != "POLICYWATCH_CONFIG"} | {"PW_TEST_KEY": KEY}
    proc = subprocess.Popen(
        [*cmd, "--config", cfg, "unsubscribe-server", "--port", "0"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("unsubscribe-server: serving http://127.0.0.1:"), line
        url = line.split()[2]
        assert urlsplit(url).path == "/unsubscribe"
        assert one_click(f"{url}?token={token}x")[0] == 400
        assert one_click(f"{url}?token={token}")[0] == 200
        assert not is_active(sessions, "wang@example.org")
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert "w***@example.org (subscriber" in stderr and "unsubscribed (one-click)" in stderr
    assert token not in stderr and "wang@example.org" not in stderr and KEY not in stderr
