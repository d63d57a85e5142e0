"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK301", "missing-broadcast-hint", "warning", ast.Call)
def missing_broadcast_hint(node, ctx):
    return None
