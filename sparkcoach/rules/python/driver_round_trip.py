"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK103", "driver-round-trip", "warning", ast.Call)
def driver_round_trip(node, ctx):
    return None
