"""Rules written as sentences: points clauses, cut-offs, talent conditions, windows.

"取得高级工职业资格证书的，积40分"; "社保每满1年积2分，最高不超过20分";
"2026年积分落户分数线为120分，指标1500个"; "具有高级工及以上职业资格、在本市连续缴纳社会
保险满6个月"; "申报时间为2026年3月1日至3月31日".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from rules.dates import parse_window
from rules.kinds.cutoff import CutoffScore
from rules.kinds.points import PointsItem, PointsValue, canonical_category, normalise_item, parse_points
from rules.kinds.talent import (
    TalentCondition,
    age_limit,
    caption_channel,
    insurance_months,
    named_channel,
    requirements,
    shared_conditions,
    talent_clauses,
)
from rules.levels import find_levels
from rules.numerals import NUMBER, parse_int, parse_number
from rules.provenance import Provenance
from rules.registry import RuleRow
from rules.text import normalise_name, squash, strip_enumeration

from .grid import TextBlock
from .outline import heading_level, heading_title
from .rows import ReadCoverage

_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
_POINTS_PHRASE = re.compile(
    rf"(?:积|计|加|得|扣除|扣减|扣|减去|减|记|给予|赋)\s*(?:{NUMBER})\s*分|每[^，,。；;]{{0,12}}?{NUMBER}\s*分|{NUMBER}\s*分\s*/\s*[年月次]"
)
_SCORE_WORDS = r"分数线|分值线|积分线|入围分值|落户分值|最低分值|入围分数|落户分数"
_CUTOFF_WORDS = re.compile(_SCORE_WORDS)
_SETTLE = re.compile(r"落户|入户|迁入|户口|户籍")
_APPLY_WORDS = re.compile(r"申请|申报|受理|提交|报名|办理")
_YEAR_OF = re.compile(r"(20\d{2})\s*年(?:度)?(?!\s*\d{1,2}\s*月)")
_SCORE = re.compile(rf"(?:{_SCORE_WORDS})\s*(?:为|是|定为|确定为|:|：)?\s*({NUMBER})\s*分")
_QUOTA = re.compile(rf"(?:指标|名额|计划)[^，,。；;0-9]{{0,8}}?({NUMBER})\s*(?:个|名|人|户)")
_EARLIER_YEAR = re.compile(
    rf"[(（]\s*(?:其中|另)?\s*(?P<year>(?:19|20)\d{{2}})\s*年(?:度)?[^()（）\d]{{0,10}}?(?:为|是|:|：)\s*"
    rf"(?P<score>{NUMBER})\s*分\s*[)）]"
)
_WINDOW_WORDS = re.compile(r"申报时间|受理时间|申请时间|申报期限|受理期限|申报日期|网上申报|集中申报")
_RESPECTIVELY = re.compile(rf"分别\s*(?:积|计|加|得|记|给予)?\s*((?:{NUMBER}\s*分?\s*[、，,和及]?\s*)+)")


def sentences(text: str) -> list[str]:
    """Split on sentence-ending punctuation; commas stay (a rate and its cap belong together)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


@dataclass
class NarrativeReader:
    """Reads text blocks in order, keeping headings as context for the clauses below them."""

    year_hint: int | None = None
    context: str = ""  # the document title: "积分落户" there makes a bare 落户名额 sentence a quota
    default_channel: str = "人才引进落户"
    rows: list[RuleRow] = field(default_factory=list)
    _headings: dict[int, str] = field(default_factory=dict)  # outline level → heading text
    _section_months: int | None = None
    _section_age: int | None = None
    _section_shared: dict[str, object] = field(default_factory=dict)  # catalogue, housing … stated once
    _cutoffs: dict[int, dict[str, object]] = field(default_factory=dict)
    _windows: list[tuple[dt.date, dt.date, Provenance]] = field(default_factory=list)
    _pending: list[int] = field(default_factory=list)  # indexes of talent rows still open
    _block: int = 0  # the paragraph being read
    _run_block: int = -1  # the paragraph of the last talent sentence
    _run_channel: str | None = None  # the channel of that run
    _run_months: bool = False  # whether that run has stated insurance months ("满2年" then reads alone)
    coverage: ReadCoverage = field(default_factory=ReadCoverage)  # rule-like sentences seen and read
    # rule-like sentences that gave nothing
    unread: list[tuple[str, Provenance]] = field(default_factory=list)
    # conditions stated once with no clause of their own to attach to (housing, catalogue, age by
    # sex), with the channel they name if any: they belong to the rows of the tables
    loose_conditions: list[tuple[dict[str, object], str | None, str]] = field(default_factory=list)

    def read(self, blocks: list[TextBlock]) -> list[RuleRow]:
        for index, block in enumerate(blocks):
            self._block = index
            for sentence in sentences(block.text):
                self._sentence(sentence, block.source)
        self._finish_cutoffs()
        return self.rows

    def _sentence(self, raw: str, src: Provenance) -> None:
        """Read one sentence and count it: a sentence that looks like a rule and gave nothing
        is reported (``unread``), never dropped in silence."""
        text = squash(raw)
        rows_before = len(self.rows)
        used = self._read_sentence(text, src)
        if rule_like_sentence(text):
            read = used or len(self.rows) > rows_before
            self.coverage += ReadCoverage(1, int(read))
            if not read:
                self.unread.append((text, src))

    def _read_sentence(self, text: str, src: Provenance) -> bool:
        level = heading_level(text)
        if level is not None:
            # a new item at some outline level ends the sections at that level and below
            self._headings = {k: v for k, v in self._headings.items() if k < level}
            title = heading_title(text)
            if title:
                self._headings[level] = title
                self._pending = []
                self._section_months = self._section_age = None
                self._section_shared = {}
        points_context = "积分" in text or "积分" in self.context or bool(self._cutoffs)
        if _CUTOFF_WORDS.search(text) or (_QUOTA.search(text) and points_context and _SETTLE.search(text)):
            if self._cutoff(text, src):
                return True
        if _WINDOW_WORDS.search(text) or _APPLY_WORDS.search(text) or self._window_heading():
            # a window without its year ("3月10日至4月10日") is in the cut-off year in force
            start, end = parse_window(text, max(self._cutoffs) if self._cutoffs else self.year_hint)
            if start and end:
                self._windows.append((start, end, src))
                return True
        if _POINTS_PHRASE.search(text) and not re.search(r"满分|总分", text):
            self._pending = []
            self._points(text, src)
            return False
        reqs = requirements(text)
        if (
            reqs
            and "积分落户" not in text
            and (
                _SETTLE.search(text)
                or insurance_months(text) is not None
                or self._talent_heading()
                or self._talent_document()
            )
        ):
            self._talent(text, reqs, src)
            return False
        months, age = insurance_months(text), age_limit(text)
        shared = shared_conditions(text)
        channel = named_channel(text)
        if months is not None or age is not None:
            # a condition listed before the requirement applies to the requirements that follow
            self._section_months = months if months is not None else self._section_months
            self._section_age = age if age is not None else self._section_age
        if shared:
            # a condition stated once: for the clauses that follow it in this section ...
            self._section_shared = {**self._section_shared, **shared}
        if shared and (not self._pending or channel is not None):
            # ... and, after a table ("在思明区、湖里区落户的，须有自有住房"), for that table's rows
            self.loose_conditions.append((shared, channel, text))
        targets = self._pending
        if channel is not None and (months is not None or age is not None or shared):
            # "申请人才引进落户的，男性年龄不超过55周岁…": for every row of that channel
            targets = [
                i for i, r in enumerate(self.rows) if isinstance(r, TalentCondition) and r.channel == channel
            ]
        if targets and (months is not None or age is not None or shared):
            # "以上人员年龄均不超过45周岁" after the level clauses: for all of them
            filled = {"social_insurance_months": months, "age_limit": age, **shared}
            for index in targets:
                row = self.rows[index]
                assert isinstance(row, TalentCondition)
                self.rows[index] = fill_conditions(row, filled)
        return months is not None or age is not None or bool(shared)

    @property
    def _heading(self) -> str | None:
        """The innermost heading in force."""
        return self._headings[max(self._headings)] if self._headings else None

    def _window_heading(self) -> bool:
        return bool(self._heading and _WINDOW_WORDS.search(self._heading))

    def _talent_document(self) -> bool:
        """A settlement document that is not about points (its title says 落户, not 积分)."""
        return bool(_SETTLE.search(self.context)) and "积分" not in self.context

    def _talent_heading(self) -> bool:
        return bool(self._heading and _SETTLE.search(self._heading))

    # -- cut-offs ---------------------------------------------------------------------
    def _cutoff(self, text: str, src: Provenance) -> bool:
        """Score and quota per year; a clause naming its own year starts that year's facts."""
        year_m = _YEAR_OF.search(text)
        sentence_year = int(year_m.group(1)) if year_m else self.year_hint
        if sentence_year is None:
            return False
        year = sentence_year
        found = False
        for earlier in _EARLIER_YEAR.finditer(text):  # "…为80分（2025年度为76分）": that year's score
            entry = self._cutoffs.setdefault(int(earlier.group("year")), {"src": src})
            if entry.get("score") is None:
                entry["score"] = parse_number(earlier.group("score"))
                found = True
        text = _EARLIER_YEAR.sub("", text)
        for clause in re.split(r"(?<!\d)[,，;；]|[,，;；](?!\d)", text):
            clause_year = _YEAR_OF.search(clause)
            if clause_year:
                year = int(clause_year.group(1))
            score_m = _SCORE.search(clause)
            quota_m = _QUOTA.search(clause)
            if not score_m and not quota_m:
                continue
            entry = self._cutoffs.setdefault(year, {"src": src})
            if score_m and entry.get("score") is None:
                entry["score"] = parse_number(score_m.group(1))
                found = True
            if quota_m and entry.get("quota") is None:
                entry["quota"] = parse_int(quota_m.group(1))
                found = True
        if found and (_WINDOW_WORDS.search(text) or _APPLY_WORDS.search(text)):
            start, end = parse_window(text, sentence_year)
            if start and end:
                self._cutoffs[sentence_year]["window"] = (start, end)
        return found

    def _finish_cutoffs(self) -> None:
        for year, entry in sorted(self._cutoffs.items()):
            score, quota = entry.get("score"), entry.get("quota")
            if score is None and quota is None:
                continue
            window = entry.get("window")
            if window is None:
                window = next(
                    (
                        (s, e)
                        for s, e, _ in self._windows
                        if s.year in (year, year - 1) or len(self._cutoffs) == 1
                    ),
                    None,
                )
            start, end = window if isinstance(window, tuple) else (None, None)
            src = entry["src"]
            assert isinstance(src, Provenance)
            self.rows.append(
                CutoffScore(
                    year=year,
                    score=score if isinstance(score, float) else None,
                    quota=quota if isinstance(quota, int) else None,
                    window_start=start,
                    window_end=end,
                    source=src,
                )
            )

    # -- points -------------------------------------------------------------------------
    def _category(self, text: str, level_found: bool) -> str:
        if re.search(r"紧缺|急需", text):
            return "紧缺工种"
        for level in sorted(self._headings, reverse=True):
            heading = canonical_category(self._headings[level])
            if heading and heading != normalise_name(strip_enumeration(self._headings[level])):
                return heading
        if re.search(r"扣|减\s*\d|减分|违法|犯罪|失信", text):
            return "减分"
        if level_found:
            return "技能水平"
        return canonical_category(text) or "其他"

    def _points(self, text: str, src: Provenance) -> None:
        if _RESPECTIVELY.search(text) and len(find_levels(text)) >= 2:
            self._points_clause(text, src)  # "初级工、中级工分别积10分、20分": one clause
            return
        for clause in _split_clauses(text):
            self._points_clause(clause, src)

    def _points_clause(self, text: str, src: Provenance) -> None:
        levels = find_levels(text)
        respectively = _RESPECTIVELY.search(text)
        if respectively and len(levels) >= 2:
            values = [parse_number(v) for v in re.findall(NUMBER, respectively.group(1))]
            if len(values) == len(levels) and all(v is not None for v in values):
                category = self._category(text, True)
                for level, number in zip(levels, values, strict=True):
                    self._add(category, level, PointsValue(points=number), src)
                return
        if len(levels) >= 2:
            pairs = _level_pairs(text)
            if pairs:
                category = self._category(text, True)
                for level, pair_value in pairs:
                    self._add(category, level, pair_value, src)
                return
        value = parse_points(text)
        if value is None:
            return
        m = _POINTS_PHRASE.search(text)
        subject = text[: m.start()] if m else text
        subject = re.split(r"[：:]", subject)[
            -1
        ]  # a lead-in ("有下列情形之一的，予以减分：") is not the item
        subject = re.sub(r"[，,、]?$", "", subject)
        category = self._category(text, bool(levels))
        item = levels[0] if len(levels) == 1 else normalise_item(_subject_item(subject))
        if not item:
            item = normalise_name(self._heading) or category
        self._add(category, item, value, src)

    def _add(self, category: str, item: str, value: PointsValue, src: Provenance) -> None:
        sign = -1 if category == "减分" else value.sign
        self.rows.append(
            PointsItem(
                category=category,
                item=item,
                points=value.points,
                per=value.per,
                cap=value.cap,
                sign=sign,
                source=src,
            )
        )

    # -- talent -------------------------------------------------------------------------
    def _talent(self, text: str, reqs: list[tuple[str, str | None]], src: Provenance) -> None:
        # the section heading ("一、技能人才落户") first, then the channel the clause names
        channel = next(
            (
                found
                for level in sorted(self._headings, reverse=True)
                if (found := caption_channel(self._headings[level]))
            ),
            None,
        )
        if channel is None and self._heading and len(self._heading) <= 12:
            channel = named_channel(self._heading)
        if channel is None:
            channel = named_channel(text)
        channel = normalise_name(channel) or self.default_channel
        same_run = self._run_block == self._block
        groups = talent_clauses(text, carry_months=same_run and self._run_months)
        if not same_run and not (self._run_block == self._block - 1 and self._run_channel == channel):
            self._pending = []  # list items of one channel, paragraph after paragraph, stay one run
        self._run_block = self._block
        self._run_channel = channel
        self._run_months = (same_run and self._run_months) or any(g.months is not None for g in groups)
        shared = {k: v for k, v in shared_conditions(text).items() if k not in _SEXED}
        for group in groups:
            months = group.months
            if months is None and not group.no_months:
                months = self._section_months
            age = group.age if group.age is not None or group.sexed else self._section_age
            male, female = group.sexed or (None, None)
            for requirement, level in group.requirements:
                self._pending.append(len(self.rows))
                row = TalentCondition(channel=channel, requirement=requirement, level=level,
                                      social_insurance_months=months, age_limit=age, conditions=None,
                                      age_limit_male=male, age_limit_female=female, source=src, **shared)  # fmt: skip
                self.rows.append(fill_conditions(row, self._section_shared))


_SEXED = ("age_limit_male", "age_limit_female")


def fill_conditions(row: TalentCondition, filled: dict[str, object]) -> TalentCondition:
    """Conditions stated once for several rows fill only what a row does not state itself;
    an age for everyone and an age by sex never both land on one row."""
    has_age = row.age_limit is not None or row.age_limit_male is not None or row.age_limit_female is not None
    values = {
        k: v
        for k, v in filled.items()
        if v is not None and getattr(row, k) is None and not (has_age and k in ("age_limit", *_SEXED))
    }
    return replace(row, **values)  # type: ignore[arg-type]


def concerns(text: str, channel: str | None, row_channel: str, channels: set[str]) -> bool:
    """Whether a condition sentence is about the rows of ``row_channel``: the channel it names,
    else the channels whose name it mentions ("注：技能人才所持职业须列入…" is about 技能人才落户
    only), else every channel ("以上人员…")."""
    named = {c for c in channels if c in text}  # "申请技能人才落户、紧缺技能人才落户的，…"
    if named:
        return row_channel in named
    if channel is not None:
        return channel == row_channel
    mentioned = {c for c in channels if (core := _channel_core(c)) and core in text}
    return not mentioned or row_channel in mentioned


def _channel_core(channel: str) -> str:
    """ "技能人才落户" / "技能人才引进" → 技能人才: the applicants a channel is for."""
    core = re.sub(r"(?:引进)?(?:落户|入户)$|引进$", "", channel)
    return core if len(core) >= 2 else ""


def apply_loose_conditions(
    rows: list[RuleRow], conditions: list[tuple[dict[str, object], str | None, str]]
) -> list[RuleRow]:
    """Fill table talent rows with conditions the text states once for a channel (or all)."""
    if not conditions:
        return rows
    channels = {r.channel for r in rows if isinstance(r, TalentCondition)}
    out: list[RuleRow] = []
    for row in rows:
        if isinstance(row, TalentCondition) and row.source.table is not None:
            for filled, channel, text in conditions:
                if concerns(text, channel, row.channel, channels):
                    row = fill_conditions(row, filled)
        out.append(row)
    return out


def rule_like_sentence(text: str) -> bool:
    """A sentence that states points, a cut-off, or a requirement with its conditions."""
    if _POINTS_PHRASE.search(text) and not re.search(r"满分|总分", text):
        return True
    if _CUTOFF_WORDS.search(text) and re.search(rf"{NUMBER}\s*分", text):
        return True
    return bool(requirements(text)) and (
        insurance_months(text) is not None or age_limit(text) is not None or bool(_SETTLE.search(text))
    )


def default_channel(title: str) -> str:
    """The channel a document's title names ("关于技能人才落户的通知"), else 人才引进落户."""
    found = named_channel(squash(title))
    return found if found and found != "积分落户" else "人才引进落户"


def _split_clauses(text: str) -> list[str]:
    """Split a sentence into clauses with one points phrase each, keeping a cap with its rate."""
    parts = re.split(r"(?<=分)[，,](?!\s*(?:最高|最多|上限|累计|封顶|以|不超过|总分))", text)
    return [p for p in parts if p]


def _level_pairs(text: str) -> list[tuple[str, PointsValue]]:
    """ "初级工积10分、中级工积20分" → one (level, points) per level."""
    out: list[tuple[str, PointsValue]] = []
    for part in re.split(r"[、，,]", text):
        levels = find_levels(part)
        value = parse_points(part) if "分" in part else None
        if levels and value is not None:
            if len(levels) != 1:
                return []
            out.append((levels[0], value))
    return out if len(out) >= 2 else []


_SUBJECT_PREFIX = re.compile(r"^(?:凡|对|对于|其中|另外|此外|同时)")


def _subject_item(subject: str) -> str:
    subject = _SUBJECT_PREFIX.sub("", strip_enumeration(subject))
    subject = re.sub(r"(?:的|者)$", "", subject)
    return subject
