"""STUB: to be written."""

from ...rules.base import sql_rule


@sql_rule("SPK602", "sql-order-by-without-limit", "warning", "Select")
def sql_order_by_without_limit(node, ctx):
    return None
