"""The one table of rules: code -> module, with status.

Codes and names are a public contract: a code is never reused, and a renamed
rule keeps its old code.  Modules are imported on first use.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from .rules.base import Rule

# code: (module under sparkcoach.rules, status)
RULES: dict[str, tuple[str, str]] = {
    "SPK101": ("python.collect_to_driver", "stable"),
    "SPK102": ("python.count_to_check_empty", "stable"),
    "SPK103": ("python.driver_round_trip", "stable"),
    "SPK201": ("python.group_by_key", "stable"),
    "SPK202": ("python.sort_before_shuffle", "stable"),
    "SPK203": ("python.single_partition_bottleneck", "stable"),
    "SPK204": ("python.map_drops_partitioner", "stable"),
    "SPK205": ("python.repartition_before_shuffle", "stable"),
    "SPK250": ("plan.redundant_exchange", "preview"),
    "SPK251": ("plan.wasted_global_sort", "preview"),
    "SPK252": ("plan.single_partition_exchange", "preview"),
    "SPK253": ("plan.lineage_group_by_key", "preview"),
    "SPK260": ("plan.task_skew", "preview"),
    "SPK261": ("plan.spill", "preview"),
    "SPK262": ("plan.tiny_tasks", "preview"),
    "SPK301": ("python.missing_broadcast_hint", "stable"),
    "SPK302": ("python.cross_join", "stable"),
    "SPK303": ("python.filter_after_join", "stable"),
    "SPK350": ("plan.sort_merge_join_small_side", "preview"),
    "SPK351": ("plan.nested_loop_join", "preview"),
    "SPK352": ("plan.broadcast_too_large", "preview"),
    "SPK401": ("python.closure_captures_self", "stable"),
    "SPK402": ("python.closure_captures_large_object", "stable"),
    "SPK403": ("python.closure_captures_spark", "stable"),
    "SPK404": ("python.connection_per_record", "stable"),
    "SPK405": ("python.python_udf_for_builtin", "stable"),
    "SPK450": ("plan.python_udf_in_plan", "preview"),
    "SPK501": ("python.cache_not_reused", "stable"),
    "SPK502": ("python.memory_only_persist", "stable"),
    "SPK503": ("python.inferred_schema_read", "stable"),
    "SPK504": ("python.with_column_in_loop", "stable"),
    "SPK550": ("plan.row_format_scan", "preview"),
    "SPK601": ("sql.sql_select_star", "stable"),
    "SPK602": ("sql.sql_order_by_without_limit", "stable"),
    "SPK603": ("sql.sql_cross_join", "stable"),
    "SPK604": ("sql.sql_not_in_subquery", "stable"),
    "SPK605": ("sql.sql_function_on_filter_column", "stable"),
    "SPK701": ("python.broadcast_disabled", "stable"),
}

SYNTAX_ERROR = ("SPK000", "syntax-error", "error")


def _load(module: str) -> Rule:
    mod = importlib.import_module(f"sparkcoach.rules.{module}")
    found = [v for v in vars(mod).values() if isinstance(v, Rule)]
    if len(found) != 1:
        raise RuntimeError(f"sparkcoach.rules.{module} must define exactly one rule, found {len(found)}")
    return found[0]


@lru_cache(maxsize=None)
def get(code: str) -> Rule:
    module, _status = RULES[code]
    rule = _load(module)
    if rule.code != code:
        raise RuntimeError(f"registry maps {code} to a module defining {rule.code}")
    return rule


def all_rules() -> list[Rule]:
    return [get(code) for code in RULES if RULES[code][1] != "removed"]


def status(code: str) -> str:
    return RULES[code][1]


def by_name_or_code(key: str) -> Rule | None:
    key = key.strip()
    if key.upper() in RULES:
        return get(key.upper())
    for rule in all_rules():
        if rule.name == key:
            return rule
    return None


def selected(select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> list[Rule]:
    """Rules enabled by --select / --ignore (codes or prefixes such as ``SPK2``)."""

    def matches(code: str, prefixes: tuple[str, ...]) -> bool:
        return any(code.startswith(p.upper()) for p in prefixes)

    out = []
    for code in RULES:
        if RULES[code][1] == "removed":
            continue
        if select and not matches(code, select):
            continue
        if ignore and matches(code, ignore):
            continue
        out.append(get(code))
    return out
