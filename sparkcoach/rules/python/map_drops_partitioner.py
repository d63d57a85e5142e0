"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK204", "map-drops-partitioner", "warning", ast.Call)
def map_drops_partitioner(node, ctx):
    return None
