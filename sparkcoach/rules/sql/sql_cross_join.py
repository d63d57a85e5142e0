"""STUB: to be written."""

from ...rules.base import sql_rule


@sql_rule("SPK603", "sql-cross-join", "warning", "Select")
def sql_cross_join(node, ctx):
    return None
