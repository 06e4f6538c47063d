"""SMTP over TLS against a real aiosmtpd server on 127.0.0.1: STARTTLS and implicit TLS, AUTH
LOGIN/PLAIN with the password from the environment, a verified certificate from a private CA
(smtp.ca_file), and what happens when the certificate is not trusted."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifier.delivery import run_notify
from notifier.settings import NotifySettings
from notifier.transports import SmtpTransport, TransientFailure
from policywatch.config import parse_config
from storage.models import Delivery, utcnow
from tests.notifier.notify_helpers import closed_port, points_change, store_changes, subscribe
from tests.notifier.tls_helpers import Certificates, TlsSmtpSink, make_certificates, tls_smtp_server

USER = "policywatch"
PASSWORD = "pw-Tls-s3cret-9Xq"  # distinctive, so a leak is easy to find
PASSWORD_ENV = "PW_TEST_SMTP_PASSWORD"


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path / "pki")


@pytest.fixture
def one_due(sessions: sessionmaker[Session]) -> None:
    subscribe(sessions, "worker@example.org", frequency="immediate")
    store_changes(sessions, points_change())


def tls_settings(
    tmp_path: Path,
    sink: TlsSmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    *,
    security: str,
    ca_file: Path | None,
    password: str = PASSWORD,
) -> NotifySettings:
    """Settings as an operator writes them: the config file names the variable holding the password."""
    monkeypatch.setenv(PASSWORD_ENV, password)
    text = f"""
[smtp]
host = "127.0.0.1"
port = {sink.port}
security = "{security}"
username = "{USER}"
password_env = "{PASSWORD_ENV}"
ca_file = "{ca_file or ""}"
sender = "policywatch@example.org"
timeout_seconds = 5
[notify]
outbox_dir = "{tmp_path / "outbox"}"
"""
    return parse_config(text, "test.toml").notify_settings()


def deliveries(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions.begin() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_tls_with_auth_delivers_over_a_verified_connection(
    sessions: sessionmaker[Session],
    certs: Certificates,
    one_due: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    mechanism: str,
) -> None:
    with tls_smtp_server(certs, mode=mode, username=USER, password=PASSWORD, mechanism=mechanism) as sink:
        cfg = tls_settings(tmp_path, sink, monkeypatch, security=mode, ca_file=certs.ca_file)
        assert cfg.smtp_ca_file == certs.ca_file and cfg.smtp_password == PASSWORD
        result = run_notify(sessions, cfg)
    assert result.ok and (result.sent, result.pending) == (1, 0)
    assert sink.logins == [(mechanism, USER, True)]
    assert sink.tls_at_data == [True]
    (mail,) = sink.messages
    assert mail.rcpt_tos == ["worker@example.org"]
    assert "初级工" in str(mail.message["Subject"])
    assert [d.status for d in deliveries(sessions)] == ["sent"]


def test_no_password_in_the_clear_when_the_server_requires_starttls(
    sessions: sessionmaker[Session],
    certs: Certificates,
    one_due: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with tls_smtp_server(certs, mode="starttls", username=USER, password=PASSWORD, mechanism="PLAIN") as sink:
        result = run_notify(
            sessions, tls_settings(tmp_path, sink, monkeypatch, security="none", ca_file=None)
        )
    assert result.sent == 0 and result.deferred == 1
    assert sink.logins == [] and sink.messages == []
    (row,) = deliveries(sessions)
    assert row.status == "pending" and "lacks a required extension" in (row.last_error or "")


@pytest.mark.parametrize("trust", ["system store", "another CA"])
@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_an_untrusted_certificate_is_a_clear_transient_error_and_loses_nothing(
    sessions: sessionmaker[Session],
    certs: Certificates,
    one_due: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    trust: str,
) -> None:
    wrong_ca = None if trust == "system store" else make_certificates(tmp_path / "other", "impostor").ca_file
    with tls_smtp_server(certs, mode=mode, username=USER, password=PASSWORD, mechanism="PLAIN") as sink:
        now = utcnow()
        refused = run_notify(
            sessions, tls_settings(tmp_path, sink, monkeypatch, security=mode, ca_file=wrong_ca), now=now
        )
        assert (refused.sent, refused.deferred, refused.pending) == (0, 1, 1) and not refused.ok
        assert sink.logins == [] and sink.messages == []  # the password never went to that server
        (row,) = deliveries(sessions)
        assert row.status == "pending" and row.attempts == 1
        error = row.last_error or ""
        assert "TLS certificate of SMTP server 127.0.0.1" in error and "not trusted" in error
        assert ("smtp.ca_file" in error) == (wrong_ca is None)

        fixed = tls_settings(tmp_path, sink, monkeypatch, security=mode, ca_file=certs.ca_file)
        assert run_notify(sessions, fixed, now=now, flush=True).sent == 1
    assert len(sink.messages) == 1
    assert [d.status for d in deliveries(sessions)] == ["sent"]


def test_an_unreadable_ca_file_stops_the_run_without_losing_anything(tmp_path: Path) -> None:
    transport = SmtpTransport("127.0.0.1", closed_port(), security="tls", ca_file=tmp_path / "missing.pem")
    with pytest.raises(TransientFailure) as info:
        transport.send(
            "s@example.org", "a@example.org", b"Subject: x\r\n\r\nx\r\n", "<x@example.org>", utcnow()
        )
    assert info.value.whole_run and "cannot load smtp.ca_file" in str(info.value)


def test_the_password_stays_out_of_logs_errors_and_reprs(
    sessions: sessionmaker[Session],
    certs: Certificates,
    one_due: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    wrong = "pw-Wrong-s3cret-7Zk"
    caplog.set_level(logging.DEBUG)
    with tls_smtp_server(certs, mode="starttls", username=USER, password=PASSWORD, mechanism="LOGIN") as sink:
        bad = tls_settings(
            tmp_path, sink, monkeypatch, security="starttls", ca_file=certs.ca_file, password=wrong
        )
        refused = run_notify(sessions, bad)
        assert refused.deferred == 1 and refused.pending == 1
        (row,) = deliveries(sessions)
        assert "SMTP login refused: 535" in (row.last_error or "")
        good = tls_settings(tmp_path, sink, monkeypatch, security="starttls", ca_file=certs.ca_file)
        assert run_notify(sessions, good, flush=True).sent == 1
    assert [ok for _, _, ok in sink.logins] == [False, True]

    # aiosmtpd's own debug log ("mail.*") is the test server's, not policywatch's
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert "connected to smtp://127.0.0.1" in ours and "login refused" in ours
    out, err = capfd.readouterr()
    errors = " ".join(d.last_error or "" for d in deliveries(sessions))
    for secret in (PASSWORD, wrong):
        encoded = base64.b64encode(secret.encode()).decode()
        for where in (ours, out, err, errors, repr(good), repr(bad), repr(good.transport())):
            assert secret not in where and encoded not in where
