#!/usr/bin/env python3
"""What parsing in the bounded worker costs over parsing in-process, on the accuracy corpus.

    .venv/bin/python bench/parse_worker_overhead.py [--rounds 7] [--corpus DIR]

Rounds alternate in-process and worker (A, B, A, B …) in one run so that machine load hits
both alike; each round parses every corpus document once (the .doc/.wps documents, which go
through LibreOffice in both cases, are left out: their conversion dominates and is the
same on both sides). The worker is started once, as in a run, and its start-up is reported
separately. Prints medians with min/max and the overhead ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus_scoring import DEFAULT_CORPUS, build_input, load_corpus  # noqa: E402
from parsers import parse_document  # noqa: E402
from parsers.rows import DocumentInput  # noqa: E402
from policywatch.parse_worker import BoundedParser  # noqa: E402


def timed(parse: object, inputs: list[DocumentInput]) -> float:
    started = time.perf_counter()
    for doc in inputs:
        parse(doc)  # type: ignore[operator]
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args(argv)
    docs = [d for d in load_corpus(args.corpus) if d.fmt not in ("doc", "wps")]
    inputs = [build_input(d) for d in docs]
    in_process: list[float] = []
    in_worker: list[float] = []
    with BoundedParser() as worker:
        started = time.perf_counter()
        worker(inputs[0])
        startup = time.perf_counter() - started
        timed(parse_document, inputs)  # warm caches on both sides before measuring
        timed(worker, inputs)
        for _ in range(args.rounds):
            in_process.append(timed(parse_document, inputs))
            in_worker.append(timed(worker, inputs))

    def fmt(values: list[float]) -> str:
        return f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"

    ratio = [w / p for w, p in zip(in_worker, in_process, strict=True)]
    print(f"documents per round: {len(inputs)} (corpus {args.corpus.name}, .doc/.wps left out)")
    print(f"in-process parse: {fmt(in_process)}")
    print(f"bounded worker parse: {fmt(in_worker)}")
    print(
        f"worker overhead: median {statistics.median(ratio) - 1:+.1%} (min {min(ratio) - 1:+.1%}, max {max(ratio) - 1:+.1%})"
    )
    print(f"worker start-up: {startup:.2f} s (once per run that has something to parse)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
