"""Throw-away TLS for the SMTP tests: a private CA and a server certificate for 127.0.0.1,
generated at test time with `cryptography`, and an aiosmtpd server using them.

Nothing is committed: keys live in the test's tmp_path and expire a day later.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import ReceivedMail


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # PEM of the CA: what a client must trust
    cert_file: Path  # the server's certificate (signed by the CA)
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path, label: str = "policywatch test") -> Certificates:
    """A CA and a server certificate for IP 127.0.0.1 signed by it (valid for one day)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(days=1)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{label} CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder(not_valid_before=start, not_valid_after=end)
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder(not_valid_before=start, not_valid_after=end)
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    certs = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    certs.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    certs.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certs.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certs


def server_context(certs: Certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert_file, certs.key_file)
    return context


@dataclass
class TlsSmtpSink:
    """What the TLS server saw: accepted messages, and every AUTH attempt (mechanism, login, ok)."""

    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    logins: list[tuple[str, str, bool]] = field(default_factory=list)
    tls_at_data: list[bool] = field(default_factory=list)


def _is_tls(server: Any) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


def _free_port() -> int:
    # aiosmtpd's start() connects to its own port to check readiness, so port=0 cannot be used.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def tls_smtp_server(
    certs: Certificates, *, mode: str, username: str, password: str, mechanism: str
) -> Iterator[TlsSmtpSink]:
    """A real aiosmtpd server on 127.0.0.1 with ``mode`` "starttls" (required) or "tls" (implicit),
    offering only ``mechanism`` (LOGIN or PLAIN) and accepting only ``username``/``password``.

    STARTTLS uses aiosmtpd's own ``auth_require_tls``. With implicit TLS aiosmtpd 1.4 does
    not see that the connection is encrypted (aio-libs/aiosmtpd#281: it would refuse every
    AUTH with 538), so there the authenticator itself refuses a connection without TLS.
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    sink = TlsSmtpSink("127.0.0.1", _free_port())

    def authenticator(server: Any, session: Any, envelope: Any, mech: str, data: Any) -> AuthResult:
        ok = (
            _is_tls(server)
            and isinstance(data, LoginPassword)
            and data.login == username.encode()
            and data.password == password.encode()
        )
        login = data.login.decode("utf-8", "replace") if isinstance(data, LoginPassword) else "?"
        sink.logins.append((mech, login, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    class Handler:
        async def handle_MAIL(  # noqa: N802
            self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
        ) -> str:
            # auth_required would warn on the implicit-TLS server (see above): refuse here instead.
            if not session.authenticated:
                return "530 5.7.0 Authentication required"
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            sink.tls_at_data.append(_is_tls(server))
            sink.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 Message accepted for delivery"

    excluded = {"LOGIN", "PLAIN"} - {mechanism}
    common: dict[str, Any] = {"authenticator": authenticator, "auth_exclude_mechanism": excluded}
    if mode == "starttls":
        kwargs = {"tls_context": server_context(certs), "require_starttls": True, "auth_require_tls": True}
    elif mode == "tls":
        kwargs = {"ssl_context": server_context(certs), "auth_require_tls": False}
    else:
        raise ValueError(mode)
    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port, **common, **kwargs)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
