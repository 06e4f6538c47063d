"""How fast is ``diff_rule_sets`` on two 10,000-row versions? (target: well under 100 ms)

Run: ``.venv/bin/python bench/diff_speed.py [--rows N] [--repeat R]``. The second version
has ~2% modified rows, some added, removed and renamed rows, re-ordered, with layout noise
on a share of the unchanged rows. "cold" clears the text-canonicalisation cache before each
run (a fresh process); "warm" keeps it (a daemon diffing series after series).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules import CutoffScore, PointsItem, RuleRow, ShortageEntry, TalentCondition  # noqa: E402
from rules.canonical import canonical_text  # noqa: E402
from rules.diff import diff_rule_sets  # noqa: E402

LEVELS = ("五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师")


def version_one(n: int, rng: random.Random) -> list[RuleRow]:
    """n rows: 60% points items, 30% shortage entries, 9% talent conditions, 1% cut-offs."""
    rows: list[RuleRow] = []
    for i in range(int(n * 0.60)):
        rows.append(
            PointsItem(
                f"类别{i % 40}",
                f"项目{i}（含说明）",
                float(rng.randint(1, 60)),
                conditions=f"条件{i}，见附件",
            )
        )
    for i in range(int(n * 0.30)):
        code = f"{2 + i % 6}-{i // 10000 % 100:02d}-{i // 100 % 100:02d}-{i % 100:02d}"
        rows.append(ShortageEntry(f"职业{i}", f"职业{i}", code=code, degree="紧缺", level=LEVELS[i % 5]))
    for i in range(int(n * 0.09)):
        rows.append(TalentCondition(f"渠道{i % 7}", f"要求{i}", social_insurance_months=12, age_limit=45))
    while len(rows) < n:
        rows.append(CutoffScore(1900 + len(rows) % 200, float(rng.randint(80, 160)), rng.randint(500, 3000)))
    return rows


def version_two(rows: list[RuleRow], rng: random.Random) -> list[RuleRow]:
    """~2% modified, 0.5% removed, 0.5% added, 0.3% renamed, 10% re-typed with noise, shuffled."""
    out: list[RuleRow] = []
    for i, row in enumerate(rows):
        roll = rng.random()
        if roll < 0.005:
            continue  # removed
        if isinstance(row, PointsItem):
            if roll < 0.025:
                row = PointsItem(row.category, row.item, (row.points or 0) + 5, conditions=row.conditions)
            elif roll < 0.028:
                # reworded: a new key, but the same rule once punctuation is ignored -> a rename
                row = PointsItem(
                    row.category,
                    row.item.replace("（含说明）", "含说明"),
                    row.points,
                    conditions=row.conditions,
                )
            elif roll < 0.13:
                row = PointsItem(
                    f" {row.category}\u3000", row.item, row.points, conditions=f"{row.conditions}。"
                )
        elif isinstance(row, ShortageEntry):
            if roll < 0.025:
                row = ShortageEntry(
                    row.occupation, row.occupation_printed, code=row.code, degree="特别紧缺", level=row.level
                )
            elif roll < 0.028:
                row = ShortageEntry(
                    f"{row.occupation}(新)",
                    f"{row.occupation}(新)",
                    code=row.code,
                    degree=row.degree,
                    level=row.level,
                )
        elif isinstance(row, TalentCondition) and roll < 0.025:
            row = TalentCondition(
                row.channel, row.requirement, social_insurance_months=6, age_limit=row.age_limit
            )
        out.append(row)
        if roll > 0.995:
            out.append(PointsItem("新增类别", f"新增项目{i}", 3.0))
    rng.shuffle(out)
    return out


def timed(
    before: list[RuleRow],
    after: list[RuleRow],
    repeat: int,
    cold: bool,
    relevant: Callable[[RuleRow], bool] | None,
) -> list[float]:
    times = []
    for _ in range(repeat):
        if cold:
            canonical_text.cache_clear()
        start = time.perf_counter()
        diff_rule_sets(before, after, region="fujian", kind="points_schedule", relevant=relevant)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(20261124)
    before = version_one(args.rows, rng)
    after = version_two(before, rng)
    changes = diff_rule_sets(
        before, after, region="fujian", kind="points_schedule", relevant=lambda row: False
    )
    counts = {k: sum(c.change == k for c in changes) for k in ("added", "removed", "modified")}
    renamed = sum(c.renamed_from is not None for c in changes)
    print(f"versions: {len(before)} and {len(after)} rows; changes: {counts} ({renamed} renames)")
    label = f"diff {len(before)}x{len(after)} rows"
    runs: list[tuple[str, bool, Callable[[RuleRow], bool] | None]] = [
        ("cold cache", True, lambda row: False),
        ("warm cache", False, lambda row: False),
        ("cold cache, rules.relevance", True, None),
    ]
    for name, cold, relevant in runs:
        times = timed(before, after, args.repeat, cold, relevant)
        print(f"{label} ({name}): median {statistics.median(times):.1f} ms, best {min(times):.1f} ms")


if __name__ == "__main__":
    main()
