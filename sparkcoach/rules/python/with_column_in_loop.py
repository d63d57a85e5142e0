"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK504", "with-column-in-loop", "warning", ast.Call)
def with_column_in_loop(node, ctx):
    return None
