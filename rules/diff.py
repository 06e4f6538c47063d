"""The diff engine: two versions of a rule series in, the policy changes between them out.

Pure on purpose (no database, no Scrapy): the application hands it rows, the notifier and
the ``diff-report`` command consume its :class:`Change` records, and tests drive it directly.
Layout noise (spacing, full-width forms, punctuation, row order) must never surface as a
change, because every change may end up in somebody's mailbox. What is substantive, how a
renamed row is recognised and whether absent rows are removals is each kind's decision
(rules/kinds/).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .canonical import canonical_text, canonical_value
from .changes import Change, ChangeKind, ChangeProvenance
from .levels import normalise_level
from .occupations import normalise_occupation as default_normalise_occupation
from .registry import KINDS, RuleRow
from .relevance import is_electrician_related
from .summary import summarise

_CHANGE_ORDER = {"removed": 0, "modified": 1, "added": 2}
# Rename identities, strongest first (a shared 大典 code beats a shared name).
_RENAME_RANKS: tuple[str, ...] = tuple(dict.fromkeys(r for k in KINDS.values() for r in k.rename_ranks))


# Punctuation, symbols and whitespace: what a "reworded" item may differ by and still match.
_LOOSE_DROP = re.compile(r"[\W_]+")


def _loose(text: str | None, normalise: Callable[[str], str]) -> str | None:
    """Item or name with punctuation dropped and level/occupation aliases folded (rename matching)."""
    canon = canonical_text(text) if text else None
    if canon is None:
        return None
    bare = _LOOSE_DROP.sub("", normalise(canon) or canon)
    if bare.endswith("证书"):
        bare = bare[:-2]
    level = normalise_level(bare)
    return _LOOSE_DROP.sub("", level) if level else bare


# ---------------------------------------------------------------- matching


@dataclass(slots=True)
class _Slot:
    """A row with its display key (key, or key#N for duplicates) and canonical fields."""

    row: RuleRow
    key: str
    fields: dict[str, Any]
    canon: dict[str, Any] | None = None

    def canonical(self) -> dict[str, Any]:
        if self.canon is None:
            self.canon = {k: canonical_value(v) for k, v in self.fields.items()}
        return self.canon


def _by_raw_key(rows: Iterable[RuleRow]) -> tuple[dict[tuple[str, str], RuleRow], list[RuleRow]]:
    """Rows by (kind, key) as printed, plus every row whose key occurs more than once."""
    first: dict[tuple[str, str], RuleRow] = {}
    dups: dict[tuple[str, str], list[RuleRow]] = {}
    for row in rows:
        k = (row.kind, row.key())
        if k in first:
            dups.setdefault(k, []).append(row)
        else:
            first[k] = row
    repeated = [row for k, more in dups.items() for row in (first.pop(k), *more)]
    return first, repeated


def _index(rows: Iterable[RuleRow]) -> dict[tuple[str, str], list[RuleRow]]:
    """Rows grouped by (kind, canonical key), so a key retyped with noise still matches."""
    groups: dict[tuple[str, str], list[RuleRow]] = {}
    for row in rows:
        gkey = (row.kind, canonical_text(row.key()) or "")
        group = groups.get(gkey)
        if group is None:
            groups[gkey] = [row]
        else:
            group.append(row)
    return groups


def _match_by_key(
    before: Sequence[RuleRow], after: Sequence[RuleRow]
) -> tuple[list[tuple[_Slot, _Slot]], list[_Slot], list[_Slot]]:
    """Pairs of rows sharing a key, then the rows left on each side.

    Exact keys are matched first with plain dict lookups (the bulk of any real diff, and
    what keeps 10,000 rows fast); only the rest is canonicalised, grouped and paired.
    """
    old_first, old_rest = _by_raw_key(before)
    new_first, new_rest = _by_raw_key(after)
    pairs: list[tuple[_Slot, _Slot]] = []
    for k, old in old_first.items():
        new = new_first.pop(k, None)
        if new is None:
            old_rest.append(old)
        elif old != new:
            pairs.append((_Slot(old, old.key(), old.fields()), _Slot(new, new.key(), new.fields())))
    new_rest.extend(new_first.values())

    removed: list[_Slot] = []
    added: list[_Slot] = []
    old_groups, new_groups = _index(old_rest), _index(new_rest)
    for gkey, old_rows in old_groups.items():
        new_rows = new_groups.pop(gkey, None)
        if new_rows is None:
            removed.extend(_slots(old_rows))
            continue
        matched, gone, extra = _pair_group(_slots(old_rows), _slots(new_rows))
        pairs.extend(matched)
        removed.extend(gone)
        added.extend(extra)
    for new_rows in new_groups.values():
        added.extend(_slots(new_rows))
    return pairs, removed, added


def _slot_order(slot: _Slot) -> tuple[str, str, str]:
    return (slot.row.kind, slot.key, repr(sorted(slot.canonical().items())))


def _slots(rows: list[RuleRow]) -> list[_Slot]:
    """Rows of one key as slots; duplicates ordered by content and numbered key, key#2, key#3 …"""
    slots = [_Slot(row, row.key(), row.fields()) for row in rows]
    if len(slots) > 1:
        slots.sort(key=lambda s: repr(sorted(s.canonical().items())))
        for n, slot in enumerate(slots[1:], start=2):
            slot.key = f"{slot.key}#{n}"
    return slots


def _changed_fields(old: _Slot, new: _Slot) -> tuple[str, ...]:
    """Fields that differ once noise is folded, in the row's own field order."""
    a, b = old.fields, new.fields
    if a == b:
        return ()
    names = list(b) + [k for k in a if k not in b]
    return tuple(
        k for k in names if a.get(k) != b.get(k) and canonical_value(a.get(k)) != canonical_value(b.get(k))
    )


def _pair_group(
    old: list[_Slot], new: list[_Slot]
) -> tuple[list[tuple[_Slot, _Slot]], list[_Slot], list[_Slot]]:
    """Pair rows sharing a key: identical rows first, then the closest remaining ones."""
    if len(old) == 1 and len(new) == 1:
        return [(old[0], new[0])], [], []
    old_left = list(old)
    new_left: list[_Slot] = []
    pairs: list[tuple[_Slot, _Slot]] = []
    for slot in new:
        same = next((o for o in old_left if o.canonical() == slot.canonical()), None)
        if same is not None:
            old_left.remove(same)
            pairs.append((same, slot))
        else:
            new_left.append(slot)
    # closest pairs first (fewest differing fields), ties in the groups' deterministic order
    candidates = sorted(
        (len(_changed_fields(o, n)), i, j) for i, o in enumerate(old_left) for j, n in enumerate(new_left)
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, i, j in candidates:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((old_left[i], new_left[j]))
    new_rest = [n for j, n in enumerate(new_left) if j not in used_new]
    old_left = [o for i, o in enumerate(old_left) if i not in used_old]
    return pairs, old_left, new_rest


def _rename_keys(slot: _Slot, normalise: Callable[[str], str]) -> list[tuple[Any, ...]]:
    """Identities under which a removed row and an added row count as the same rule renamed."""
    return KINDS[slot.row.kind].rename_identities(slot.row, slot.canonical(), lambda t: _loose(t, normalise))


def _substantive(old: _Slot, new: _Slot, changed: tuple[str, ...], normalise: Callable[[str], str]) -> bool:
    """A change in a rule-bearing field, unless it is only a rewording ("高级工" -> "三级/高级工")."""
    substantive_fields = KINDS[new.row.kind].substantive_fields
    for name in changed:
        if name not in substantive_fields:
            continue
        a, b = old.fields.get(name), new.fields.get(name)
        if isinstance(a, str) and isinstance(b, str) and _loose(a, normalise) == _loose(b, normalise):
            continue
        return True
    return False


def _compatible(old: _Slot, new: _Slot) -> bool:
    return old.row.kind != new.row.kind or KINDS[new.row.kind].compatible(old.row, new.row)


def _match_renames(
    removed: list[_Slot], added: list[_Slot], normalise: Callable[[str], str]
) -> list[tuple[_Slot, _Slot]]:
    """One-to-one rename pairs, strongest identity (code) first, ties broken by fewest changes."""
    if not removed or not added:
        return []
    pairs: list[tuple[_Slot, _Slot]] = []
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    old_ids = {id(s): _rename_keys(s, normalise) for s in removed}
    new_ids = {id(s): _rename_keys(s, normalise) for s in added}
    for rank in _RENAME_RANKS:
        by_identity: dict[tuple[Any, ...], list[_Slot]] = {}
        for slot in added:
            for ident in new_ids[id(slot)]:
                if ident[0] == rank:
                    by_identity.setdefault((slot.row.kind, *ident), []).append(slot)
        if not by_identity:
            continue
        for old in removed:
            if id(old) in taken_old:
                continue
            candidates = [
                new
                for ident in old_ids[id(old)]
                if ident[0] == rank
                for new in by_identity.get((old.row.kind, *ident), ())
                if id(new) not in taken_new and _compatible(old, new)
            ]
            if not candidates:
                continue
            best = min(candidates, key=lambda n: (len(_changed_fields(old, n)), n.key))
            taken_old.add(id(old))
            taken_new.add(id(best))
            pairs.append((old, best))
    return pairs


# ---------------------------------------------------------------- the diff


def diff_rule_sets(
    before: Sequence[RuleRow],
    after: Sequence[RuleRow],
    *,
    region: str,
    kind: str,
    relevant: Callable[[RuleRow], bool] | None = None,
    provenance: ChangeProvenance | None = None,
    normalise_occupation: Callable[[str], str] | None = None,
) -> list[Change]:
    """Changes from ``before`` to ``after`` (two versions of the series ``region``/``kind``).

    Rows are matched by key; each row's own ``kind`` labels its change (``kind`` is the
    series kind, kept for callers and messages). Rows absent from ``after`` are not
    removals for a kind that ``keeps_absent_rows`` (a new year's cut-off does not repeal
    older years').
    """
    is_relevant = relevant or is_electrician_related
    normalise = normalise_occupation or default_normalise_occupation
    prov = provenance or ChangeProvenance()
    pairs, removed, added = _match_by_key(before, after)
    removed.sort(key=_slot_order)
    added.sort(key=_slot_order)
    renamed = _match_renames(removed, added, normalise)
    renamed_old = {id(o) for o, _ in renamed}
    renamed_new = {id(n) for _, n in renamed}

    changes: list[Change] = []
    for old, new, renamed_from in [(o, n, None) for o, n in pairs] + [(o, n, o.key) for o, n in renamed]:
        fields_changed = _changed_fields(old, new)
        if not fields_changed:
            continue
        changes.append(
            Change(
                region=region,
                kind=new.row.kind,
                change="modified",
                key=new.key,
                before=old.fields,
                after=new.fields,
                fields_changed=fields_changed,
                substantive=_substantive(old, new, fields_changed, normalise),
                electrician_related=bool(is_relevant(old.row) or is_relevant(new.row)),
                summary="",
                renamed_from=renamed_from,
                provenance=prov,
            )
        )
    for slot in removed:
        if id(slot) in renamed_old or KINDS[slot.row.kind].keeps_absent_rows:
            continue
        changes.append(_one_sided(slot, "removed", region, prov, is_relevant))
    for slot in added:
        if id(slot) not in renamed_new:
            changes.append(_one_sided(slot, "added", region, prov, is_relevant))

    changes.sort(key=lambda c: (c.kind, KINDS[c.kind].sort_key(c.key), c.key, _CHANGE_ORDER[c.change]))
    return [dataclasses.replace(c, summary=summarise(c)) for c in changes]


def _one_sided(
    slot: _Slot,
    change: ChangeKind,
    region: str,
    prov: ChangeProvenance,
    is_relevant: Callable[[RuleRow], bool],
) -> Change:
    return Change(
        region=region,
        kind=slot.row.kind,
        change=change,
        key=slot.key,
        before=slot.fields if change == "removed" else None,
        after=slot.fields if change == "added" else None,
        fields_changed=(),
        substantive=True,
        electrician_related=bool(is_relevant(slot.row)),
        summary="",
        provenance=prov,
    )
