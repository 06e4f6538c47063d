"""Parser accuracy over a corpus: precision / recall / F1 per kind, per format and overall,
document-metadata accuracy, and parse throughput (documents per second per format).

    .venv/bin/python bench/accuracy.py [--corpus DIR] [--json] [-v] [--repeat N] [--only NAME ...]

``--corpus`` points the same measurement at documents the parser has never seen (same
layout: ``NAME.input.json`` + ``NAME.expected.json`` + files). ``-v`` lists every
mismatching row. Always exits 0: it is a benchmark, the gate is tests/test_accuracy_corpus.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` and ``parsers`` importable
    sys.path.insert(0, str(ROOT))

from bench.corpus_scoring import (  # noqa: E402
    DEFAULT_CORPUS,
    Counts,
    Summary,
    evaluate,
    load_corpus,
    summarise,
)


def _line(label: str, c: Counts) -> str:
    return (
        f"  {label:34s} P={c.precision:6.3f}  R={c.recall:6.3f}  F1={c.f1:6.3f}"
        f"   (tp={c.tp} fp={c.fp} fn={c.fn}; expected {c.tp + c.fn})"
    )


def render_text(s: Summary, corpus: Path, verbose: bool) -> str:
    out = [f"accuracy over {s.documents} documents in {corpus}", "", "overall", _line("all rows", s.overall)]
    out += ["", "per kind"] + [_line(k, c) for k, c in s.per_kind.items()]
    out += ["", "per format"] + [_line(k, c) for k, c in s.per_format.items()]
    seen, read = s.coverage_total
    out += [
        "",
        "never silent",
        f"  documents with a wrong row         {len(s.wrong)} of {s.documents}",
        f"  ... of which no problem reported   {len(s.silent)} (silent){': ' if s.silent else ''}"
        + ", ".join(s.silent),
        f"  coverage (rule-like cells and sentences read / seen)  {read}/{seen}"
        + (f" = {read / seen:.3f}" if seen else ""),
    ]
    low = {name: (sn, rd) for name, (sn, rd) in s.coverage.items() if sn and rd < sn}
    out += [f"    {name}: {rd}/{sn}" for name, (sn, rd) in low.items()]
    out += ["", "document meta (exact match per field)"]
    for k, (ok, n) in s.meta.items():
        out.append(f"  {k:34s} {ok}/{n}" + (f"  ({ok / n:.3f})" if n else ""))
    out += ["", "throughput"]
    for fmt, t in s.throughput.items():
        out.append(
            f"  {fmt:34s} {t['docs_per_second']:8.2f} docs/s   ({t['documents']} documents, "
            f"{t['parses']} parses, {t['seconds']:.3f} s)"
        )
    if s.errors:
        out += ["", "parser exceptions"] + [f"  {name}: {err}" for name, err in s.errors.items()]
    if s.problems:
        out += ["", "parse problems reported"]
        for name, probs in s.problems.items():
            out += [f"  {name}: {p}" for p in probs]
    if verbose:
        out += ["", "per document (F1 below 1 only)"]
        out += [_line(name, c) for name, c in s.per_document.items() if c.f1 < 1.0] or [
            "  all documents exact"
        ]
        out += ["", f"mismatching rows ({len(s.mismatches)})"]
        for m in s.mismatches:
            if m.status == "differs":
                diffs = ", ".join(
                    f"{f}: expected {m.expected[f]!r} got {m.predicted[f]!r}"  # type: ignore[index]
                    for f in m.differing_fields()
                )
                out.append(f"  [{m.document}] DIFFERS {m.kind} {m.key!r}: {diffs}")
            elif m.status == "missing":
                out.append(f"  [{m.document}] MISSING {m.kind} {m.key!r}: {_compact(m.expected)}")
            else:
                out.append(f"  [{m.document}] EXTRA   {m.kind} {m.key!r}: {_compact(m.predicted)}")
    return "\n".join(out)


def _compact(d: dict[str, Any] | None) -> str:
    return json.dumps({k: v for k, v in (d or {}).items() if v is not None}, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Parser accuracy and throughput over a fixture corpus.")
    ap.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory (default: %(default)s)"
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="list mismatching rows")
    ap.add_argument("--repeat", type=int, default=3, help="parses per document for the throughput figure")
    ap.add_argument("--only", nargs="*", help="document names to measure")
    args = ap.parse_args(argv)

    docs = load_corpus(args.corpus, args.only)
    try:
        from parsers import parse_document
    except ImportError as exc:
        msg = f"parsers.parse_document is not available yet ({exc}); {len(docs)} corpus documents loaded"
        print(json.dumps({"error": msg, "documents": len(docs)}) if args.json else msg)
        return 0

    summary = summarise(evaluate(docs, parse_document, repeat=args.repeat))
    if args.json:
        data = summary.as_dict()
        if not args.verbose:
            data.pop("mismatches")
            data.pop("per_document")
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(render_text(summary, args.corpus, args.verbose))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
