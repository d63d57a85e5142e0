"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK302", "cross-join", "warning", ast.Call)
def cross_join(node, ctx):
    return None
