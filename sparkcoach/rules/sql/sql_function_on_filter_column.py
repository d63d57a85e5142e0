"""STUB: to be written."""

from ...rules.base import sql_rule


@sql_rule("SPK605", "sql-function-on-filter-column", "warning", "Select")
def sql_function_on_filter_column(node, ctx):
    return None
