"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK101", "collect-to-driver", "warning", ast.Call)
def collect_to_driver(node, ctx):
    return None
