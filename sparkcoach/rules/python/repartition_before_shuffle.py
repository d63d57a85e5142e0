"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK205", "repartition-before-shuffle", "warning", ast.Call)
def repartition_before_shuffle(node, ctx):
    return None
