"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK102", "count-to-check-empty", "warning", ast.Call)
def count_to_check_empty(node, ctx):
    return None
