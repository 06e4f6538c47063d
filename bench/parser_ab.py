"""Parse throughput of two parser versions, alternated in one run so machine noise hits both.

    .venv/bin/python bench/parser_ab.py --before REF [--corpus tests/fixtures/corpus] [--pairs 3]

REF (a commit, tag or branch) is checked out into a temporary git worktree; each pair runs
``bench/accuracy.py --json --repeat 3`` there (A) and here (B), each on its own copy of the
corpus (expected rows may differ between versions; the documents do not). Prints per format
the median docs/s of A and B with min/max and the ratio B/A. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _throughput(root: Path, corpus: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(root / "bench" / "accuracy.py"), "--corpus", str(root / corpus), "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {fmt: t["docs_per_second"] for fmt, t in json.loads(out)["throughput"].items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision of the parser to compare against")
    ap.add_argument("--corpus", default="tests/fixtures/corpus", help="corpus path inside each checkout")
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pw-parser-ab-") as tmp:
        before = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before), args.before], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        try:
            runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
            for _ in range(args.pairs):
                runs["A"].append(_throughput(before, args.corpus))
                runs["B"].append(_throughput(ROOT, args.corpus))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=False)
    print(f"parse throughput, docs/s: A = {args.before}, B = working tree; {args.pairs} alternated pairs")
    for fmt in runs["B"][0]:
        a = [r[fmt] for r in runs["A"] if fmt in r]
        b = [r[fmt] for r in runs["B"]]
        if not a:
            continue
        ratio = statistics.median(b) / statistics.median(a)
        print(
            f"  {fmt:5s} A median {statistics.median(a):7.2f} (min {min(a):.2f}, max {max(a):.2f})   "
            f"B median {statistics.median(b):7.2f} (min {min(b):.2f}, max {max(b):.2f})   B/A {ratio:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
