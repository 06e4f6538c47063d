"""What every rule kind provides: the interface of the modules in rules/kinds/.

A kind module holds everything policywatch knows about one kind of rule (紧缺工种目录,
积分计分标准 …): its row type, the header words that announce its tables, how a table row
becomes rule rows, which fields are substantive, how the diff treats rows that disappear,
how a row or a change reads in Chinese, and whether a row matters to an electrician.
Everything else (parsers, diff, summaries, reports, digests) dispatches through
``rules.registry.KINDS`` instead of testing kind names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .display import arrow, one_line
from .levels import level_rank
from .provenance import Provenance
from .text import squash

if TYPE_CHECKING:
    from .changes import Change
    from .registry import RuleRow
    from .relevance import OccupationFamily

# What offices print in an empty cell.
PLACEHOLDERS = frozenset({"—", "-", "/", "无", "——", "–", "－", "\\", "／", "×", "---", "--", "…"})


_NO_LIMIT = re.compile(r"^(?:不限|无限制|无要求|不作要求|不要求|无)$|不受.{0,12}限制")


def says_no_limit(text: str) -> bool:
    """ "不限", "不受社保缴纳年限限制": a cell that deliberately holds no value."""
    return bool(_NO_LIMIT.search(squash(text)))


def unread_cells(row: TableRow, built: Sequence[Any], fields: dict[str, str]) -> list[str]:
    """Columns (``column name -> row field``) holding text that no built row has a value for."""
    out = []
    for column, attribute in fields.items():
        text = row.get(column)
        if text and not says_no_limit(text) and all(getattr(r, attribute, None) is None for r in built):
            out.append(column)
    return out


def cell_text(cells: Sequence[str], index: int | None) -> str:
    """The cell text, with placeholders ("—", "/", "无") read as empty."""
    value = cells[index] if index is not None and index < len(cells) else ""
    return "" if squash(value) in PLACEHOLDERS else value


@dataclass(frozen=True)
class TableRow:
    """One data row of a recognised table, as a kind's row builder sees it."""

    cells: Sequence[str]
    columns: dict[str, int]  # field -> column (one side-by-side column group)
    header: Sequence[str]
    section: str | None  # the last full-width title row above it ("一、制造业", "减分项目")
    source: Provenance
    spans: dict[str, tuple[int, ...]] = field(default_factory=dict)  # field -> every column naming it

    def has(self, name: str) -> bool:
        return name in self.columns

    def get_all(self, name: str) -> list[str]:
        """Every column's text for a field named by several (一级指标 | 二级指标 | 三级指标)."""
        columns = self.spans.get(name) or ((self.columns[name],) if name in self.columns else ())
        return [cell_text(self.cells, c) for c in columns]

    def get(self, name: str) -> str:
        return cell_text(self.cells, self.columns.get(name))

    def header_of(self, name: str) -> str:
        index = self.columns.get(name)
        return self.header[index] if index is not None and index < len(self.header) else ""


@dataclass(frozen=True)
class TableContext:
    """What the table reader knows beyond the row itself."""

    year_hint: int | None = None  # from the title or publish date
    default_channel: str = "人才引进落户"
    caption_channel: str | None = None  # "一、高技能人才落户" printed just above the table
    heading: str = ""  # what names the table from outside: heading above it, sheet name, caption
    titles: tuple[str, ...] = ()  # title rows above its header inside the table, nearest first

    @property
    def headings(self) -> tuple[str, ...]:
        """Everything that names the table from outside its cells, nearest first."""
        return (*self.titles, self.heading)

    other_points_columns: tuple[int, ...] = ()  # 分值 | 计分标准: both may hold the points


Loose = Callable[[str | None], str | None]


class RuleKind:
    """Base of every kind; the defaults are what most kinds want."""

    name: ClassVar[str]
    row_type: ClassVar[type]
    label: ClassVar[str]  # the table's name in a digest ("紧缺工种目录")
    subject_label: ClassVar[str]  # the channel a reader knows, for subjects ("积分落户")
    field_labels: ClassVar[dict[str, str]]
    substantive_fields: ClassVar[frozenset[str]]  # fields whose change alters who qualifies
    keeps_absent_rows: ClassVar[bool] = False  # rows missing from a new version are not removals
    # header vocabulary: field -> synonyms (most specific first); any one tuple of
    # ``required_columns`` fully present makes a header row this kind's
    header_synonyms: ClassVar[dict[str, tuple[str, ...]]]
    weak_header_synonyms: ClassVar[dict[str, tuple[str, ...]]] = {}  # only once the kind is known
    required_columns: ClassVar[tuple[tuple[str, ...], ...]]
    header_priority: ClassVar[int]  # ties between kinds are won by the lower number
    header_context: ClassVar[re.Pattern[str] | None] = None  # title words that favour this kind
    repeated_column: ClassVar[str | None] = None  # anchor of side-by-side column groups
    rename_ranks: ClassVar[tuple[str, ...]] = ()  # identities a renamed row is matched by

    # ---------------------------------------------------------------- reading tables

    def adjust_columns(self, columns: dict[str, list[int]]) -> dict[str, list[int]]:
        """Fix a header mapping where the words alone are ambiguous."""
        return columns

    def is_data_row(self, first_cell: str) -> bool:
        """Whether a row with one distinct value is data rather than a section title."""
        return False

    def build_rows(self, row: TableRow, context: TableContext) -> list[RuleRow]:
        raise NotImplementedError

    def unread_fields(self, row: TableRow, built: Sequence[Any]) -> list[str]:
        """Fields whose cell holds something the builder could not read ("放宽至55周岁" as an
        age): reported as a partial row, never guessed."""
        return []

    def complete_from_text(self, table_row: Any, text_row: Any) -> RuleRow:
        """A table row also stated in the text (same key): tables win, text may fill gaps."""
        row: RuleRow = table_row
        return row

    def restates(self, text_row: Any, table_rows: Sequence[Any]) -> bool:
        """Whether a text row only repeats, in other words, what the tables already say."""
        return False

    def from_fields(self, values: dict[str, Any], source: Provenance) -> RuleRow:
        """Rebuild a row from its stored ``fields()`` (the inverse of ``row.fields()``)."""
        row: RuleRow = self.row_type(**values, source=source)
        return row

    # ---------------------------------------------------------------- diffing

    def sort_key(self, key: str) -> tuple[tuple[int, int, str], ...]:
        """Order of rows and changes: levels in their natural order (五级 → 一级), else by text."""
        return tuple(
            (0, rank, "") if (rank := level_rank(part)) is not None else (1, 0, part)
            for part in key.split("|")
        )

    def rename_identities(self, row: Any, canonical: dict[str, Any], loose: Loose) -> list[tuple[Any, ...]]:
        """Identities under which a removed and an added row count as one rule renamed."""
        return []

    def compatible(self, old: Any, new: Any) -> bool:
        """Whether two rows may be paired as a rename at all."""
        return True

    def relevant(self, row: Any, family: OccupationFamily) -> bool:
        """Whether the row can change what a member of ``family`` (electricians) may do."""
        raise NotImplementedError

    # ---------------------------------------------------------------- words

    def describe(self, d: dict[str, Any]) -> str:
        """A whole row in a few words (added and removed rows, `rules show`)."""
        raise NotImplementedError

    def describe_one_sided(self, verb: str, d: dict[str, Any]) -> str:
        """An added or removed row, after the region and kind labels."""
        return f"{verb} {self.describe(d)}"

    def describe_modified(self, before: dict[str, Any], after: dict[str, Any], changed: Sequence[str]) -> str:
        """A modification, after "<region> <kind>: "."""
        return "；".join(self.text_changes(before, after, changed))

    def text_changes(self, before: dict[str, Any], after: dict[str, Any], names: Sequence[str]) -> list[str]:
        out = []
        for name in names:
            label = self.field_labels.get(name, name)
            if name in ("notes", "conditions"):
                out.append(f"{label}修改: {arrow(before.get(name), after.get(name), name)}")
            else:
                out.append(f"{label} {arrow(before.get(name), after.get(name), name)}")
        return out

    def item_label(self, d: dict[str, Any], key: str, width: int) -> str:
        """What a change is about, in the words a reader uses (report tables)."""
        return one_line(key, width)

    def headline(self, change: Change) -> str | None:
        """The shortest form of a change for a subject line, when the kind has a better one."""
        return None

    def meaning(self, change: Change) -> str | None:
        """What the change means for an electrician holding a certificate, if it says anything."""
        return None
