"""STUB: to be written."""

from ...rules.base import sql_rule


@sql_rule("SPK604", "sql-not-in-subquery", "warning", "Select")
def sql_not_in_subquery(node, ctx):
    return None
