"""STUB: to be written."""

import ast

from ...rules.base import python_rule


@python_rule("SPK404", "connection-per-record", "warning", ast.Call)
def connection_per_record(node, ctx):
    return None
