"""## What it does
Checks for code that sets `spark.sql.autoBroadcastJoinThreshold` to `-1`.
It looks at `spark.conf.set(...)`, `SparkSession.builder.config(...)`,
`SparkConf().set(...)`, configuration dicts and key/value pairs,
`spark.sql("SET ...=-1")` and `--conf spark.sql.autoBroadcastJoinThreshold=-1`
submit arguments.

## Why is this bad?
A threshold of `-1` turns automatic broadcast joins off for the whole session.
Every join without an explicit hint becomes a sort-merge join that shuffles and
sorts both sides, even when one side is a tiny dimension table that Spark would
otherwise send to every executor; adaptive execution stops converting joins to
broadcasts at runtime too, since its own threshold defaults to this one.

It is usually set to silence one broadcast that ran out of memory; a `broadcast()`
hint where it helps, or a raised threshold (`"50MB"`), keeps the fast path for the
other joins.

## Example
```python
spark.conf.set("spark.sql.autoBroadcastJoinThreshold", -1)
enriched = orders.join(countries, "country_code")
```

Use instead:
```python
from pyspark.sql.functions import broadcast

spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "50MB")
enriched = orders.join(broadcast(countries), "country_code")
```
"""

from __future__ import annotations

import ast
import re

from ...rules.base import python_rule

KEY = "spark.sql.autoBroadcastJoinThreshold"
_SETTERS = {"set", "config", "setIfMissing"}
# "SET spark.sql.autoBroadcastJoinThreshold = -1" (optionally quoted value), as given to spark.sql(...)
_SQL_SET = re.compile(r"^\s*set\s+`?spark\.sql\.autoBroadcastJoinThreshold`?\s*=\s*(['\"]?)-1\1\s*;?\s*$", re.I)
# spark-submit style: "--conf spark.sql.autoBroadcastJoinThreshold=-1" (PYSPARK_SUBMIT_ARGS, argv lists)
_SUBMIT = re.compile(r"--conf[\s=]+(['\"]?)spark\.sql\.autoBroadcastJoinThreshold=-1(?![\w.])")
_PAIR = re.compile(r"^\s*spark\.sql\.autoBroadcastJoinThreshold\s*=\s*-1\s*$")

MESSAGE = (
    "{what} disables broadcast joins for the whole session: every join without a hint becomes a "
    "sort-merge join that shuffles both sides; hint the joins that need it (`broadcast(small)`) "
    "or raise the threshold (e.g. `\"50MB\"`) instead of `-1`"
)


def _is_key(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() == KEY


def _is_minus_one(node: ast.AST | None) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        o = node.operand
        return isinstance(o, ast.Constant) and type(o.value) in (int, float) and o.value == 1
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, str):
            return v.strip().lower() in ("-1", "-1b")
        return type(v) is int and v == -1
    return False


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _call(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    name = f.attr
    if name in _SETTERS:
        key = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "key"), None)
        if not _is_key(key):
            return
        value = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "value"), None)
        if _is_minus_one(value):
            ctx.report(ctx.source.method_span(node), MESSAGE.format(what=f"`{_short(ctx.segment(node))}`"))


def _constant(node: ast.Constant, ctx) -> None:
    text = node.value
    if type(text) is not str or "autoBroadcastJoinThreshold" not in text:
        return
    parent = ctx.parent(node)
    if isinstance(parent, ast.Expr):
        return  # a docstring or bare string statement
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is node:
        f = parent.func
        if isinstance(f, ast.Attribute) and f.attr == "sql" and _SQL_SET.match(text):
            ctx.report(node, MESSAGE.format(what=f"`{_short(text.strip())}`"))
            return
    if _SUBMIT.search(text):
        ctx.report(node, MESSAGE.format(what="`--conf spark.sql.autoBroadcastJoinThreshold=-1`"))
        return
    # ["--conf", "spark.sql.autoBroadcastJoinThreshold=-1"] in an argument list
    if _PAIR.match(text) and isinstance(parent, (ast.List, ast.Tuple)):
        elts = parent.elts
        i = next((j for j, e in enumerate(elts) if e is node), -1)
        prev = elts[i - 1] if i > 0 else None
        if isinstance(prev, ast.Constant) and prev.value == "--conf":
            ctx.report(node, MESSAGE.format(what="`--conf spark.sql.autoBroadcastJoinThreshold=-1`"))


def _dict(node: ast.Dict, ctx) -> None:
    # {"spark.sql.autoBroadcastJoinThreshold": -1}: builder.config(map=...), conf dicts applied in a loop
    for k, v in zip(node.keys, node.values):
        if _is_key(k) and _is_minus_one(v):
            ctx.report(_span(k, v, ctx), MESSAGE.format(what=f"`{_short(ctx.segment(k))}: {ctx.segment(v)}`"))


def _tuple(node: ast.Tuple, ctx) -> None:
    # ("spark.sql.autoBroadcastJoinThreshold", "-1") pairs, as given to SparkConf().setAll([...])
    if len(node.elts) == 2 and _is_key(node.elts[0]) and _is_minus_one(node.elts[1]):
        ctx.report(node, MESSAGE.format(what=f"`{_short(ctx.segment(node))}`"))


def _span(first: ast.AST, last: ast.AST, ctx) -> tuple[int, int, int, int]:
    line, col, _, _ = ctx.source.span(first)
    _, _, end_line, end_col = ctx.source.span(last)
    return line, col, end_line, end_col


_DISPATCH = {ast.Call: _call, ast.Constant: _constant, ast.Dict: _dict, ast.Tuple: _tuple}


@python_rule("SPK701", "broadcast-disabled", "warning", ast.Call, ast.Constant, ast.Dict, ast.Tuple)
def broadcast_disabled(node, ctx) -> None:
    _DISPATCH[type(node)](node, ctx)
