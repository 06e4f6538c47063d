"""人才引进 / 技能人才落户: the conditions of each talent-settlement channel.

Also the grammar of a requirement clause: skill levels, titles, degrees, insurance months,
age limits, and channel headings ("一、高技能人才落户").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..display import MAX_TEXT, number, one_line
from ..doc_numbers import normalise_doc_number
from ..kind import Loose, RuleKind, TableContext, TableRow, cell_text, unread_cells
from ..levels import find_levels, level_spans
from ..numerals import NUMBER, parse_int, parse_number
from ..provenance import Provenance
from ..text import nfkc, normalise_name, normalise_text, squash, strip_enumeration

if TYPE_CHECKING:
    from ..relevance import OccupationFamily


@dataclass(frozen=True, slots=True)
class TalentCondition:
    """One admission condition of a 人才引进落户 channel."""

    kind: ClassVar[str] = "talent_settlement"
    channel: str  # e.g. 人才引进落户, 技能人才落户
    requirement: str  # what is required, normalised (canonical level, title or degree)
    level: str | None = None  # canonical skill level when the requirement is one
    social_insurance_months: int | None = None
    age_limit: int | None = None
    conditions: str | None = None
    age_limit_male: int | None = None  # when the limit differs by sex (男不超过50周岁、女不超过40周岁)
    age_limit_female: int | None = None
    catalogue: str | None = None  # the trade must be on this catalogue (列入《…目录》), title without 《》
    catalogue_doc_number: str | None = None  # that catalogue's 文号 when printed
    housing: str | None = None  # 自有住房 (owned) or 合法稳定住所 (any lawful residence, rented too)
    housing_districts: tuple[str, ...] | None = None  # where the housing condition applies; None: everywhere
    source: Provenance = field(default_factory=Provenance, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.housing_districts, list):  # rebuilt from JSON
            object.__setattr__(self, "housing_districts", tuple(self.housing_districts))

    def key(self) -> str:
        return f"{self.channel}|{self.requirement}"

    def fields(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "requirement": self.requirement,
            "level": self.level,
            "social_insurance_months": self.social_insurance_months,
            "age_limit": self.age_limit,
            "conditions": self.conditions,
            "age_limit_male": self.age_limit_male,
            "age_limit_female": self.age_limit_female,
            "catalogue": self.catalogue,
            "catalogue_doc_number": self.catalogue_doc_number,
            "housing": self.housing,
            "housing_districts": list(self.housing_districts) if self.housing_districts is not None else None,
        }


# ---------------------------------------------------------------- requirement clauses

_DEGREE = re.compile(
    r"((?:全日制)?(?:普通)?(?:高等院校|高校|大学)?(?:硕士研究生|博士研究生|高中|中专|中职|技工院校|大专|专科|本科|学士|"
    r"硕士|研究生|博士))(?:及以上|以上)?(?:学历|学位)?"
)
_TITLE = re.compile(
    r"(初级|中级|副高级|副高|正高级|正高|高级)(?:及以上|以上)?(?:专业技术)?(?:职称|专业技术职务|专业技术资格)"
)
_MONTHS = re.compile(
    rf"(?:社会保险|社保|养老保险|参保)[^。；;，,]{{0,16}}?(?:满|累计|连续|达到|不少于|超过)?\s*(?P<n>{NUMBER})\s*(?P<unit>个月|月|年|周年)"
)
_AGE = re.compile(
    rf"(?:年龄|年纪)?[^。；;，,]{{0,6}}?(?:不超过|不满|未满|在|不大于|低于)?\s*(?P<n>{NUMBER})\s*(?:周岁|岁)\s*(?:以下|以内|及以下|\(含\)|（含）)?"
)


def _title_requirement(m: re.Match[str]) -> str:
    """ "中级及以上专业技术职称" → 中级专业技术职称, "副高职称" → 副高级职称: the printed form, 及以上 dropped."""
    title = {"副高": "副高级", "正高": "正高级"}.get(m.group(1), m.group(1))
    return f"{title}{'专业技术职称' if '专业技术' in m.group(0) else '职称'}"


def requirement_spans(text: str | None) -> list[tuple[int, str, str | None]]:
    """(position, requirement, level) for each skill level, title or degree in ``text``, in
    printed order, without repeats (positions in the NFKC text)."""
    if not text:
        return []
    t = nfkc(text)
    found: list[tuple[int, str, str | None]] = []
    level: str | None
    for position, level in level_spans(t):
        found.append((position, level, level))
    for m in _TITLE.finditer(t):
        found.append((m.start(), _title_requirement(m), None))
    for m in _DEGREE.finditer(t):
        found.append((m.start(), normalise_name(m.group(1)) or m.group(1), None))
    out: list[tuple[int, str, str | None]] = []
    for position, requirement, level_of in sorted(found, key=lambda f: f[0]):
        if all(requirement != r for _, r, _ in out):
            out.append((position, requirement, level_of))
    return out


def requirements(text: str | None) -> list[tuple[str, str | None]]:
    """(requirement, level) pairs: each skill level, title or degree alternative in ``text``."""
    return [(requirement, level) for _, requirement, level in requirement_spans(text)]


def insurance_months(text: str | None) -> int | None:
    """Social-insurance months required ("连续缴纳社会保险满6个月" → 6, "满1年" → 12)."""
    if not text:
        return None
    m = _MONTHS.search(nfkc(text))
    if not m:
        return None
    n = parse_number(m.group("n"))
    if n is None:
        return None
    return int(n * 12) if "年" in m.group("unit") else int(n)


def age_limit(text: str | None) -> int | None:
    """Upper age limit ("年龄不超过45周岁", "45周岁以下")."""
    if not text:
        return None
    ages = _ages(nfkc(text))
    return ages[0][1] if ages else None


# ---------------------------------------------------------------- conditions beyond level, months and age

_SEX_AGE = re.compile(
    rf"(?P<sex>男|女)(?:性|方|职工|同志)?[^。；;，,男女\d]{{0,8}}?(?P<n>{NUMBER})\s*(?:周岁|岁|(?=[、，,；;和及)）男女\s]|$))"
)
_CATALOGUE = re.compile(
    r"《(?P<name>[^》]{2,60}?目录[^》]{0,12})》\s*(?:[(（]\s*(?P<number>[^()（）]{2,30}?号)\s*[)）])?"
)
_CATALOGUE_DUTY = re.compile(r"列入|纳入|属于|在[^。；;]{0,4}《|列于|目录内|目录范围")
_OWNED = re.compile(
    r"自有(?:产权)?住房|(?:拥有|具有|购买|购置)[^。；;，,]{0,8}?(?:合法产权)?(?:住房|房产|产权房)|产权住房"
)
# required, not offered: "有/具有合法稳定住所", not "可选择在…合法稳定住所落户"
_LAWFUL = re.compile(
    r"(?:有|具有|拥有|具备|须|需|应当?)[^。；;，,]{0,6}?(?:合法稳定住所|合法固定住所|合法稳定居所)"
)
_DISTRICT_NAME = re.compile(r"[\u4e00-\u9fff]{1,4}(?:区|县)")
_NOT_DISTRICT = re.compile(r"^(?:本|全|各|该|其)|^(?:市区|城区|辖区|地区|社区|园区|片区|景区|开发区|新区)$")
_ISLAND = re.compile(r"岛内(?:[(（](?P<list>[^)）]{2,30})[)）])?")


def sex_age_limits(text: str | None) -> tuple[int | None, int | None] | None:
    """(male, female) upper age limits when they differ by sex ("男不超过50周岁、女不超过40周岁")."""
    if not text:
        return None
    found: dict[str, int] = {}
    for m in _SEX_AGE.finditer(nfkc(text)):
        value = parse_int(m.group("n"))
        if value is not None and 16 <= value <= 70 and "以上" not in m.group(0):
            found.setdefault(m.group("sex"), value)
    if not found:
        return None
    return found.get("男"), found.get("女")


def required_catalogue(text: str | None) -> tuple[str, str | None] | None:
    """(catalogue title, its 文号) when the trade must be on a named catalogue
    ("须列入《福建省紧缺急需职业（工种）目录》（闽人社文〔2026〕31号）")."""
    if not text:
        return None
    t = nfkc(text)
    for m in _CATALOGUE.finditer(t):
        if _CATALOGUE_DUTY.search(t[max(0, m.start() - 12) : m.end() + 6]):
            name = normalise_text(m.group("name")) or m.group("name")
            number = m.group("number")
            return name, normalise_doc_number(number) if number else None
    return None


def housing_requirement(text: str | None) -> tuple[str, tuple[str, ...] | None] | None:
    """(自有住房 | 合法稳定住所, districts or None) when a housing condition is stated."""
    if not text:
        return None
    t = squash(nfkc(text))
    owned = _OWNED.search(t)
    lawful = _LAWFUL.search(t)
    if not owned and not lawful:
        return None
    rented_too = re.search(r"或(?:者)?(?:租赁|租住|承租)|租赁住房|租房", t)
    housing = "自有住房" if owned and not rented_too else "合法稳定住所"
    where = t[: (owned or lawful).start()]  # type: ignore[union-attr]
    island = _ISLAND.search(where)
    districts: tuple[str, ...] | None = None
    if island:
        listed = island.group("list")
        names = [normalise_name(d) or d for d in re.split(r"[、,，和及]", listed)] if listed else ["岛内"]
        districts = tuple(n for n in names if n)
    else:
        tokens = re.split(r"[、,，;；和及与或在于的须需应:：()（）\s]|申请|落户|拥有|具有", where)
        names = [t for t in tokens if _DISTRICT_NAME.fullmatch(t) and not _NOT_DISTRICT.search(t)]
        districts = tuple(dict.fromkeys(names)) or None
    return housing, districts


def shared_conditions(text: str | None) -> dict[str, Any]:
    """The row fields a sentence sets beyond level, months and age: sex-specific age limits, a
    required catalogue, a housing condition (empty when it states none)."""
    out: dict[str, Any] = {}
    sexed = sex_age_limits(text)
    if sexed is not None:
        out["age_limit_male"], out["age_limit_female"] = sexed
    catalogue = required_catalogue(text)
    if catalogue is not None:
        out["catalogue"], out["catalogue_doc_number"] = catalogue
    housing = housing_requirement(text)
    if housing is not None:
        out["housing"], out["housing_districts"] = housing
    return out


# ---------------------------------------------------------------- one sentence, several rules

_CLAUSE_SPLIT = re.compile(r"[,，;；:：]")
_BARE_MONTHS = re.compile(rf"(?:缴纳|缴费|参保|缴)?满\s*(?P<n>{NUMBER})\s*(?P<unit>个月|月|年|周年)")
_NO_MONTHS = re.compile(r"不受[^。；;]{0,12}限制|不限")


@dataclass
class TalentClause:
    """The requirements one clause names and the conditions that go with them."""

    requirements: list[tuple[str, str | None]]
    months: int | None = None
    age: int | None = None
    no_months: bool = False
    sexed: tuple[int | None, int | None] | None = None  # (male, female) when the limit differs by sex


def _ages(clause: str) -> list[tuple[int, int]]:
    """(position, limit) of each age limit in a clause, sex-specific ones left out."""
    out = []
    for m in _AGE.finditer(clause):
        if "以上" in m.group(0) and "以下" not in m.group(0):
            continue
        if re.search(r"[男女]\S{0,8}$", clause[max(0, m.start() - 10) : m.start("n")]):
            continue
        value = parse_int(m.group("n"))
        if value is not None and 16 <= value <= 70:
            out.append((m.start("n"), value))
    return out


def clause_months(clause: str, bare: bool) -> int | None:
    """Insurance months of a clause; ``bare`` also reads "满2年" once a sentence has set the
    subject ("取得中级工证书的，满2年" after "…缴纳养老保险满3年")."""
    months = insurance_months(clause)
    if months is None and (bare or re.search(r"缴纳|缴费|参保", clause)):
        m = _BARE_MONTHS.search(clause)
        n = parse_number(m.group("n")) if m else None
        if m is not None and n is not None:
            months = int(n * 12) if "年" in m.group("unit") else int(n)
    return months


def talent_clauses(sentence: str, carry_months: bool = False) -> list[TalentClause]:
    """Split a sentence packing several rules into one group per requirement set:
    "中级工…满2年，高级工…满1年" gives each level its own months; "45周岁以下具有技师…或35周岁
    以下具有高级工" pairs each age with its level; a condition clause after a requirement
    ("…的，需连续缴纳…满3年") belongs to it; one before any requirement applies to all."""
    groups: list[TalentClause] = []
    last: list[TalentClause] = []
    lead_months: int | None = None
    lead_age: int | None = None
    lead_sexed: tuple[int | None, int | None] | None = None
    bare = carry_months
    for clause in _CLAUSE_SPLIT.split(squash(nfkc(sentence))):
        if not clause:
            continue
        spans = requirement_spans(clause)
        months = clause_months(clause, bare)
        ages = _ages(clause)
        sexed = sex_age_limits(clause)
        no_months = bool(_NO_MONTHS.search(clause))
        if months is not None:
            bare = True
        if spans:
            if len(ages) >= 2:
                paired: dict[int, list[tuple[str, str | None]]] = {}
                for position, requirement, level in spans:
                    before = [a for p, a in ages if p < position]
                    age = before[-1] if before else ages[0][1]
                    paired.setdefault(age, []).append((requirement, level))
                last = [TalentClause(reqs, months, age, no_months, sexed) for age, reqs in paired.items()]
            else:
                first_age = ages[0][1] if ages else None
                last = [TalentClause([(r, lv) for _, r, lv in spans], months, first_age, no_months, sexed)]
            groups.extend(last)
        elif last:
            # a condition after the requirement clauses: for every group of the sentence that
            # states none of its own ("…技师…，以及…高级工…，连续缴纳社会保险满6个月的")
            for group in groups:
                group.months = group.months if group.months is not None else months
                if group.age is None and group.sexed is None:
                    group.age = ages[0][1] if ages else None
                    group.sexed = sexed
                group.no_months = group.no_months or no_months
        else:
            lead_months = months if months is not None else lead_months
            lead_age = ages[0][1] if ages else lead_age
            lead_sexed = sexed or lead_sexed
    for group in groups:
        group.months = group.months if group.months is not None else lead_months
        if group.age is None and group.sexed is None:
            group.age, group.sexed = lead_age, lead_sexed
    if groups and any(_NO_MONTHS.search(c) for c in _CLAUSE_SPLIT.split(sentence)):
        for group in groups:
            if group.months is None:
                group.no_months = True
    return groups


# A section heading that names a settlement channel: "一、高技能人才落户", "(二)高层次人才引进落户",
# "三、技能人才入户", "技能人才落户条件". The channel is the heading itself, not a shorter
# channel word found inside it (高技能人才落户 is not 技能人才落户).
_CHANNEL_HEADING = re.compile(
    r"^(?P<name>\S{2,14}?(?:落户|入户))(?:的)?(?:申请条件|基本条件|具体条件|条件|对象|范围|要求|标准|政策|渠道)?$"
)
_NOT_A_CHANNEL = re.compile(r"^(?:申请|办理|关于|准予|同意|予以|可|直接|允许|申报|登记|户口|户籍|迁移)")


# A named channel: a kind of applicant directly before 落户/入户 ("可申请技能人才落户").
_NAMED_CHANNEL = re.compile(
    r"((?:(?:高层次|高|青年|优秀|紧缺|急需)?(?:人才引进|引进人才|技能人才|人才)|学历人才|高校毕业生|毕业生|亲属投靠|"
    r"夫妻投靠|投靠|居住就业|就业|积分|购房|投资|创业)(?:落户|入户))"
)


# "可申请紧缺工种技能人才落户": the applicant words before 人才…落户, cut after the last verb or particle
_APPLICANT_CHANNEL = re.compile(r"([\u4e00-\u9fff]{0,8}?(?:人才|毕业生)(?:引进)?(?:落户|入户))")
_NOT_APPLICANT = re.compile(
    r".*(?:申请|办理|予以|准予|可以|可|在|的|为|按|以|与|和|及|、|到|于|实行|享受|关于|进一步|放宽|放开|完善|优化|"
    r"调整|做好|加强|支持|鼓励|吸引|引导|促进|推进|深化|实施|规范|开展|[市省县区])"
)


def named_channel(text: str | None) -> str | None:
    """The channel a clause names ("可申请技能人才落户" → 技能人才落户, "申请紧缺工种技能人才落户"
    → 紧缺工种技能人才落户)."""
    if not text:
        return None
    for m in _APPLICANT_CHANNEL.finditer(text):
        name = _NOT_APPLICANT.sub("", m.group(1))
        if (
            len(name) >= 4
            and not name.startswith(("人才落户", "人才入户"))
            or name in ("人才落户", "人才入户")
        ):
            return name
    found = _NAMED_CHANNEL.search(text)
    return found.group(1) if found else None


def caption_channel(caption: str | None) -> str | None:
    """The channel of the table under a caption: a heading ("一、技能人才落户"), or the sentence
    introducing the table ("…符合下表条件的，可申请技能人才落户：")."""
    channel = heading_channel(caption)
    if channel is None and caption and re.search(r"[:：]\s*$", caption):
        channel = named_channel(nfkc(caption))
    if channel is None and caption:
        # a sheet or heading naming a kind of applicant ("高技能人才", "（二）青年人才"): its rows' channel
        name = normalise_name(strip_enumeration(normalise_name(caption) or "")) or ""
        m = _APPLICANT_HEADING.fullmatch(name)
        channel = m.group("name") if m else None
    return channel


_APPLICANT_HEADING = re.compile(r"(?P<name>[\u4e00-\u9fff]{0,8}(?:人才|毕业生))(?:申请条件|条件|类)?")


def heading_channel(heading: str | None) -> str | None:
    """The channel a section heading names (enumerator removed), or None if it names none."""
    if not heading:
        return None
    text = normalise_name(heading) or ""
    text = (normalise_name(strip_enumeration(text)) or "").rstrip(":")
    m = _CHANNEL_HEADING.match(text)
    if not m:
        return None
    name = m.group("name")
    if _NOT_A_CHANNEL.match(name) or name in ("积分落户", "积分入户") or len(name) <= 3:
        return None
    return name


def months_cell(cell: str, header: str) -> int | None:
    """Insurance months from a cell: "满6个月", "连续缴纳满1年", or a bare number in a (月)/(年) column."""
    if not cell:
        return None
    bare = parse_number(re.sub(r"[个月年\s]", "", cell)) if re.fullmatch(rf"\s*{NUMBER}\s*", cell) else None
    if bare is not None:
        return int(bare * 12) if "年" in header and "月" not in header else int(bare)
    months = insurance_months(f"社保{cell}")
    if months is not None:
        return months
    m = re.search(rf"({NUMBER})\s*(个月|月|年)", cell)
    n = parse_number(m.group(1)) if m else None
    if m is None or n is None:
        return None
    return int(n * 12) if m.group(2) == "年" else int(n)


def age_cell(cell: str) -> int | None:
    """Upper age limit from a cell: "45周岁以下", "不超过45周岁", or a bare number."""
    if not cell:
        return None
    bare = re.fullmatch(
        rf"\s*(?:≤|<=|<|不超过|不大于)?\s*({NUMBER})\s*(?:周岁|岁)?\s*(?:以下|以内|及以下)?\s*", cell
    )
    if bare:
        value = parse_int(bare.group(1))
        return value if value is not None and 14 <= value <= 80 else None
    return age_limit(f"年龄{cell}")


# ---------------------------------------------------------------- the kind


def _column_sex(header: str) -> str | None:
    m = re.search(r"\((男|女)性?\)$", nfkc(header))
    return m.group(1) if m else None


class TalentKind(RuleKind):
    name = "talent_settlement"
    row_type = TalentCondition
    label = "人才引进"
    subject_label = "人才引进"
    field_labels: ClassVar[dict[str, str]] = {
        "channel": "渠道",
        "requirement": "要求",
        "level": "等级要求",
        "social_insurance_months": "社保月数",
        "age_limit": "年龄上限",
        "conditions": "条件",
        "age_limit_male": "男性年龄上限",
        "age_limit_female": "女性年龄上限",
        "catalogue": "须列入目录",
        "catalogue_doc_number": "目录文号",
        "housing": "住房要求",
        "housing_districts": "住房要求适用区",
    }
    substantive_fields = frozenset(
        {
            "requirement",
            "level",
            "social_insurance_months",
            "age_limit",
            "age_limit_male",
            "age_limit_female",
            "catalogue",
            "catalogue_doc_number",
            "housing",
            "housing_districts",
        }
    )
    header_synonyms: ClassVar[dict[str, tuple[str, ...]]] = {
        "seq": ("序号", "编号"),
        "channel": tuple(
            "落户渠道 落户类别 落户类型 落户方式 引进类别 人员类别 渠道 类别 类型 落户途径".split()
        ),
        "requirement": tuple(
            "学历/技能/职称 学历(技能、职称) 学历或技能要求 技能等级要求 人才类型 人才类别 学历要求 "
            "技能要求 职称要求 人才条件 资格条件 学历技能 学历/技能 技能等级 学历 职称 证书 申请条件 落户条件 "
            "引进条件 基本条件 具体条件 条件 资格 人才层次".split()
        ),
        "months": tuple(
            "养老保险缴纳要求 社会保险缴纳要求 社保缴纳年限 社保缴纳要求 社保缴费年限 缴纳社保年限 社保要求 社保缴纳 "
            "缴纳社保 社会保险 参保要求 参保时间 参保年限 缴费年限 缴纳年限 社保年限 养老保险 社保 参保".split()
        ),
        "age": ("年龄要求", "年龄限制", "年龄条件", "年龄上限", "年龄"),
        "housing": ("住房条件", "住房要求", "住所要求", "住房"),
        "conditions": tuple("其他条件 其他要求 其它条件 其它要求 备注 说明".split()),
    }
    required_columns = (("requirement", "channel"), ("requirement", "months"), ("requirement", "age"))
    header_priority = 3
    rename_ranks = ("requirement",)

    def adjust_columns(self, columns: dict[str, list[int]]) -> dict[str, list[int]]:
        if "channel" not in columns and len(columns.get("requirement", [])) >= 2:
            # 人才类别 | 学历或技能要求: the first is the channel, the second the requirement
            columns = dict(columns)
            columns["channel"] = columns["requirement"][:1]
            columns["requirement"] = columns["requirement"][1:]
        return columns

    def build_rows(self, row: TableRow, context: TableContext) -> list[Any]:
        channel_cell = row.get("channel")
        req_cell = row.get("requirement")
        if not req_cell:
            return []
        channel = normalise_name(strip_enumeration(channel_cell)) if channel_cell else None
        channel = (
            channel
            or (normalise_name(strip_enumeration(row.section)) if row.section else None)
            or context.caption_channel
            or context.default_channel
        )
        months = months_cell(row.get("months"), row.header_of("months")) if row.has("months") else None
        if not row.has("months"):
            months = insurance_months(req_cell)
        age_text = row.get("age") if row.has("age") else req_cell
        by_sex = {
            sex: cell_text(row.cells, c)
            for c in row.spans.get("age", ())
            if (sex := _column_sex(row.header[c] if c < len(row.header) else ""))
        }
        if len(by_sex) == 2:  # 年龄要求 over 男 | 女
            age_text = f"男{by_sex['男']}、女{by_sex['女']}"
        shared = shared_conditions(row.get("conditions"))
        housing_cell = row.get("housing")
        housing = housing_requirement(housing_cell) or housing_requirement(f"须有{housing_cell}")
        if housing_cell and housing is not None:
            shared["housing"], shared["housing_districts"] = housing
        sexed = sex_age_limits(age_text)
        if sexed is not None:
            shared["age_limit_male"], shared["age_limit_female"] = sexed
            age = None
        else:
            age = age_cell(age_text) if row.has("age") else age_limit(req_cell)
        reqs = requirements(req_cell) or [(normalise_name(req_cell) or "", None)]
        conditions = normalise_text(row.get("conditions"))
        return [
            TalentCondition(channel=channel, requirement=requirement, level=level,
                            social_insurance_months=months, age_limit=age, conditions=conditions,
                            source=row.source, **shared)
            for requirement, level in reqs
            if requirement
        ]  # fmt: skip

    def unread_fields(self, row: TableRow, built: Sequence[Any]) -> list[str]:
        months = row.get("months")
        insured_only = not re.search(NUMBER, months) and re.search(r"缴纳|参保|参加", months)
        # "在本市缴纳社会保险": insured, no minimum stated — read, not missed
        unread = [] if insured_only else unread_cells(row, built, {"months": "social_insurance_months"})
        if row.has("age") and "age" in unread_cells(row, built, {"age": "age_limit"}):
            if all(r.age_limit_male is None and r.age_limit_female is None for r in built):
                unread.append("age")
        return unread

    def rename_identities(
        self, row: TalentCondition, canonical: dict[str, Any], loose: Loose
    ) -> list[tuple[Any, ...]]:
        return [("requirement", loose(row.channel), loose(row.requirement))]

    def relevant(self, row: TalentCondition, family: OccupationFamily) -> bool:
        """A requirement that is a skill level."""
        return row.level is not None or bool(find_levels(row.requirement))

    def describe(self, d: dict[str, Any]) -> str:
        parts = []
        if d.get("social_insurance_months") is not None:
            parts.append(f"社保 {number(d['social_insurance_months'])} 个月")
        if d.get("age_limit") is not None:
            parts.append(f"年龄 ≤{number(d['age_limit'])}")
        if d.get("age_limit_male") is not None or d.get("age_limit_female") is not None:
            parts.append(f"年龄 男≤{number(d.get('age_limit_male'))}、女≤{number(d.get('age_limit_female'))}")
        if d.get("catalogue"):
            parts.append(f"须列入《{one_line(d['catalogue'], MAX_TEXT)}》")
        if d.get("housing"):
            where = "、".join(d.get("housing_districts") or ())
            parts.append(f"{one_line(where, MAX_TEXT) + '须' if where else '须'}{d['housing']}")
        head = (
            f"{one_line(d.get('channel') or '', MAX_TEXT)}: {one_line(d.get('requirement') or '', MAX_TEXT)}"
        )
        return head + (f"（{'，'.join(parts)}）" if parts else "")

    def describe_modified(self, before: dict[str, Any], after: dict[str, Any], changed: Sequence[str]) -> str:
        b, a = before, after
        head = (
            f"{one_line(a.get('channel') or '', MAX_TEXT)} {one_line(a.get('requirement') or '', MAX_TEXT)}"
        )
        parts = []
        for name in changed:
            if name == "social_insurance_months":
                parts.append(f"社保 {number(b.get(name))} → {number(a.get(name))} 个月")
            elif name in ("age_limit", "age_limit_male", "age_limit_female"):
                label = self.field_labels[name]
                parts.append(f"{label} {number(b.get(name))} → {number(a.get(name))} 岁")
            elif name == "housing_districts":
                before_d = "、".join(b.get(name) or ()) or "全部"
                after_d = "、".join(a.get(name) or ()) or "全部"
                parts.append(f"住房要求适用区 {one_line(before_d, MAX_TEXT)} → {one_line(after_d, MAX_TEXT)}")
            else:
                parts += self.text_changes(b, a, [name])
        return f"{head}: {'；'.join(parts)}"

    def item_label(self, d: dict[str, Any], key: str, width: int) -> str:
        return one_line(" ".join(str(d[k]) for k in ("channel", "requirement") if d.get(k)), width * 2)


KIND = TalentKind()
