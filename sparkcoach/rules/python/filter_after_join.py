"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK303", "filter-after-join", "warning", ast.Call)
def filter_after_join(node, ctx):
    return None
