"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK402", "closure-captures-large-object", "warning", ast.Call)
def closure_captures_large_object(node, ctx):
    return None
