"""Database failures over the real CLI: one line naming the URL (password masked), exit 2 for a
URL that cannot be one, 1 for a database that cannot be reached or used; never a traceback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import run_cli


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word (a hung PostgreSQL)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def run_with(tmp_path: Path, url: str) -> tuple[int, list[str]]:
    (tmp_path / "pw.toml").write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    result = run_cli("--config", str(tmp_path / "pw.toml"), "sources", cwd=tmp_path)
    return result.code, result.stderr.strip().splitlines()


@pytest.mark.parametrize("url", ["sqlit:///x.db", "http://[::1/", "mysql://root@127.0.0.1/pw"])
def test_a_url_that_is_no_database_url_is_a_config_error(tmp_path: Path, url: str) -> None:
    code, lines = run_with(tmp_path, url)
    assert code == 2 and len(lines) == 1 and "database.url" in lines[0]


def test_a_missing_folder_or_a_garbage_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    code, lines = run_with(tmp_path, f"sqlite:///{tmp_path}/no/such/folder/pw.db")
    assert code == 1 and len(lines) == 1 and "cannot use the database sqlite:///" in lines[0]
    (tmp_path / "garbage.db").write_bytes(b"this is not a database file" * 100)
    code, lines = run_with(tmp_path, f"sqlite:///{tmp_path}/garbage.db")
    assert code == 1 and len(lines) == 1 and "garbage.db" in lines[0]


def test_a_refused_postgresql_names_the_url_with_the_password_masked(tmp_path: Path) -> None:
    code, lines = run_with(tmp_path, f"postgresql+psycopg://pw:s3cret@127.0.0.1:{closed_port()}/pw")
    assert code == 1 and len(lines) == 1
    assert "s3cret" not in lines[0] and "pw:***@127.0.0.1" in lines[0]


def test_a_postgresql_that_never_answers_times_out(tmp_path: Path, silent_server: int) -> None:
    started = time.monotonic()
    code, lines = run_with(tmp_path, f"postgresql+psycopg://pw@127.0.0.1:{silent_server}/pw")
    assert code == 1 and len(lines) == 1 and "cannot use the database" in lines[0]
    assert time.monotonic() - started < 60
