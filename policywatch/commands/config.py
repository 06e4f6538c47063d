"""`policywatch config show|check|reference`: the effective config (secrets masked), its
validation, and its schema. Every command validates the config on load; `check` does only that.
"""

from __future__ import annotations

import argparse
import json

from policywatch.config import masked_view, reference_markdown
from policywatch.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="show the effective configuration")
    config_sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_sub.add_parser("show", help="print the effective config, secrets masked")
    show.set_defaults(handler=show_config)
    check = config_sub.add_parser("check", help="validate the config: exit 2 naming the first bad key")
    check.set_defaults(handler=check_config)
    ref = config_sub.add_parser("reference", help="print the configuration reference (markdown)")
    ref.set_defaults(handler=print_reference)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def show_config(ctx: AppContext, args: argparse.Namespace) -> int:
    view = masked_view(ctx.config)
    if ctx.json_output:
        print(json.dumps({"origin": ctx.config.origin, "config": view}, ensure_ascii=False, indent=2))
        return 0
    print(f"# effective configuration (from {ctx.config.origin})")
    for section, keys in view.items():
        if section == "sources":
            for source_id, overrides in keys.items():
                print(f"\n[sources.{source_id}]")
                for key, value in overrides.items():
                    print(f"{key} = {_toml_value(value)}")
            continue
        print(f"\n[{section}]")
        for key, value in keys.items():
            print(f"{key} = {_toml_value(value)}")
    return 0


def check_config(ctx: AppContext, args: argparse.Namespace) -> int:
    """Reached only when loading found nothing wrong."""
    if ctx.json_output:
        print(json.dumps({"origin": ctx.config.origin, "valid": True}, ensure_ascii=False))
    else:
        print(f"{ctx.config.origin}: valid")
    return 0


def print_reference(ctx: AppContext, args: argparse.Namespace) -> int:
    print(reference_markdown(), end="")
    return 0
