"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK203", "single-partition-bottleneck", "warning", ast.Call)
def single_partition_bottleneck(node, ctx):
    return None
