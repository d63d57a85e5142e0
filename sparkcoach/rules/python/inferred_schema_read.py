"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK503", "inferred-schema-read", "warning", ast.Call)
def inferred_schema_read(node, ctx):
    return None
