"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK403", "closure-captures-spark", "warning", ast.Call)
def closure_captures_spark(node, ctx):
    return None
