"""The conditional pre-check: ask a source's known pages whether anything changed, without Scrapy.

An unchanged poll is the common case (a Fujian HR list changes a few times a month), and
starting Scrapy for it costs ~2 CPU s where the requests themselves cost a few ms. So
before a crawl, every request the crawl would make first for a source is made here, as
the same conditional GET: its list pages (page 0 and the further pages it linked) and the
stored announcements due for a recheck (crawlers/freshness.py) with their attachments.
When every one answers 304, the source is recorded as crawled, with the health the spider
would have reported, and Scrapy is not started for it. Anything else — a 200, an error, a
redirect, a page never read with validators, an entry never fetched, a browser source —
hands the source to the crawl, which does everything as usual (so a changed list page is
requested twice: once here, once by the crawl).

Politeness is the crawl's: the same User-Agent, one request at a time per host with the
configured delay between them, robots.txt obeyed when the config says so, and only URLs
on the source's allowed domains that a crawl stored before.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawlers.crawl_config import CrawlConfig
from crawlers.freshness import RecheckPolicy
from crawlers.health import HealthTracker, SourceHealth
from crawlers.registry import SourceDefinition, on_domains
from crawlers.settings import user_agent
from crawlers.store import CrawlStore, record_health, source_record
from storage.documents import KnownDocument, mark_checked, sync_sources
from storage.list_pages import KnownListPage
from storage.tables import utcnow

log = logging.getLogger("crawlers")

MAX_HOSTS_AT_ONCE = 100  # hosts asked in parallel (threads that mostly wait); one request at a time per host


@dataclass(frozen=True)
class Probe:
    """One conditional GET the crawl would make, and what a 304 to it stands for."""

    url: str
    etag: str | None
    last_modified: str | None
    document_id: int | None = None  # a stored document rechecked: a 304 is recorded as its check


@dataclass
class SourcePlan:
    """The probes of one source, or why it must be crawled in full."""

    source: SourceDefinition
    probes: list[Probe] = field(default_factory=list)
    needs_crawl: str | None = None  # why the pre-check cannot answer for this source
    unfetched: list[str] = field(default_factory=list)  # listed, never read: robots.txt must forbid them
    tracker: HealthTracker | None = None


@dataclass
class PrecheckResult:
    unchanged: list[SourceHealth]  # recorded as crawled: every request answered 304
    to_crawl: list[str]  # source ids the crawl must read


def _validated(url: str, etag: str | None, last_modified: str | None, **kw: object) -> Probe | None:
    return Probe(url, etag, last_modified, **kw) if etag or last_modified else None  # type: ignore[arg-type]


def plan_source(
    source: SourceDefinition,
    lists: dict[str, KnownListPage],
    known: dict[str, KnownDocument],
    policy: RecheckPolicy,
    list_pages: int,
) -> SourcePlan:
    """The conditional requests a crawl of ``source`` would start with (pure: no I/O).

    Mirrors crawlers/spiders/trs.py: list page 0 of each section, the further pages it
    linked, then the stored announcements due for a recheck and their attachments.
    """
    plan = SourcePlan(source, tracker=HealthTracker(source.id))
    tracker = plan.tracker
    assert tracker is not None
    if source.fetch == "browser":
        plan.needs_crawl = "read through the browser"
        return plan
    pages: list[KnownListPage] = []
    for start in source.start_urls:
        first = lists.get(start)
        if first is None:
            plan.needs_crawl = f"{start} not read before"
            return plan
        pages.append(first)
        for url in first.page_urls[: max(0, list_pages - 1)]:
            page = lists.get(url)
            if page is None:
                plan.needs_crawl = f"{url} not read before"
                return plan
            pages.append(page)
    for page in pages:
        probe = _validated(page.url, page.etag, page.last_modified)
        if probe is None:
            plan.needs_crawl = f"{page.url} sent no validators"
            return plan
        plan.probes.append(probe)
        for entry in page.entries:
            if not on_domains(entry.url, source.allowed_domains):
                tracker.offsite_links += 1
                continue
            tracker.items_seen += 1
            doc = known.get(entry.url)
            if doc is None or doc.last_checked_at is None:
                plan.unfetched.append(entry.url)  # the crawl would ask for it again
                continue
            if doc.list_title != entry.title or doc.list_date != entry.date:
                plan.needs_crawl = f"{entry.url} retitled or redated"
                return plan
    children: dict[int, list[KnownDocument]] = {}
    for doc in known.values():
        if doc.parent_id is not None:
            children.setdefault(doc.parent_id, []).append(doc)
    for doc in known.values():
        if not (policy.due(doc) and on_domains(doc.url, source.allowed_domains)):
            continue
        for item in [doc, *(children.get(doc.id, []) if doc.relevant else [])]:
            probe = _validated(item.url, item.etag, item.last_modified, document_id=item.id)
            if probe is None or item.last_checked_at is None:
                plan.needs_crawl = f"{item.url} has no validators to recheck with"
                return plan
            plan.probes.append(probe)
    if len({_origin(u) for u in [*(p.url for p in plan.probes), *plan.unfetched]}) > 1:
        plan.needs_crawl = "its pages are on more than one host"  # robots.txt and pacing are per host
    return plan


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class HostAnswer:
    """What a host answered to its probes: the sources whose every probe got a 304."""

    answered: dict[str, int] = field(default_factory=dict)  # source id -> requests made
    changed: dict[str, str] = field(default_factory=dict)  # source id -> why it needs a crawl


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a moved page is the crawl's business (it checks where the redirect goes)


Fetch = Callable[[urllib.request.Request, float], int]


def _status(opener: urllib.request.OpenerDirector) -> Fetch:
    def fetch(request: urllib.request.Request, timeout: float) -> int:
        try:
            with opener.open(request, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code

    return fetch


def _robots(
    fetch_text: Callable[[str], str | None], host_url: str, agent: str
) -> Callable[[str], bool] | None:
    """robots.txt of a host as an allow check; None when it could not be read."""
    from protego import Protego

    text = fetch_text(host_url + "/robots.txt")
    if text is None:
        return None
    rules = Protego.parse(text)
    return lambda url: bool(rules.can_fetch(url, agent))


def _ask_host(
    plans: list[SourcePlan], config: CrawlConfig, fetch: Fetch, agent: str, host_url: str
) -> HostAnswer:
    """One host's probes, one at a time with the crawl's delay; a source stops at its first non-304."""
    answer = HostAnswer()
    crawl = config.crawl
    delay = crawl.download_delay
    first = True

    def pause() -> None:
        nonlocal first
        if not first and delay > 0:
            time.sleep(delay)
        first = False

    allowed: Callable[[str], bool] | None = lambda _url: True  # noqa: E731
    if crawl.obey_robots_txt:

        def fetch_text(url: str) -> str | None:
            pause()
            request = urllib.request.Request(url, headers={"User-Agent": agent})
            try:
                with urllib.request.build_opener(_NoRedirect).open(
                    request, timeout=crawl.timeout_seconds
                ) as r:
                    return bytes(r.read(512 * 1024)).decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                exc.close()
                return "" if 400 <= exc.code < 500 else None  # no robots.txt: everything allowed
            except Exception:  # noqa: BLE001 - anything a host sends: the crawl decides
                return None

        allowed = _robots(fetch_text, host_url, agent)
    robots_requests = 0 if first else 1  # counted with the host's first source, as a crawl would
    for plan in plans:
        sid = plan.source.id
        if allowed is None:
            answer.changed[sid] = "robots.txt could not be read"
            continue
        if fetchable := [url for url in plan.unfetched if allowed(url)]:
            answer.changed[sid] = f"{fetchable[0]} never fetched"
            continue
        assert plan.tracker is not None
        for url in plan.unfetched:  # what the crawl would note for them, without a request
            plan.tracker.notes.append(f"{url}: Forbidden by robots.txt")
        made, robots_requests = robots_requests, 0
        for probe in plan.probes:
            if not allowed(probe.url):
                answer.changed[sid] = f"{probe.url} disallowed by robots.txt"
                break
            headers = {"User-Agent": agent}
            if probe.etag:
                headers["If-None-Match"] = probe.etag
            if probe.last_modified:
                headers["If-Modified-Since"] = probe.last_modified
            pause()
            made += 1
            try:
                status = fetch(urllib.request.Request(probe.url, headers=headers), crawl.timeout_seconds)
            except Exception as exc:  # noqa: BLE001 - refused, reset, a bad status line: the crawl decides
                answer.changed[sid] = f"{probe.url}: {type(exc).__name__}"
                break
            if status != 304:
                answer.changed[sid] = f"{probe.url}: HTTP {status}"
                break
        else:
            answer.answered[sid] = made
    return answer


def _host_of(plan: SourcePlan) -> str:
    """The one host a plan's requests go to (plan_source hands multi-host sources to the crawl)."""
    return _origin(plan.probes[0].url if plan.probes else plan.source.start_urls[0])


def precheck_sources(
    config: CrawlConfig,
    sources: Iterable[SourceDefinition],
    *,
    now: dt.datetime | None = None,
    fetch: Fetch | None = None,
) -> PrecheckResult:
    """Record as crawled every source whose known pages all answer 304; return the others."""
    sources = list(sources)
    if not sources:
        return PrecheckResult([], [])
    started = now or utcnow()
    store = CrawlStore(config.database_url)
    in_force = store.in_force(started.date())
    policy = RecheckPolicy.from_settings(config.crawl, started, in_force)
    plans: list[SourcePlan] = []
    to_crawl: list[str] = []
    for source in sources:
        plan = plan_source(
            source,
            store.known_list_pages(source.id),
            store.known(source.id),
            policy,
            source.list_pages or config.crawl.list_pages,
        )
        if plan.needs_crawl is not None:
            log.info("%s: pre-check: crawl needed (%s)", source.id, plan.needs_crawl)
            to_crawl.append(source.id)
        else:
            plans.append(plan)
    by_host: dict[str, list[SourcePlan]] = {}
    for plan in plans:
        by_host.setdefault(_host_of(plan), []).append(plan)
    agent = user_agent(config.crawl)
    fetch = fetch or _status(urllib.request.build_opener(_NoRedirect))
    answers: list[HostAnswer] = []
    if by_host:
        with ThreadPoolExecutor(min(MAX_HOSTS_AT_ONCE, len(by_host))) as pool:
            answers = list(
                pool.map(lambda item: _ask_host(item[1], config, fetch, agent, item[0]), by_host.items())
            )
    made = {sid: n for a in answers for sid, n in a.answered.items()}
    for a in answers:
        for sid, why in a.changed.items():
            log.info("%s: pre-check: crawl needed (%s)", sid, why)
            to_crawl.append(sid)
    unchanged = []
    with store.sessions.begin() as session:  # one transaction for every source answered
        for plan in plans:
            sid = plan.source.id
            if sid not in made:
                continue
            sync_sources(session, [source_record(plan.source)])  # as a crawl would: names may change
            mark_checked(session, [p.document_id for p in plan.probes if p.document_id is not None], utcnow())
            assert plan.tracker is not None
            health = plan.tracker.result(new=0, changed=0, requests=made[sid], bytes_downloaded=0)
            record_health(session, health, started)
            unchanged.append(health)
    for health in unchanged:
        log.info(
            "%s: unchanged: %d requests, all answered 304 (no crawl needed)",
            health.source_id,
            health.requests,
        )
    order = {s.id: n for n, s in enumerate(sources)}
    return PrecheckResult(unchanged, sorted(to_crawl, key=order.__getitem__))
