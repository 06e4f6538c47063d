"""Can this worker settle here? A profile against the rules in force: an estimate, never a guess.

Pure: the rules in force for a region (rows with the document each came from) and a
profile in, an estimate out; no database, no network, no clock. Per region:

- 积分落户: points item by item. A fact the profile does not give makes its item *unknown*:
  listed, never guessed, and the total becomes a range (``points_min`` … ``points_max``).
  Rates are counted per full unit and capped (每满1年3分，最高45分). Items of one kind that
  exclude each other (skill level, age band, schooling, housing, shortage bonus) count
  once, the best one. Deductions count only when the profile answers them (an unknown one
  is listed but moves neither bound). The latest cut-off gives the margin.
- 人才 / 技能人才落户: rows of a channel are alternatives; a row is met when every one of its
  conditions is (skill level or higher, insurance months, age by sex, catalogue, housing),
  not met when one fails, unknown otherwise.
- What would help: the smallest changes of the profile (next certificate level, insurance
  months up to the next threshold) with their effect in every region.
- What a rule change does to a person (``change_effect``), for digests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from .changes import Change
from .display import number, one_line
from .kinds.cutoff import CutoffScore
from .kinds.points import PointsItem, level_of
from .kinds.shortage import ShortageEntry
from .kinds.talent import TalentCondition
from .levels import level_rank
from .occupations import normalise_occupation
from .profile import Certificate, CityFacts, Profile, education_tier, education_words, next_level
from .provenance import Provenance
from .regions import region_label
from .registry import row_from_fields

ESTIMATE_NOTE = (
    "这是根据已发布规则计算的估计，不是审批结论：以原文和主管部门解释为准；"
    "档案没有回答的项目列为“无法判断”，不作猜测。"
)

R = TypeVar("R")


@dataclass(frozen=True)
class DocRef:
    """The document a rule row was read from."""

    url: str | None = None
    title: str | None = None
    doc_number: str | None = None

    def describe(self) -> str:
        parts = [one_line(self.title or "", 80), one_line(self.doc_number or "", 40)]
        return " ".join(p for p in parts if p) or (self.url or "")


@dataclass(frozen=True)
class Sourced(Generic[R]):
    """A rule row with the document it came from."""

    row: R
    doc: DocRef = field(default_factory=DocRef)


@dataclass(frozen=True)
class RegionRules:
    """The rules in force in one region at one date (``catalogues``: other lists in force,
    e.g. the province's, that a talent condition may name)."""

    region: str
    points: tuple[Sourced[PointsItem], ...] = ()
    talent: tuple[Sourced[TalentCondition], ...] = ()
    shortage: tuple[Sourced[ShortageEntry], ...] = ()
    cutoffs: tuple[Sourced[CutoffScore], ...] = ()
    catalogues: tuple[Sourced[ShortageEntry], ...] = ()

    @property
    def has_settlement_rules(self) -> bool:
        return bool(self.points or self.talent or self.cutoffs)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class PointsLine:
    """An item counted: its points for this person and how they were reached."""

    category: str
    item: str
    points: float
    how: str
    doc: DocRef


@dataclass(frozen=True)
class UnknownItem:
    """An item the profile cannot answer: at most ``at_most`` points (None: no cap printed)."""

    category: str
    item: str
    why: str
    at_most: float | None
    deduction: bool
    doc: DocRef

    def label(self) -> str:
        if self.deduction:
            worth = f"可能扣 {number(self.at_most)} 分，未计入"
        elif self.at_most is None:
            worth = "分值无上限"
        else:
            worth = f"最多 {number(self.at_most)} 分"
        name = self.item if self.category in self.item else f"{self.category} {self.item}"
        return f"{name}：{self.why}（{worth}）"


@dataclass(frozen=True)
class TalentResult:
    """One requirement row of a talent channel, checked."""

    channel: str
    requirement: str
    met: bool | None
    missing: tuple[str, ...]
    unknown: tuple[str, ...]
    doc: DocRef


@dataclass(frozen=True)
class RegionEstimate:
    region: str
    points_items: tuple[PointsLine, ...]
    unknown_items: tuple[UnknownItem, ...]
    points_min: float | None  # None: no points schedule in force
    points_max: float | None  # None with a schedule: an unknown item has no cap
    cutoff: Sourced[CutoffScore] | None
    talent: tuple[TalentResult, ...]
    notes: tuple[str, ...]
    documents: tuple[DocRef, ...]

    @property
    def label(self) -> str:
        return region_label(self.region)

    @property
    def has_points(self) -> bool:
        return self.points_min is not None

    @property
    def points_total(self) -> float | None:
        if self.points_min is not None and self.points_max == self.points_min:
            return self.points_min
        return None

    @property
    def cutoff_year(self) -> int | None:
        return self.cutoff.row.year if self.cutoff else None

    @property
    def cutoff_score(self) -> float | None:
        return self.cutoff.row.score if self.cutoff else None

    @property
    def margin(self) -> float | None:
        if self.points_min is None or self.cutoff_score is None:
            return None
        return self.points_min - self.cutoff_score

    def above_cutoff(self) -> bool | None:
        """At or above the latest cut-off: surely (min), surely not (max), or unknown."""
        score = self.cutoff_score
        if score is None or self.points_min is None:
            return None
        if self.points_min >= score:
            return True
        if self.points_max is not None and self.points_max < score:
            return False
        return None

    def points_text(self) -> str:
        """ "31", or "27–35" when unknown items make it a range, or "27 起" without a bound."""
        if self.points_min is None:
            return "无积分标准"
        if self.points_total is not None:
            return number(self.points_total)
        if self.points_max is None:
            return f"{number(self.points_min)} 起"
        return f"{number(self.points_min)}–{number(self.points_max)}"

    def channels(self) -> dict[str, bool | None]:
        """Each talent channel: met by some row, failed by all, or unknown."""
        out: dict[str, bool | None] = {}
        for result in self.talent:
            out[result.channel] = _any(out.get(result.channel, False), result.met)
        return out


def _any(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _all(values: Iterable[bool | None]) -> bool | None:
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


@dataclass(frozen=True)
class Suggestion:
    """A small change of the profile and what it does in each region."""

    change: str
    effects: tuple[str, ...]
    crosses: bool  # a talent channel becomes met or a cut-off is reached somewhere


@dataclass(frozen=True)
class Estimate:
    regions: tuple[RegionEstimate, ...]
    suggestions: tuple[Suggestion, ...]
    note: str = ESTIMATE_NOTE

    def to_json(self) -> list[dict[str, Any]]:
        return [region_json(r, self.suggestions) for r in self.regions]


def region_json(r: RegionEstimate, suggestions: Sequence[Suggestion] = ()) -> dict[str, Any]:
    """The DESIGN.md ``eligibility --format json`` object of one region."""
    label = r.label
    return {
        "region": r.region,
        "region_label": label,
        "estimate": True,
        "points_total": r.points_total,
        "points_min": r.points_min,
        "points_max": r.points_max,
        "points_items": [
            {
                "category": p.category,
                "item": p.item,
                "points": p.points,
                "how": p.how,
                "source_url": p.doc.url,
                "doc_number": p.doc.doc_number,
            }
            for p in r.points_items
        ],
        "unknown_items": [u.label() for u in r.unknown_items],
        "cutoff_year": r.cutoff_year,
        "cutoff_score": r.cutoff_score,
        "cutoff_source_url": r.cutoff.doc.url if r.cutoff else None,
        "margin": r.margin,
        "talent": [
            {
                "channel": t.channel,
                "requirement": t.requirement,
                "met": t.met,
                "missing": list(t.missing),
                "unknown": list(t.unknown),
                "source_url": t.doc.url,
            }
            for t in r.talent
        ],
        "channels": r.channels(),
        "what_would_help": [
            {"change": s.change, "effect": e} for s in suggestions for e in s.effects if e.startswith(label)
        ],
        "notes": list(r.notes),
        "documents": [{"title": d.title, "doc_number": d.doc_number, "url": d.url} for d in r.documents],
    }


# ---------------------------------------------------------------- points


@dataclass(frozen=True)
class _Outcome:
    """One item for one person: counted (points), zero, or unknown (why, at most)."""

    points: float | None = None  # None: unknown
    how: str = ""
    at_most: float | None = 0.0


_EXCLUSIVE = ("技能水平", "年龄", "学历", "住房", "紧缺工种")
_ACCUMULATE = re.compile(r"累计|累加|叠加|分别计")
_DEGREE = re.compile(r"特别紧缺|非常紧缺|一般紧缺|急需紧缺")


def _unit(per: str) -> tuple[float, str] | None:
    """ "年" → (1, 年), "6月" → (6, 月), "2年" → (2, 年)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)?(年|月|次|小时)", per)
    if not m:
        return None
    return float(m.group(1) or 1), m.group(2)


def _rate(item: PointsItem, amount: float, unit_of_amount: str, what: str) -> _Outcome:
    """Points of a rate item for ``amount`` (in months, years, times or hours), capped."""
    unit = _unit(item.per or "")
    if unit is None or item.points is None:
        return _Outcome(None, f"计分单位“{item.per}”无法换算", item.cap)
    size, name = unit
    if name == unit_of_amount:
        units = math.floor(amount / size + 1e-9)
    elif name == "年" and unit_of_amount == "月":
        units = math.floor(amount / (12 * size) + 1e-9)
    elif name == "月" and unit_of_amount == "年":
        units = math.floor(amount * 12 / size + 1e-9)
    else:
        return _Outcome(None, f"计分单位“{item.per}”无法换算", item.cap)
    raw = units * item.points
    points = min(raw, item.cap) if item.cap is not None else raw
    how = f"{what}：{units} × {number(item.points)} 分"
    if item.cap is not None and raw > item.cap:
        how += f" = {number(raw)}，按上限 {number(item.cap)} 分"
    return _Outcome(points, how)


def _unknown(item: PointsItem, why: str) -> _Outcome:
    if item.per:
        return _Outcome(None, why, item.cap)
    return _Outcome(None, why, item.points or 0.0)


def _age_band(text: str) -> tuple[int, int] | None:
    m = re.search(r"(\d+)\s*(?:周岁|岁)?\s*[-—~～至到]\s*(\d+)\s*(?:周岁|岁)", text)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.search(r"(\d+)\s*(?:周岁|岁)\s*(?:\(含\)|（含）)?\s*(?:以下|及以下|以内)", text)
    if m:
        return 0, int(m.group(1))
    m = re.search(r"(\d+)\s*(?:周岁|岁)\s*(?:\(含\)|（含）)?\s*(?:以上|及以上)", text)
    if m:
        return int(m.group(1)), 200
    return None


def _shortage_match(
    certs: Sequence[Certificate], entries: Sequence[Sourced[ShortageEntry]], degree: str | None
) -> tuple[Certificate, ShortageEntry] | None:
    """A certificate whose occupation is on the list (at the degree, if named)."""
    for cert in sorted(certs, key=lambda c: -c.rank):
        for sourced in entries:
            entry = sourced.row
            names = {entry.occupation, normalise_occupation(entry.work_type or "")}
            if cert.occupation in names and (degree is None or entry.degree == degree):
                return cert, entry
    return None


def _level_outcomes(
    rows: Sequence[Sourced[PointsItem]], profile: Profile
) -> list[tuple[Sourced[PointsItem], _Outcome]]:
    """Skill-level items: the best certificate once (all of them where the schedule says 累计)."""
    accumulate = any(_ACCUMULATE.search(r.row.conditions or "") for r in rows)
    levels = {level_of(r.row.fields()) or r.row.item: r for r in rows}
    certs = list(profile.certificates)
    if not accumulate:
        best = profile.best_certificate()
        certs = [best] if best else []
    chosen: dict[str, Certificate] = {}
    for cert in certs:
        # the item at the certificate's level, else the highest listed below it
        listed = sorted(
            (lv for lv in levels if (level_rank(lv) or -1) <= cert.rank), key=lambda lv: level_rank(lv) or -1
        )
        if listed and listed[-1] not in chosen:
            chosen[listed[-1]] = cert
    out = []
    for level, sourced in levels.items():
        holder = chosen.get(level)
        if holder is None:
            out.append((sourced, _Outcome(0.0, "")))
            continue
        how = f"{holder.occupation} {holder.level}"
        if holder.level != level:
            how += f"（本标准最高列到 {level}）"
        if not accumulate and len(profile.certificates) > 1:
            how += "；多本证书只计最高一项"
        out.append((sourced, _Outcome(sourced.row.points or 0.0, how)))
    return out


def _item_outcome(sourced: Sourced[PointsItem], profile: Profile, rules: RegionRules) -> _Outcome:
    item = sourced.row
    text = f"{item.category}{item.item}{item.conditions or ''}"
    city = profile.city(rules.region)
    here = region_label(rules.region)
    deduction = item.sign < 0 or item.category == "减分"
    if deduction:
        if re.search(r"违法|犯罪|刑事|拘留|劳动教养", text):
            if profile.criminal_record is None:
                return _Outcome(None, "档案未填写 criminal_record（违法犯罪记录）", item.points)
            if profile.criminal_record:
                return _Outcome(item.points or 0.0, "有违法犯罪记录")
            return _Outcome(0.0, "")
        return _Outcome(None, "档案无法回答此扣分项", item.points)
    category = item.category
    if category == "社保缴纳" and item.per:
        if city.social_insurance_months is None:
            return _unknown(item, f"档案未填写在{here}的社保月数")
        return _rate(item, city.social_insurance_months, "月", f"社保 {city.social_insurance_months} 个月")
    if category == "居住年限" and item.per:
        if city.residence_years is None:
            return _unknown(item, f"档案未填写在{here}的居住年限")
        return _rate(item, city.residence_years, "年", f"居住 {number(city.residence_years)} 年")
    if category == "社会服务" and item.per:
        if "献血" in text:
            if profile.blood_donations is None:
                return _unknown(item, "档案未填写献血次数")
            return _rate(item, profile.blood_donations, "次", f"献血 {profile.blood_donations} 次")
        if "志愿" in text:
            if profile.volunteer_hours is None:
                return _unknown(item, "档案未填写志愿服务时长")
            return _rate(
                item, profile.volunteer_hours, "小时", f"志愿服务 {number(profile.volunteer_hours)} 小时"
            )
    if category == "住房":
        return _housing_points(item, city, here)
    if category == "年龄":
        band = _age_band(text)
        if band is None:
            return _unknown(item, "无法读懂此年龄段")
        if profile.age is None:
            return _unknown(item, "档案未填写年龄")
        if band[0] <= profile.age <= band[1]:
            return _Outcome(item.points or 0.0, f"{profile.age} 周岁")
        return _Outcome(0.0, "")
    if category == "学历":
        words = education_words(item.item)
        if not words:
            return _unknown(item, "无法读懂此学历项")
        if profile.education is None:
            return _unknown(item, "档案未填写学历")
        tier = education_tier(profile.education)
        if "以上" in item.item:
            least = min(education_tier(w) or 0 for w in words)
            ok = tier is not None and tier >= least
        else:
            ok = profile.education in words or (
                tier is not None and tier in {education_tier(w) for w in words}
            )
        return _Outcome(item.points or 0.0, profile.education) if ok else _Outcome(0.0, "")
    if category == "紧缺工种":
        return _shortage_points(item, text, profile, rules, here)
    if category == "表彰奖励":
        if profile.awards is None:
            return _unknown(item, "档案未填写表彰奖励")
        if any(a and (a in item.item or item.item in a) for a in profile.awards):
            return _Outcome(item.points or 0.0, "档案所列奖励")
        return _Outcome(0.0, "")
    return _unknown(item, "档案没有此项信息")


def _housing_points(item: PointsItem, city: CityFacts, here: str) -> _Outcome:
    if re.search(r"自有|购|产权|商品房", item.item):
        accepted: tuple[str, ...] = ("owned",)
    elif "租" in item.item:
        accepted = ("rented",)
    elif re.search(r"住所|合法稳定", item.item):
        accepted = ("owned", "rented")
    else:
        return _unknown(item, "无法读懂此住房项")
    if city.housing is None:
        return _unknown(item, f"档案未填写在{here}的住房")
    if city.housing in accepted:
        return _Outcome(item.points or 0.0, _HOUSING_WORDS[city.housing])
    return _Outcome(0.0, "")


_HOUSING_WORDS = {"owned": "自有住房", "rented": "租房", "none": "无住房"}


def _shortage_points(
    item: PointsItem, text: str, profile: Profile, rules: RegionRules, here: str
) -> _Outcome:
    if not rules.shortage:
        return _unknown(item, f"{here}紧缺工种目录不在库中，无法核对")
    degree_m = _DEGREE.search(item.item)
    degree = degree_m.group(0) if degree_m and degree_m.group(0) != "急需紧缺" else None
    found = _shortage_match(profile.certificates, rules.shortage, degree)
    if found is None:
        names = "、".join(sorted({c.occupation for c in profile.certificates})) or "（无证书）"
        return _Outcome(0.0, f"{names}不在{here}紧缺工种目录{('（' + degree + '）') if degree else ''}")
    cert, entry = found
    if entry.level and cert.rank < (level_rank(entry.level) or 0):
        return _Outcome(0.0, f"目录要求 {entry.level} 及以上；你：{cert.level}")
    degree_text = f"，{entry.degree}" if entry.degree else ""
    return _Outcome(
        item.points or 0.0, f"{cert.occupation} 在{here}紧缺工种目录{degree_text}（按从事本职业计）"
    )


def _latest_cutoff(rules: RegionRules) -> Sourced[CutoffScore] | None:
    scored = [c for c in rules.cutoffs if c.row.score is not None]
    return max(scored, key=lambda c: c.row.year) if scored else None


def evaluate_region(profile: Profile, rules: RegionRules) -> RegionEstimate:
    """The estimate for one region from the rules in force there."""
    lines: list[PointsLine] = []
    unknown: list[UnknownItem] = []
    known = 0.0
    extra = 0.0
    unbounded = False
    level_rows = [s for s in rules.points if s.row.sign >= 0 and level_of(s.row.fields())]
    outcomes: list[tuple[Sourced[PointsItem], _Outcome]] = _level_outcomes(level_rows, profile)
    level_ids = {id(s) for s in level_rows}
    accumulate = any(_ACCUMULATE.search(s.row.conditions or "") for s in level_rows)
    outcomes += [(s, _item_outcome(s, profile, rules)) for s in rules.points if id(s) not in level_ids]
    groups: dict[str, list[tuple[Sourced[PointsItem], _Outcome]]] = {}
    for sourced, outcome in outcomes:
        row = sourced.row
        deduction = row.sign < 0 or row.category == "减分"
        if outcome.points is None:
            unknown.append(
                UnknownItem(row.category, row.item, outcome.how, outcome.at_most, deduction, sourced.doc)
            )
        if id(sourced) in level_ids and not accumulate:
            key = "技能水平"
        elif row.category in _EXCLUSIVE and row.category != "技能水平" and not deduction:
            key = row.category
        else:
            key = f"+{id(sourced)}"
        groups.setdefault(key, []).append((sourced, outcome))
    for members in groups.values():
        counted = [(s, o) for s, o in members if o.points]
        best = max(counted, key=lambda so: so[1].points or 0.0) if counted else None
        chosen = counted if len(members) == 1 or best is None else [best]
        value = 0.0
        for sourced, outcome in chosen:
            row = sourced.row
            deduction = row.sign < 0 or row.category == "减分"
            points = -(outcome.points or 0.0) if deduction else outcome.points or 0.0
            value += points
            lines.append(PointsLine(row.category, row.item, points, outcome.how, sourced.doc))
        known += value
        open_items = [
            o for s, o in members if o.points is None and not (s.row.sign < 0 or s.row.category == "减分")
        ]
        if open_items:
            if any(o.at_most is None for o in open_items):
                unbounded = True
            elif len(members) > 1:
                extra += max(0.0, max(o.at_most or 0.0 for o in open_items) - value)
            else:
                extra += sum(o.at_most or 0.0 for o in open_items)
    has_schedule = bool(rules.points)
    notes = []
    if rules.region not in profile.cities:
        notes.append(f"档案中没有{region_label(rules.region)}的社保、居住和住房信息，相关项目无法判断。")
    if not has_schedule:
        notes.append("没有在库的积分计分标准。")
    if has_schedule and not rules.cutoffs:
        notes.append("没有在库的积分落户分数线。")
    if not rules.talent:
        notes.append("没有在库的人才 / 技能人才落户条件。")
    docs: list[DocRef] = []
    groups_in_force: tuple[tuple[Sourced[Any], ...], ...] = (
        rules.points,
        rules.talent,
        rules.shortage,
        rules.cutoffs,
    )
    for group in groups_in_force:
        for any_row in group:
            if any_row.doc not in docs:
                docs.append(any_row.doc)
    return RegionEstimate(
        region=rules.region,
        points_items=tuple(lines),
        unknown_items=tuple(unknown),
        points_min=known if has_schedule else None,
        points_max=(None if unbounded else known + extra) if has_schedule else None,
        cutoff=_latest_cutoff(rules),
        talent=tuple(_talent(s, profile, rules) for s in rules.talent),
        notes=tuple(notes),
        documents=tuple(docs),
    )


# ---------------------------------------------------------------- talent channels


def _talent(sourced: Sourced[TalentCondition], profile: Profile, rules: RegionRules) -> TalentResult:
    row = sourced.row
    city = profile.city(rules.region)
    here = region_label(rules.region)
    checks: list[tuple[bool | None, str]] = [_requirement(row, profile)]
    if row.social_insurance_months is not None:
        need = row.social_insurance_months
        have = city.social_insurance_months
        if have is None:
            checks.append((None, f"需在{here}连续缴纳社保 {need} 个月；档案未填写"))
        elif have >= need:
            checks.append((True, ""))
        else:
            checks.append((False, f"社保还差 {need - have} 个月（需 {need}，你：{have}）"))
    checks.append(_age(row, profile))
    if row.catalogue:
        checks.append(_catalogue(row, profile, rules))
    if row.housing:
        checks.append(_housing(row, city))
    met = _all(c for c, _ in checks)
    return TalentResult(
        channel=row.channel,
        requirement=row.requirement,
        met=met,
        missing=tuple(text for ok, text in checks if ok is False),
        unknown=tuple(text for ok, text in checks if ok is None),
        doc=sourced.doc,
    )


def _requirement(row: TalentCondition, profile: Profile) -> tuple[bool | None, str]:
    need_rank = level_rank(row.level) if row.level else None
    if need_rank is not None:
        best = profile.best_certificate()
        if best is not None and best.rank >= need_rank:
            return True, ""
        have = best.level if best else "无职业技能等级证书"
        return False, f"需{row.level}及以上；你：{have}"
    tier = education_tier(row.requirement)
    if tier is not None and "职称" not in row.requirement:
        if profile.education is None:
            return None, f"需{row.requirement}及以上学历；档案未填写学历"
        have_tier = education_tier(profile.education)
        if have_tier is not None and have_tier >= tier:
            return True, ""
        return False, f"需{row.requirement}及以上学历；你：{profile.education}"
    return None, f"档案无法判断“{one_line(row.requirement, 40)}”"


def _age(row: TalentCondition, profile: Profile) -> tuple[bool | None, str]:
    by_sex = {"male": row.age_limit_male, "female": row.age_limit_female}
    if row.age_limit_male is not None or row.age_limit_female is not None:
        if profile.sex is None:
            return None, "年龄上限男女不同；档案未填写性别"
        limit = by_sex[profile.sex] if by_sex[profile.sex] is not None else row.age_limit
        who = "男" if profile.sex == "male" else "女"
    else:
        limit, who = row.age_limit, ""
    if limit is None:
        return True, ""
    if profile.age is None:
        return None, f"需不超过 {limit} 周岁；档案未填写年龄"
    if profile.age <= limit:
        return True, ""
    return False, f"年龄需不超过 {limit} 周岁{f'（{who}）' if who else ''}；你：{profile.age} 周岁"


def _catalogue(row: TalentCondition, profile: Profile, rules: RegionRules) -> tuple[bool | None, str]:
    name = f"《{row.catalogue}》"
    lists = [
        s
        for s in (*rules.shortage, *rules.catalogues)
        if (row.catalogue_doc_number and s.doc.doc_number == row.catalogue_doc_number)
        or (s.doc.title and row.catalogue and (row.catalogue in s.doc.title or s.doc.title in row.catalogue))
    ]
    if not lists:
        return None, f"需职业列入{name}；该目录不在库中，无法核对"
    found = _shortage_match(profile.certificates, lists, None)
    if found is None:
        return False, f"需职业列入{name}；你的证书职业不在其中"
    cert, entry = found
    if entry.level and cert.rank < (level_rank(entry.level) or 0):
        return False, f"{name}要求 {entry.level} 及以上；你：{cert.level}"
    return True, ""


def _housing(row: TalentCondition, city: CityFacts) -> tuple[bool | None, str]:
    if row.housing_districts:
        if city.district is None:
            return None, f"住房条件只适用于{'、'.join(row.housing_districts)}；档案未填写所在区"
        if city.district not in row.housing_districts:
            return True, ""
    accepted = ("owned",) if row.housing == "自有住房" else ("owned", "rented")
    if city.housing is None:
        return None, f"需{row.housing}；档案未填写住房"
    if city.housing in accepted:
        return True, ""
    return False, f"需{row.housing}；你：{_HOUSING_WORDS.get(city.housing, city.housing)}"


# ---------------------------------------------------------------- the whole estimate


def evaluate(profile: Profile, rules: Sequence[RegionRules]) -> Estimate:
    """Every region with settlement rules in force, and what would help most."""
    regions = [r for r in rules if r.has_settlement_rules]
    estimates = tuple(evaluate_region(profile, r) for r in regions)
    return Estimate(estimates, tuple(suggestions(profile, regions, estimates)))


def _effects(before: Sequence[RegionEstimate], after: Sequence[RegionEstimate]) -> tuple[list[str], bool]:
    effects: list[str] = []
    crosses = False
    for b, a in zip(before, after, strict=True):
        parts: list[str] = []
        if b.has_points and (b.points_min, b.points_max) != (a.points_min, a.points_max):
            parts.append(f"积分 {b.points_text()} → {a.points_text()}")
        if b.above_cutoff() is not True and a.above_cutoff() is True:
            parts.append(f"达到 {a.cutoff_year} 年分数线 {number(a.cutoff_score)}")
            crosses = True
        for channel, met in a.channels().items():
            if met is True and b.channels().get(channel) is not True:
                parts.append(f"满足{channel}条件")
                crosses = True
        if parts:
            effects.append(f"{a.label}：{'，'.join(parts)}")
    return effects, crosses


def suggestions(
    profile: Profile, regions: Sequence[RegionRules], estimates: Sequence[RegionEstimate]
) -> list[Suggestion]:
    """The smallest profile changes that move something: the next certificate level, and the
    insurance months up to the next points step or talent threshold in each region."""
    candidates: list[tuple[str, Profile]] = []
    best = profile.best_certificate()
    if best is not None and (up := next_level(best.level)):
        candidates.append(
            (f"取得 {best.occupation} {up} 证书（你：{best.level}）", profile.with_level(best.occupation, up))
        )
    for rules in regions:
        months = profile.city(rules.region).social_insurance_months
        if months is None:
            continue
        targets: set[int] = set()
        for t in rules.talent:
            need = t.row.social_insurance_months
            if need is not None and need > months:
                targets.add(need)
        for s in rules.points:
            unit = _unit(s.row.per or "") if s.row.category == "社保缴纳" else None
            if unit is not None:
                step = int(unit[0] * (12 if unit[1] == "年" else 1))
                nxt = (months // step + 1) * step
                if s.row.cap is None or (nxt // step) * (s.row.points or 0) <= s.row.cap:
                    targets.add(nxt)
        for target in sorted(targets)[:2]:
            candidates.append(
                (
                    f"在{region_label(rules.region)}再缴 {target - months} 个月社保（到 {target} 个月）",
                    profile.with_city(rules.region, social_insurance_months=target),
                )
            )
    out = []
    for text, changed in candidates:
        after = [evaluate_region(changed, r) for r in regions]
        effects, crosses = _effects(estimates, after)
        if effects:
            out.append(Suggestion(text, tuple(effects), crosses))
    out.sort(key=lambda s: not s.crosses)
    return out


# ---------------------------------------------------------------- a change, for one person


@dataclass(frozen=True)
class ChangeEffect:
    """What one rule change does to one person: plain lines, and the prominent ones."""

    lines: tuple[str, ...]
    alerts: tuple[str, ...]


def _with_row(rules: RegionRules, change: Change, values: dict[str, Any] | None) -> RegionRules:
    """The rules with the changed row as ``values`` (absent when None), all else as in force."""
    attr = {"points_schedule": "points", "talent_settlement": "talent", "shortage_occupations": "shortage",
            "points_cutoff": "cutoffs"}.get(change.kind)  # fmt: skip
    if attr is None:
        return rules
    current: tuple[Sourced[Any], ...] = getattr(rules, attr)
    keys = {change.key, change.renamed_from}
    kept = [s for s in current if s.row.key() not in keys]
    if values is not None:
        doc = DocRef(
            change.provenance.source_url, change.provenance.document_title, change.provenance.doc_number
        )
        row = row_from_fields(change.kind, dict(values), Provenance())
        kept.append(Sourced(row, doc))
    changed: dict[str, Any] = {attr: tuple(kept)}
    return replace(rules, **changed)


def change_effect(profile: Profile, rules: RegionRules, change: Change) -> ChangeEffect | None:
    """The person's estimate in the change's region without and with the change (every other
    rule as in force); None when the change moves nothing for them."""
    if rules.region != change.region:
        return None
    try:
        before = evaluate_region(profile, _with_row(rules, change, change.before))
        after = evaluate_region(profile, _with_row(rules, change, change.after))
    except (TypeError, ValueError, KeyError):  # a stored row of an older shape: no estimate
        return None
    here = region_label(change.region)
    lines: list[str] = []
    alerts: list[str] = []
    cutoff = f"；{after.cutoff_year} 年分数线 {number(after.cutoff_score)}" if after.cutoff else ""
    if before.has_points and (before.points_min, before.points_max) != (after.points_min, after.points_max):
        lines.append(f"你在{here}的积分估计由 {before.points_text()} 变为 {after.points_text()}{cutoff}")
    elif (
        change.kind == "points_cutoff" and after.cutoff and after.has_points and before.cutoff != after.cutoff
    ):
        margin = after.margin
        gap = f"，还差 {number(-margin)} 分" if margin is not None and margin < 0 else ""
        lines.append(f"你在{here}的积分估计 {after.points_text()}{cutoff}{gap}")
    b_cut, a_cut = before.above_cutoff(), after.above_cutoff()
    if a_cut is True and b_cut is not True:
        alerts.append(f"按你的档案，你在{here}的积分估计（{after.points_text()}）达到了{cutoff.lstrip('；')}")
    elif b_cut is True and a_cut is not True:
        alerts.append(
            f"按你的档案，你在{here}的积分估计（{after.points_text()}）不再确定达到{cutoff.lstrip('；')}"
        )
    b_ch, a_ch = before.channels(), after.channels()
    for channel in sorted(set(b_ch) | set(a_ch)):
        was, now = b_ch.get(channel), a_ch.get(channel)
        if now is True and was is not True:
            alerts.append(f"按你的档案，你现在符合{here}{channel}的条件")
        elif was is True and now is not True:
            alerts.append(f"按你的档案，你不再确定符合{here}{channel}的条件")
    for result in after.talent:
        if result.requirement in change.key and result.met is not True and result.missing:
            lines.append(f"{here}{result.channel}（{result.requirement}）：{'；'.join(result.missing)}")
    if not lines and not alerts:
        return None
    return ChangeEffect(tuple(lines), tuple(alerts))
