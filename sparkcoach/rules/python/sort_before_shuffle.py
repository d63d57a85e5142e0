"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK202", "sort-before-shuffle", "warning", ast.Call)
def sort_before_shuffle(node, ctx):
    return None
