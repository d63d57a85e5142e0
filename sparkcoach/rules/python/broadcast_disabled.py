"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK701", "broadcast-disabled", "warning", ast.Call)
def broadcast_disabled(node, ctx):
    return None
