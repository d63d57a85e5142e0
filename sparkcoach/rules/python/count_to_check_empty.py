"""## What it does
Checks for a DataFrame or RDD counted (or collected) only to test whether it
is empty: `df.count() == 0`, `df.count() > 0`, `if rdd.count():`,
`not df.count()`, `len(df.collect()) == 0`, and a count stored in a name that
is used for nothing but such a test.

## Why is this bad?
`count()` runs a job over every partition and every row to produce a number
that is then only compared with zero; `len(df.collect())` also ships every row
to the driver.  `isEmpty()` stops as soon as it finds one row, usually after
reading a single partition.

A count that is also used as a number (logged, stored, compared with anything
but 0 or 1) is not reported.

## Example
```python
if df.filter(df.status == "failed").count() > 0:
    alert()
if rdd.count() == 0:
    return
```

Use instead:
```python
if not df.filter(df.status == "failed").isEmpty():
    alert()
if rdd.isEmpty():
    return
```

## Fix safety
The fix is safe: `isEmpty()` answers the same question (`DataFrame.isEmpty`
needs Spark 3.3 or later; `RDD.isEmpty` exists in every version).  A count
stored in a name is reported without a fix.
"""

from __future__ import annotations

import ast

from ...rules.base import python_rule
from .driver_round_trip import (FOREIGN_METHODS, assigned_name, foreign_frames, head_text, in_test_code, method,
                                no_args, short, shorten, spark_value, uses_after)

_MIRROR = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
# (operator, constant) -> tests "empty" (True) or "not empty" (False), with the count on the left.
_TESTS = {
    (ast.Eq, 0): True, (ast.LtE, 0): True, (ast.Lt, 1): True,
    (ast.NotEq, 0): False, (ast.Gt, 0): False, (ast.GtE, 1): False,
}
_TIGHT = (ast.Compare, ast.BinOp, ast.Attribute, ast.Subscript, ast.Await, ast.Starred)


def _compare_mode(cmp: ast.Compare, operand: ast.AST) -> bool | None:
    if len(cmp.ops) != 1:
        return None
    op = type(cmp.ops[0])
    if cmp.left is operand:
        other = cmp.comparators[0]
    else:
        other = cmp.left
        op = _MIRROR.get(op)
    if not (isinstance(other, ast.Constant) and type(other.value) is int):
        return None
    return _TESTS.get((op, other.value))


def _is_bool_call(p: ast.AST, node: ast.AST, ctx) -> bool:
    return (isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "bool"
            and p.args == [node] and not p.keywords and not ctx.is_bound("bool"))


def _bool_context(node: ast.AST, p: ast.AST | None, ctx) -> bool:
    """``node``'s value is only used for its truth (an ``if``/``while`` test, an ``and`` in one, ...)."""
    if isinstance(p, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        return p.test is node
    if isinstance(p, ast.comprehension):
        return node in p.ifs
    if isinstance(p, ast.BoolOp):
        return _bool_context(p, ctx.parent(p), ctx)
    return False


def _truth_tested(node: ast.AST, ctx) -> bool:
    """Python itself takes the truth of ``node`` (a pandas Series there would raise)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    p = ctx.parent(node)
    return _bool_context(node, p, ctx) or _is_bool_call(p, node, ctx) or (
        isinstance(p, ast.UnaryOp) and isinstance(p.op, ast.Not))


def emptiness(node: ast.AST, ctx, number: bool = True) -> tuple[ast.AST, bool] | None:
    """If ``node`` (a count, or a list of rows when ``number`` is False) is only tested for emptiness:
    (the expression making the test, True when it tests "empty" / False for "not empty")."""
    outer = node
    mode: bool | None = None
    for _ in range(20):
        p = ctx.parent(outer)
        if mode is None:
            if number and isinstance(p, ast.Compare):
                mode = _compare_mode(p, outer)
                if mode is None:
                    return None
                outer = p
            elif isinstance(p, ast.UnaryOp) and isinstance(p.op, ast.Not):
                mode, outer = True, p
            elif _is_bool_call(p, outer, ctx):
                mode, outer = False, p
            elif _bool_context(outer, p, ctx):
                return outer, False
            else:
                return None
        else:
            if isinstance(p, ast.UnaryOp) and isinstance(p.op, ast.Not):
                mode, outer = not mode, p
            elif _is_bool_call(p, outer, ctx):
                outer = p
            elif isinstance(p, (ast.Attribute, ast.Subscript)) and p.value is outer:
                return None  # (x == 0).all(): not a Python bool
            else:
                return outer, mode
    return None


def collect_emptiness(call: ast.Call, ctx) -> tuple[ast.AST, bool] | None:
    """``len(df.collect()) == 0`` / ``not df.collect()``: the emptiness test of a collect call."""
    p = ctx.parent(call)
    if (isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "len" and p.args == [call]
            and not p.keywords and not ctx.is_bound("len")):
        return emptiness(p, ctx, True)
    return emptiness(call, ctx, False)


def _stored(node: ast.Call, ctx) -> None:
    """``n = df.count()`` where ``n`` is used only in emptiness tests (checked once the file is read)."""
    name = assigned_name(node, ctx)
    if name is None:
        return
    seq, unit = ctx.seq, ctx.unit
    span = ctx.source.method_span(node)
    seg, new = short(node, ctx), shorten(head_text(node, ctx, "isEmpty()"))

    def finish():
        uses = uses_after(name, seq, ctx)
        if not uses:
            return
        tests = [emptiness(u.node, ctx, True) for u in uses]
        if any(t is None for t in tests):
            return
        outer, _ = tests[0]
        check = shorten(uses[0].unit.source.segment(outer))
        ctx.report(span, f"`{name} = {seg}` counts every row only to test `{check}`: "
                         f"use `{new}` instead of counting", unit=unit)

    ctx.on_finish(finish)


@python_rule("SPK102", "count-to-check-empty", "warning", ast.Call)
def count_to_check_empty(node, ctx) -> None:
    name = method(node)
    if name not in ("count", "collect") or not no_args(node):
        return
    recv = node.func.value
    v = spark_value(recv, ctx, None, anchor=node)
    if v is None or v.small or in_test_code(node, ctx):
        return
    # ``df`` known only by its name in a file using pandas/polars: pandas ``df.count() > 0`` is a
    # Series, so only a test whose truth Python takes (``if``, ``not``, ``bool``) is surely Spark.
    foreign = v.node is None and foreign_frames(ctx, FOREIGN_METHODS[name])
    found = emptiness(node, ctx, True) if name == "count" else collect_emptiness(node, ctx)
    if found is None:
        if name == "count" and not foreign:
            _stored(node, ctx)
        return
    outer, empty = found
    if foreign and not _truth_tested(outer, ctx):
        return
    inner = head_text(node, ctx, "isEmpty()")
    new = inner if empty else f"not {inner}"
    p = ctx.parent(outer)
    if not empty and isinstance(outer, ast.Call) and (
            isinstance(p, _TIGHT) or (isinstance(p, ast.UnaryOp) and not isinstance(p.op, ast.Not))
            or (isinstance(p, ast.Call) and p.func is outer)):
        new = f"({new})"
    what = "counts" if name == "count" else "collects"
    ctx.report(
        ctx.source.method_span(node),
        f"`{short(outer, ctx)}` {what} every row of `{short(recv, ctx)}` just to test for emptiness: "
        f"use `{shorten(new)}`",
        fix=ctx.fix(f"Replace with {shorten(new)}", [ctx.source.replace(outer, new)]),
    )
