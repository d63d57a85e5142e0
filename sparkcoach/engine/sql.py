"""SQL strings given to ``spark.sql(...)``: parsed with sqlglot's Spark dialect, one walk, SQL rules.

STUB: to be written.
"""


def lint_call(call, ctx, rules) -> None:
    return None
