"""Parsing with a memory ceiling and a deadline: documents are parsed in a worker process.

A small hostile document (a 60 KB xlsx merging A1:XFD5000, 20 KB of digits for a regex)
can take gigabytes or minutes inside a parser library. In a worker process both can be
bounded (an address-space limit, a wall-clock deadline), and the parent keeps the GIL free
for the lease heartbeat. A document that hits a limit becomes a ``too_large`` or
``timeout`` parse problem (its version is held as suspect) and the run goes on; the worker
is replaced for the next document.

The worker is ``python -m policywatch.parse_worker``: documents and results travel as
length-prefixed pickles over its stdin/stdout (the worker is our own code; only what it
parses is untrusted).
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import resource
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from crawlers.processes import child_environment, exit_with_parent
from parsers.rows import DocumentInput, DocumentMeta, ParseProblem, ParseResult

log = logging.getLogger(__name__)

Parser = Callable[[DocumentInput], ParseResult]
_HEADER = struct.Struct("!Q")
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ParseLimits:
    seconds: float = 120.0  # wall clock per document
    memory_bytes: int = 2 * 1024**3  # address space of the worker (libraries included)


class _Stopped(Exception):
    """The worker did not answer in time, or died."""


def _failed(doc: DocumentInput, code: str, message: str) -> ParseResult:
    return ParseResult(
        meta=DocumentMeta(title=doc.title, region=doc.region, published_at=doc.published_at),
        problems=[ParseProblem(code, message)],
    )


DEFAULT_TARGET = "parsers:parse_document"


class BoundedParser:
    """``parse(doc)`` in a long-lived worker process, within ``limits``; started on first use.

    ``target`` ("module:function") is what the worker calls; tests point it at misbehaving
    stand-ins to check the limits themselves.
    """

    def __init__(self, limits: ParseLimits | None = None, target: str = DEFAULT_TARGET) -> None:
        self.limits = limits or ParseLimits()
        self.target = target
        self._process: subprocess.Popen[bytes] | None = None

    def __call__(self, doc: DocumentInput) -> ParseResult:
        deadline = time.monotonic() + self.limits.seconds
        try:
            process = self._worker()
            assert process.stdin is not None and process.stdout is not None
            payload = pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.write(_HEADER.pack(len(payload)) + payload)
            process.stdin.flush()
            (size,) = _HEADER.unpack(_read(process.stdout, _HEADER.size, deadline))
            result: ParseResult = pickle.loads(_read(process.stdout, size, deadline))
            return result
        except TimeoutError:
            self.close()
            log.warning("parsing %s took longer than %.0f s; stopped it", doc.url, self.limits.seconds)
            return _failed(
                doc, "timeout", f"parsing took longer than {self.limits.seconds:.0f} s and was stopped"
            )
        except (_Stopped, OSError, EOFError, pickle.UnpicklingError):
            code = self._process.poll() if self._process else None
            self.close()
            log.warning(
                "the parse worker died on %s (exit %s); a new one takes the next document", doc.url, code
            )
            return _failed(doc, "too_large", "the parser process died on this document (out of memory?)")

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            env = child_environment()
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "policywatch.parse_worker",
                    str(self.limits.memory_bytes),
                    self.target,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        return self._process

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> BoundedParser:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _read(stream: IO[bytes], size: int, deadline: float) -> bytes:
    """Exactly ``size`` bytes from the worker, or TimeoutError at the deadline."""
    fd = stream.fileno()
    chunks: list[bytes] = []
    left = size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise _Stopped
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _serve(memory_bytes: int, target: str) -> None:
    """The worker's loop: stdin gives documents, results go to the original stdout; anything a
    library prints goes to stderr instead, so it cannot corrupt the stream."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)  # soft only: LibreOffice may lift it for itself
    exit_with_parent()
    resource.setrlimit(resource.RLIMIT_AS, (min(memory_bytes, hard) if hard > 0 else memory_bytes, hard))
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    module, _, name = target.partition(":")
    parse: Parser = getattr(importlib.import_module(module), name)
    stdin = sys.stdin.buffer
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        doc = pickle.loads(stdin.read(_HEADER.unpack(header)[0]))
        try:
            result = parse(doc)
        except MemoryError:  # outside parse_document's own guards
            result = _failed(doc, "too_large", "parsing needed more memory than the worker may use")
        payload: Any = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(payload)) + payload)
        out.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2])
