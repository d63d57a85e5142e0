"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK405", "python-udf-for-builtin", "warning", ast.Call)
def python_udf_for_builtin(node, ctx):
    return None
