"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK501", "cache-not-reused", "warning", ast.Call)
def cache_not_reused(node, ctx):
    return None
