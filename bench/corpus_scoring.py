"""Score a parser against a corpus of documents with hand-written expected rows.

Shared by ``bench/accuracy.py`` (prints the figures) and ``tests/test_accuracy_corpus.py``
(asserts them), so the bench and the gate can never measure different things.

Corpus layout (one directory, flat): for each document ``NAME.input.json`` (what the crawler
hands the parser: url, region, title, page file, attachments) and ``NAME.expected.json``
(format, region, meta, rows), plus the files they name.

Matching: a predicted row matches an expected row when kind, ``key()`` and ``fields()`` are
equal, numbers compared numerically (10 == 10.0). Rows are matched as multisets per
document, so a duplicated row is one true positive and one false positive. Precision,
recall and F1 are micro-averaged per kind, per format and overall.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsers.rows import Attachment, DocumentInput, ParseResult
from rules import ROW_TYPES, RULE_KINDS, CutoffScore

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus"
FORMATS: tuple[str, ...] = ("html", "xlsx", "xls", "docx", "doc", "pdf")
META_FIELDS: tuple[str, ...] = ("doc_number", "published_at", "effective_at", "replaces")

ParseFn = Callable[[DocumentInput], ParseResult]


# --------------------------------------------------------------------------- corpus loading


@dataclass(frozen=True)
class CorpusDoc:
    """One corpus document: its input description, expected result and directory."""

    name: str
    directory: Path
    input: dict[str, Any]
    expected: dict[str, Any]

    @property
    def fmt(self) -> str:
        return str(self.expected["format"])


def load_corpus(directory: Path | str = DEFAULT_CORPUS, only: Iterable[str] | None = None) -> list[CorpusDoc]:
    """Every ``*.input.json`` with its ``*.expected.json`` sibling, sorted by name."""
    directory = Path(directory)
    wanted = set(only or ())
    docs: list[CorpusDoc] = []
    for inp in sorted(directory.glob("*.input.json")):
        name = inp.name[: -len(".input.json")]
        if wanted and name not in wanted:
            continue
        exp = directory / f"{name}.expected.json"
        if not exp.exists():
            raise FileNotFoundError(f"{exp} missing (every input needs its expected result)")
        docs.append(
            CorpusDoc(
                name=name,
                directory=directory,
                input=json.loads(inp.read_text(encoding="utf-8")),
                expected=json.loads(exp.read_text(encoding="utf-8")),
            )
        )
    return docs


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def build_input(doc: CorpusDoc) -> DocumentInput:
    """The DocumentInput the crawler would pass for this document (bytes read from disk)."""
    spec = doc.input
    page = (doc.directory / spec["page"]).read_bytes() if spec.get("page") else None
    attachments = tuple(
        Attachment(
            url=a["url"],
            filename=a["filename"],
            data=(doc.directory / a["file"]).read_bytes(),
            content_type=a.get("content_type"),
        )
        for a in spec.get("attachments", ())
    )
    return DocumentInput(
        url=spec["url"],
        region=spec.get("region"),
        title=spec.get("title"),
        page=page,
        page_encoding=spec.get("page_encoding"),
        attachments=attachments,
        published_at=_date(spec.get("published_at")),
        doc_number=spec.get("doc_number"),
    )


def row_from_expected(data: dict[str, Any]) -> Any:
    """Construct the row dataclass from an expected JSON row (raises on unknown or missing fields)."""
    kind = data["kind"]
    cls = ROW_TYPES[kind]
    values = {k: v for k, v in data.items() if k != "kind"}
    if kind == "shortage_occupations":
        # As-printed name is display-only (not in fields()), so the corpus does not record it.
        values.setdefault("occupation_printed", values.get("occupation"))
    if cls is CutoffScore:
        values["window_start"] = _date(values.get("window_start"))
        values["window_end"] = _date(values.get("window_end"))
    return cls(**values)


def expected_rows(doc: CorpusDoc) -> list[Any]:
    return [row_from_expected(r) for r in doc.expected["rows"]]


# --------------------------------------------------------------------------- matching


def _norm_value(value: Any) -> Any:
    """Numbers compare numerically (40 == 40.0); everything else as is, hashably."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        f = float(value)
        return "nan" if math.isnan(f) else round(f, 9)
    if isinstance(value, list | tuple):
        return tuple(_norm_value(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm_value(v)) for k, v in value.items()))
    return value


def row_signature(row: Any) -> tuple[str, str, tuple[tuple[str, Any], ...]]:
    """(kind, key, fields) in a hashable, numerically normalised form."""
    fields = row.fields()
    return (row.kind, row.key(), tuple((k, _norm_value(v)) for k, v in fields.items()))


@dataclass
class Counts:
    """True positives, false positives and false negatives, with the derived ratios."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "expected": self.tp + self.fn,
            "predicted": self.tp + self.fp,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Mismatch:
    """A row that did not match: missing (expected only), extra (predicted only) or wrong fields."""

    document: str
    kind: str
    key: str
    status: str  # missing | extra | differs
    expected: dict[str, Any] | None = None
    predicted: dict[str, Any] | None = None

    def differing_fields(self) -> list[str]:
        if not (self.expected and self.predicted):
            return []
        return [
            k
            for k in self.expected
            if _norm_value(self.expected.get(k)) != _norm_value(self.predicted.get(k))
        ]

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "document": self.document,
            "kind": self.kind,
            "key": self.key,
            "status": self.status,
        }
        if self.status == "differs" and self.expected and self.predicted:
            exp, pred = self.expected, self.predicted
            d["fields"] = {k: {"expected": exp[k], "predicted": pred[k]} for k in self.differing_fields()}
        else:
            d["row"] = self.expected if self.status == "missing" else self.predicted
        return d


@dataclass
class DocResult:
    name: str
    fmt: str
    counts: dict[str, Counts]
    mismatches: list[Mismatch]
    meta_ok: dict[str, bool]
    seconds: float
    runs: int
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    coverage: tuple[int, int] = (0, 0)  # rule-like cells and sentences (seen, read)

    @property
    def wrong(self) -> bool:
        """Any row missing, extra or different."""
        return bool(self.mismatches) or self.error is not None

    @property
    def silent(self) -> bool:
        """Wrong, and nothing told the operator so: the failure this product cannot afford."""
        return self.wrong and not self.problems and self.error is None


def compare_rows(
    name: str, expected: list[Any], predicted: list[Any]
) -> tuple[dict[str, Counts], list[Mismatch]]:
    """Multiset match of rows by signature; unmatched rows are paired by (kind, key) for diagnosis."""
    counts = {k: Counts() for k in RULE_KINDS}
    exp_c = Counter(row_signature(r) for r in expected)
    pred_c = Counter(row_signature(r) for r in predicted)
    # Original field values (not the numerically normalised ones) for readable diagnostics.
    shown = {row_signature(r): r.fields() for r in [*predicted, *expected]}
    for sig in exp_c.keys() | pred_c.keys():
        kind = sig[0]
        c = counts.setdefault(kind, Counts())
        both = min(exp_c[sig], pred_c[sig])
        c.tp += both
        c.fn += exp_c[sig] - both
        c.fp += pred_c[sig] - both

    leftovers_exp = exp_c - pred_c
    leftovers_pred = pred_c - exp_c
    by_key_pred: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for sig, n in sorted(leftovers_pred.items(), key=repr):
        by_key_pred[(sig[0], sig[1])].extend([sig] * n)
    mismatches: list[Mismatch] = []
    for sig, n in sorted(leftovers_exp.items(), key=repr):
        for _ in range(n):
            pool = by_key_pred.get((sig[0], sig[1]))
            if pool:
                other = pool.pop(0)
                mismatches.append(Mismatch(name, sig[0], sig[1], "differs", shown[sig], shown[other]))
            else:
                mismatches.append(Mismatch(name, sig[0], sig[1], "missing", expected=shown[sig]))
    for (kind, key), pool in sorted(by_key_pred.items()):
        for other in pool:
            mismatches.append(Mismatch(name, kind, key, "extra", predicted=shown[other]))
    return counts, mismatches


def _meta_value(name: str, meta: Any) -> Any:
    value = getattr(meta, name, None)
    if isinstance(value, dt.date):
        return value.isoformat()
    if name == "replaces":
        return sorted(value or ())
    return value


def compare_meta(expected: dict[str, Any], meta: Any) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for name in META_FIELDS:
        want = expected.get(name)
        if name == "replaces":
            want = sorted(want or [])
        out[name] = _meta_value(name, meta) == want
    return out


# --------------------------------------------------------------------------- running


def evaluate(docs: list[CorpusDoc], parse: ParseFn, repeat: int = 1) -> list[DocResult]:
    """Parse every document ``repeat`` times (timing all runs) and compare the last result."""
    results: list[DocResult] = []
    for doc in docs:
        inp = build_input(doc)
        exp_rows = expected_rows(doc)
        error: str | None = None
        result: ParseResult | None = None
        start = time.perf_counter()
        runs = 0
        for _ in range(max(1, repeat)):
            runs += 1
            try:
                result = parse(inp)
            except Exception as exc:  # a crashing parser scores zero recall on this document
                error = f"{type(exc).__name__}: {exc}"
                result = None
                break
        seconds = time.perf_counter() - start
        predicted = list(result.rows) if result else []
        counts, mismatches = compare_rows(doc.name, exp_rows, predicted)
        meta_ok = (
            compare_meta(doc.expected.get("meta", {}), result.meta)
            if result
            else dict.fromkeys(META_FIELDS, False)
        )
        problems = [f"{p.code}: {p.message}" for p in result.problems] if result else []
        cov = getattr(result, "coverage", None)
        coverage = (cov.seen, cov.read) if cov is not None else (0, 0)
        results.append(
            DocResult(
                doc.name, doc.fmt, counts, mismatches, meta_ok, seconds, runs, error, problems, coverage
            )
        )
    return results


@dataclass
class Summary:
    """All figures of one run: per kind, per format, overall, meta accuracy and throughput."""

    overall: Counts
    per_kind: dict[str, Counts]
    per_format: dict[str, Counts]
    meta: dict[str, tuple[int, int]]
    throughput: dict[str, dict[str, float]]
    documents: int
    errors: dict[str, str]
    problems: dict[str, list[str]]
    mismatches: list[Mismatch]
    per_document: dict[str, Counts] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)  # documents with any row wrong
    silent: list[str] = field(default_factory=list)  # ... of which no problem was reported
    coverage: dict[str, tuple[int, int]] = field(default_factory=dict)  # per document (seen, read)

    @property
    def coverage_total(self) -> tuple[int, int]:
        return (sum(s for s, _ in self.coverage.values()), sum(r for _, r in self.coverage.values()))

    def as_dict(self) -> dict[str, Any]:
        seen, read = self.coverage_total
        return {
            "documents": self.documents,
            "wrong_documents": self.wrong,
            "silent_documents": self.silent,
            "coverage": {
                "seen": seen,
                "read": read,
                "ratio": round(read / seen, 4) if seen else None,
                "per_document": {k: {"seen": v[0], "read": v[1]} for k, v in self.coverage.items()},
            },
            "overall": self.overall.as_dict(),
            "per_kind": {k: c.as_dict() for k, c in self.per_kind.items()},
            "per_format": {k: c.as_dict() for k, c in self.per_format.items()},
            "meta": {
                k: {"correct": ok, "total": n, "accuracy": round(ok / n, 4) if n else None}
                for k, (ok, n) in self.meta.items()
            },
            "throughput": self.throughput,
            "errors": self.errors,
            "problems": self.problems,
            "mismatches": [m.as_dict() for m in self.mismatches],
            "per_document": {k: c.as_dict() for k, c in self.per_document.items()},
        }


def summarise(results: list[DocResult]) -> Summary:
    overall = Counts()
    per_kind: dict[str, Counts] = {k: Counts() for k in RULE_KINDS}
    per_format: dict[str, Counts] = {}
    meta: dict[str, list[int]] = {k: [0, 0] for k in META_FIELDS}
    timing: dict[str, list[float]] = {}
    per_document: dict[str, Counts] = {}
    for r in results:
        fmt_counts = per_format.setdefault(r.fmt, Counts())
        doc_counts = per_document.setdefault(r.name, Counts())
        for kind, c in r.counts.items():
            doc_counts.add(c)
            per_kind.setdefault(kind, Counts()).add(c)
            fmt_counts.add(c)
            overall.add(c)
        for k, ok in r.meta_ok.items():
            meta[k][0] += int(ok)
            meta[k][1] += 1
        t = timing.setdefault(r.fmt, [0, 0.0, 0])
        t[0] += 1
        t[1] += r.seconds
        t[2] += r.runs
    throughput = {
        fmt: {
            "documents": int(n),
            "parses": int(runs),
            "seconds": round(secs, 4),
            "docs_per_second": round(runs / secs, 2) if secs else float("inf"),
        }
        for fmt, (n, secs, runs) in sorted(timing.items(), key=lambda kv: _fmt_order(kv[0]))
    }
    ordered_formats = dict(sorted(per_format.items(), key=lambda kv: _fmt_order(kv[0])))
    return Summary(
        overall=overall,
        per_kind=per_kind,
        per_format=ordered_formats,
        meta={k: (v[0], v[1]) for k, v in meta.items()},
        throughput=throughput,
        documents=len(results),
        errors={r.name: r.error for r in results if r.error},
        problems={r.name: r.problems for r in results if r.problems},
        mismatches=[m for r in results for m in r.mismatches],
        per_document=per_document,
        wrong=[r.name for r in results if r.wrong],
        silent=[r.name for r in results if r.silent],
        coverage={r.name: r.coverage for r in results},
    )


def _fmt_order(fmt: str) -> tuple[int, str]:
    return (FORMATS.index(fmt) if fmt in FORMATS else len(FORMATS), fmt)


def oracle_parser(docs: list[CorpusDoc]) -> ParseFn:
    """A perfect parser that answers from the expected JSON: checks the measuring stick itself."""
    from parsers.rows import DocumentMeta, ParseResult

    by_url = {d.input["url"]: d for d in docs}

    def parse(inp: DocumentInput) -> ParseResult:
        doc = by_url[inp.url]
        m = doc.expected.get("meta", {})
        meta = DocumentMeta(
            title=inp.title,
            region=doc.expected.get("region"),
            doc_number=m.get("doc_number"),
            published_at=_date(m.get("published_at")),
            effective_at=_date(m.get("effective_at")),
            replaces=tuple(m.get("replaces") or ()),
        )
        return ParseResult(meta=meta, rows=expected_rows(doc))

    return parse
