"""The pipeline above storage: stored document versions → parse → rule-set versions → changes.

For each announcement whose page or attachments have bytes this parser version has not
seen, parse (pure), then per series: append a version when the canonical rows are new,
hold it as suspect when the health guard says so, and record the diff against the version
in force when the new one takes over. One announcement per transaction: a failure loses
only that announcement's work, and it is retried on the next run.

It lives in the application layer because it joins parsers, the rule logic and storage;
storage only persists, and the rule logic knows nothing of either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from parsers import PARSER_VERSION
from parsers.problem_codes import actionable
from parsers.rows import Attachment, DocumentInput, DocumentMeta, ParseProblem, ParseResult
from policywatch.parse_worker import BoundedParser, ParseLimits, Parser
from rules.changes import ChangeProvenance
from rules.diff import diff_rule_sets
from rules.registry import KINDS, RuleRow, row_from_fields
from rules.relevance import is_electrician_related
from storage.documents import announcements_due, attachments_of, latest_version, linked_files
from storage.in_force import version_date
from storage.models import Document, DocumentParse, DocumentVersion, RuleSetVersion, Source, utcnow
from storage.rulesets import (
    VersionFacts,
    append_version,
    canonical_hash,
    current_version,
    find_version,
    get_series,
    is_held,
    record_changes,
    release_version,
    replaced_doc_numbers,
    series_fed_by,
    version_rows,
)

log = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    documents: int = 0
    versions: int = 0
    changes_released: int = 0
    changes_held: int = 0
    suspect_versions: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def merge(self, other: ProcessReport) -> None:
        """Count one announcement's outcome once its transaction has committed."""
        self.documents += 1
        self.versions += other.versions
        self.changes_released += other.changes_released
        self.changes_held += other.changes_held
        self.suspect_versions += other.suspect_versions


def document_input(session: Session, document: Document) -> tuple[DocumentInput, Row[Any] | None]:
    """What the crawler stored for an announcement, as the parsers take it."""
    page = latest_version(session, document.id)
    source = session.get(Source, document.source_id)
    linked = linked_files(page.meta) if page is not None else []
    attachments = []
    for child in attachments_of(session, document.id, linked=linked):
        version = latest_version(session, child.id)
        if version is None:
            continue
        name = PurePosixPath(unquote(urlsplit(child.url).path)).name or "attachment"
        attachments.append(
            Attachment(url=child.url, filename=name, data=version.data, content_type=version.content_type)
        )
    doc_input = DocumentInput(
        url=document.url,
        region=source.region if source else None,
        title=(page.title if page else None) or document.list_title,
        page=page.data if page else None,
        page_encoding=page.encoding if page else None,
        attachments=tuple(attachments),
        published_at=(page.published_at if page else None) or document.list_date,
        doc_number=page.doc_number if page else None,
    )
    return doc_input, page


def _guard(
    rows: Sequence[RuleRow], previous: RuleSetVersion | None, problems: Sequence[ParseProblem]
) -> str | None:
    """Why a new version must not reach subscribers before someone confirms it, if it must not."""
    reasons = []
    if problems:
        reasons.append("parse problems: " + "; ".join(f"{p.code}: {p.message}" for p in problems[:3]))
    if previous is not None and previous.row_count > 0:
        if not rows:
            reasons.append(f"no rows where the previous version (#{previous.id}) had {previous.row_count}")
        elif len(rows) * 2 < previous.row_count:
            reasons.append(f"row count fell from {previous.row_count} (#{previous.id}) to {len(rows)}")
    return "; ".join(reasons) or None


def _stored_rows(session: Session, version: RuleSetVersion, kind: str) -> list[RuleRow]:
    return [row_from_fields(kind, r.fields) for r in version_rows(session, version)]


def apply_parse(
    session: Session,
    document: Document,
    page_version: DocumentVersion | None,
    through_version_id: int,
    result: ParseResult,
    parser_version: str,
    report: ProcessReport,
    default_region: str | None,
) -> None:
    """Turn one parse result into versions and changes, series by series."""
    meta = result.meta
    region = meta.region or default_region or "unknown"
    published = (
        meta.published_at or (page_version.published_at if page_version else None) or document.list_date
    )
    doc_number = meta.doc_number or (page_version.doc_number if page_version else None)
    problems = [{"code": p.code, "message": p.message, "where": p.where.to_dict()} for p in result.problems]
    series_keys = {(region, k) for k in result.kinds()} | series_fed_by(session, document.id)
    if not series_keys and result.problems:
        # at the default level only what an operator can act on (as the operator alerts)
        actionable_problem = actionable((p.code for p in result.problems), result.not_about is not None)
        log.log(
            logging.WARNING if actionable_problem else logging.INFO,
            "document %s: parse problems and no rules: %s",
            document.url,
            problems[:3],
        )
    for series_region, kind in sorted(series_keys):
        rows: list[RuleRow] = result.rows_of(kind) if series_region == region else []
        series = get_series(session, series_region, kind)
        previous = current_version(session, series.id)
        version_day = meta.effective_at or published or utcnow().date()
        replaced = doc_number is not None and doc_number in replaced_doc_numbers(session, series.id)
        takes_over = not replaced and (previous is None or version_day >= version_date(previous))
        if KINDS[kind].keeps_absent_rows and rows and previous is not None and takes_over:
            # e.g. cut-offs are facts per year: a new year's notice adds to the earlier years
            new_keys = {r.key() for r in rows}
            rows = rows + [r for r in _stored_rows(session, previous, kind) if r.key() not in new_keys]
        _, digest = canonical_hash(rows)
        existing = find_version(session, series.id, digest)
        if existing is not None:
            if is_held(session, existing) and _guard(rows, previous, result.problems) is None:
                released = release_version(
                    session, existing, "confirmed", "health guard (consistent re-parse)"
                )
                report.changes_released += released
                log.info("version #%s confirmed by a consistent re-parse of %s", existing.id, document.url)
            continue
        # A historical version is not compared with what is in force: only its own problems count.
        suspect = _guard(rows, previous if takes_over else None, result.problems)
        version = append_version(
            session,
            series,
            rows,
            VersionFacts(
                document_version_id=page_version.id if page_version else None,
                published_at=published,
                effective_at=meta.effective_at,
                doc_number=doc_number,
                replaces=meta.replaces,
                parser_version=parser_version,
                problems=problems,
                suspect_reason=suspect,
            ),
            is_electrician_related,
        )
        if version is None:
            continue
        report.versions += 1
        if suspect:
            report.suspect_versions.append(version.id)
            log.warning("version #%s of %s/%s held as suspect: %s", version.id, series_region, kind, suspect)
        if previous is None or not takes_over:
            log.info(
                "version #%s of %s/%s stored (%s, %d rows)",
                version.id,
                series_region,
                kind,
                "baseline" if previous is None else "historical, not in force",
                len(rows),
            )
            continue
        upgrade_only = (
            previous.document_version_id == version.document_version_id
            and previous.parser_version != parser_version
        )
        changes = diff_rule_sets(
            _stored_rows(session, previous, kind),
            rows,
            region=series_region,
            kind=kind,
            relevant=is_electrician_related,
            provenance=ChangeProvenance(
                source_url=document.url,
                document_title=(page_version.title if page_version else None)
                or meta.title
                or document.list_title,
                doc_number=doc_number,
                published_at=published,
                effective_at=meta.effective_at,
                detected_at=utcnow(),
            ),
        )
        if upgrade_only:
            changes = [dataclasses.replace(c, parser_upgrade=True) for c in changes]
        release = suspect is None and not upgrade_only
        record_changes(session, version, previous, changes, release=release)
        if release:
            report.changes_released += len(changes)
        else:
            report.changes_held += len(changes)
        log.info(
            "version #%s of %s/%s: %d changes against #%s%s",
            version.id,
            series_region,
            kind,
            len(changes),
            previous.id,
            " (parser upgrade only)" if upgrade_only else (" (held)" if suspect else ""),
        )
    session.add(
        DocumentParse(
            document_id=document.id,
            parser_version=parser_version,
            through_version_id=through_version_id,
            row_counts={k: len(result.rows_of(k)) for k in result.kinds()},
            problems=problems,
            coverage_seen=result.coverage.seen,
            coverage_read=result.coverage.read,
            not_about=result.not_about,
        )
    )


def process_new_versions(
    sessions: sessionmaker[Session],
    *,
    parse: Parser | None = None,
    limits: ParseLimits | None = None,
    parser_version: str = PARSER_VERSION,
    since: dt.datetime | None = None,
    force: bool = False,
) -> ProcessReport:
    """Parse every announcement with unparsed bytes and version what it yields.

    ``parse`` defaults to parsers.parse_document in a bounded worker process (``limits``),
    started only when something is due.
    """
    report = ProcessReport()
    with sessions.begin() as session:
        due = announcements_due(session, parser_version, since=since, force=force)
    if not due:
        return report
    with contextlib.ExitStack() as stack:
        bounded = parse or stack.enter_context(BoundedParser(limits))
        for doc_id, through in due:
            _process_one(sessions, bounded, parser_version, doc_id, through, report)
    return report


def _process_one(
    sessions: sessionmaker[Session],
    parse: Parser,
    parser_version: str,
    doc_id: int,
    through: int,
    report: ProcessReport,
) -> None:
    """One announcement: read it, parse it outside any transaction (a parse may take a while,
    and on SQLite a transaction holds the write lock), then version it in one transaction, so
    a failure loses only its own work."""
    try:
        with sessions.begin() as session:
            document = session.get(Document, doc_id)
            assert document is not None
            doc_input, page_version = document_input(session, document)
            page_version_id = page_version.id if page_version is not None else None
        try:
            result = parse(doc_input)
        except Exception as exc:  # parsers promise not to raise; a bug must not stop the run
            log.exception("parser crashed on %s", doc_input.url)
            result = ParseResult(
                meta=DocumentMeta(title=doc_input.title, region=doc_input.region),
                problems=[ParseProblem("parser_error", f"{type(exc).__name__}: {exc}")],
            )
        outcome = ProcessReport()
        with sessions.begin() as session:
            document = session.get(Document, doc_id)
            assert document is not None
            page = session.get(DocumentVersion, page_version_id) if page_version_id is not None else None
            apply_parse(session, document, page, through, result, parser_version, outcome, doc_input.region)
        report.merge(outcome)
    except Exception as exc:
        log.exception("versioning failed for document %s; it will be retried next run", doc_id)
        report.failures.append(f"document {doc_id}: {type(exc).__name__}: {exc}")


__all__ = [
    "ProcessReport",
    "apply_parse",
    "document_input",
    "process_new_versions",
]
