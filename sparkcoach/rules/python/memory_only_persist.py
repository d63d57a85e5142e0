"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK502", "memory-only-persist", "warning", ast.Call)
def memory_only_persist(node, ctx):
    return None
