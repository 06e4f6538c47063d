"""Old binary office formats (.doc, .wps, .et, .rtf) converted by LibreOffice headless.

Runs soffice in its own process group with a timeout and a private profile directory
(-env:UserInstallation), so parallel conversions never collide and a hung office process
never blocks the crawl.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..grid import ReadFailure

CONVERT_TIMEOUT = 90.0


def _own_memory_limit() -> None:
    """LibreOffice is bounded by its own timeout, not by the parse worker's memory ceiling
    (a soft limit the worker set on itself; the hard limit is untouched)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def find_soffice() -> str | None:
    """Path of the LibreOffice binary, or None when it is not installed."""
    override = os.environ.get("POLICYWATCH_SOFFICE")
    if override:
        return override if Path(override).exists() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_soffice(data: bytes, suffix: str, target: str, timeout: float = CONVERT_TIMEOUT) -> bytes:
    """Convert ``data`` (a file with extension ``suffix``) to ``target`` (docx/xlsx) and return it.

    soffice runs headless in its own process group with a timeout; on timeout the whole group
    (soffice and soffice.bin) is killed.
    """
    soffice = find_soffice()
    if soffice is None:
        raise ReadFailure(
            "conversion_unavailable", f"{suffix} needs LibreOffice (soffice), which is not installed"
        )
    with tempfile.TemporaryDirectory(prefix="pw-soffice-") as tmp:
        work = Path(tmp)
        src = work / f"input{suffix}"
        src.write_bytes(data)
        outdir = work / "out"
        profile_dir = str(work / "profile")  # private: parallel conversions never share one
        cmd = [
            soffice,
            f"-env:UserInstallation={Path(profile_dir).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(src),
        ]
        env = {**os.environ, "HOME": tmp}
        try:
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
                preexec_fn=_own_memory_limit,
            )
        except OSError as exc:
            raise ReadFailure("conversion_unavailable", f"cannot run LibreOffice: {exc}") from exc
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ReadFailure(
                "conversion_failed", f"LibreOffice did not finish within {timeout:.0f} s"
            ) from exc
        produced = list(outdir.glob(f"*.{target}")) if outdir.exists() else []
        if not produced:
            detail = (stderr or stdout or b"").decode("utf-8", "replace").strip()[:300]
            raise ReadFailure(
                "conversion_failed", f"LibreOffice produced no {target} (exit {proc.returncode}): {detail}"
            )
        return produced[0].read_bytes()
