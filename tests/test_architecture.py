"""The shape the README promises: one module per rule kind, layers that point one way, no cycles.

The layer contracts themselves are import-linter's (pyproject.toml, `lint-imports` in CI);
these tests keep the registry honest and catch import cycles inside a package.
"""

from __future__ import annotations

import dataclasses
from typing import get_args

import grimp

from rules.kind import RuleKind as RuleKindSpec
from rules.registry import KINDS, ROW_TYPES, RULE_KINDS, RuleKind, RuleRow

PACKAGES = ("rules", "parsers", "storage", "notifier", "crawlers", "policywatch")


def test_static_kind_types_match_the_registry() -> None:
    assert set(get_args(RuleKind)) == set(KINDS) == set(RULE_KINDS)
    assert set(get_args(RuleRow)) == set(ROW_TYPES.values())


def test_each_kind_module_describes_its_own_rows() -> None:
    for name, kind in KINDS.items():
        assert isinstance(kind, RuleKindSpec)
        assert kind.name == name == kind.row_type.kind
        fields = {f.name for f in dataclasses.fields(kind.row_type)} - {"source", "occupation_printed"}
        assert fields <= set(kind.field_labels), f"{name}: every field has a Chinese label"
        assert kind.substantive_fields <= fields, f"{name}: substantive fields are row fields"
        assert kind.label and kind.subject_label
        assert kind.required_columns and all(
            set(req) <= set(kind.header_synonyms) for req in kind.required_columns
        ), f"{name}: required header columns have synonyms"
    priorities = [k.header_priority for k in KINDS.values()]
    assert len(set(priorities)) == len(priorities), "header ties are broken by a unique priority"


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child.split(".")[0] not in PACKAGES:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles_between_modules() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert _cycles(graph) == []
