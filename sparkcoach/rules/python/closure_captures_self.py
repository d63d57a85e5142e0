"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK401", "closure-captures-self", "warning", ast.Call)
def closure_captures_self(node, ctx):
    return None
