"""STUB: to be written."""

from ...rules.base import sql_rule


@sql_rule("SPK601", "sql-select-star", "warning", "Select")
def sql_select_star(node, ctx):
    return None
