"""## What it does
Checks for an RDD `groupByKey()` whose grouped values are then reduced to one
value per key (`mapValues(sum)`, `len`, `max`, `min`, a lambda adding them up).

## Why is this bad?
`groupByKey` ships every value across the network and holds all values of a key
in one executor's memory before reducing them; `reduceByKey` and `aggregateByKey`
combine values on the map side first, so only one partial result per key and
partition is shuffled.  Large keys make `groupByKey` spill or fail with
out-of-memory errors.

`groupByKey().mapValues(list)` (keeping every value) is a legitimate use and is
not reported.

## Example
```python
counts = pairs.groupByKey().mapValues(sum)
sizes = pairs.groupByKey().mapValues(len)
```

Use instead:
```python
counts = pairs.reduceByKey(lambda a, b: a + b)
sizes = pairs.mapValues(lambda _: 1).reduceByKey(lambda a, b: a + b)
```

## Fix safety
The fix is safe for `sum`, `len`, `max` and `min` (and lambdas that only apply
them): the result per key is the same.  An average becomes an `aggregateByKey`
over (sum, count) and is marked unsafe, since floating-point sums may round
differently when added in another order.
"""

from __future__ import annotations

import ast
import copy

from ...engine import values as V
from ...findings import Edit
from ...rules.base import python_rule

ADD = "lambda a, b: a + b"
REDUCTIONS = {
    "sum": ("reduceByKey({add})", True),
    "len": ("mapValues(lambda _: 1).reduceByKey({add})", True),
    "max": ("reduceByKey(max)", True),
    "min": ("reduceByKey(min)", True),
}
AVERAGE = (
    "aggregateByKey((0, 0), lambda acc, v: (acc[0] + v, acc[1] + 1), "
    "lambda a, b: (a[0] + b[0], a[1] + b[1])).mapValues(lambda acc: acc[0] / acc[1])"
)


def _reduction(fn: ast.AST, ctx) -> str | None:
    """Which reduction a mapValues function applies to the grouped values."""
    if isinstance(fn, ast.Name) and fn.id in REDUCTIONS and not ctx.is_bound(fn.id):
        return fn.id
    if isinstance(fn, ast.Lambda) and len(fn.args.args) == 1 and not fn.args.vararg:
        p = fn.args.args[0].arg
        return _reduction_of_body(fn.body, p, ctx)
    return None


def _is_param(node: ast.AST, p: str) -> bool:
    if isinstance(node, ast.Name) and node.id == p:
        return True
    # list(vs) / tuple(vs) around the values
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple")
            and len(node.args) == 1 and not node.keywords and _is_param(node.args[0], p))


def _reduction_of_body(body: ast.AST, p: str, ctx) -> str | None:
    if (isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in REDUCTIONS
            and not ctx.is_bound(body.func.id) and len(body.args) == 1 and not body.keywords
            and _is_param(body.args[0], p)):
        return body.func.id
    if isinstance(body, ast.BinOp) and isinstance(body.op, ast.Div):
        if _reduction_of_body(body.left, p, ctx) == "sum" and _reduction_of_body(body.right, p, ctx) == "len":
            return "avg"
    return None


def _pair_reduction(fn: ast.AST, ctx) -> str | None:
    """``map(lambda kv: (kv[0], sum(kv[1])))`` after groupByKey."""
    if not (isinstance(fn, ast.Lambda) and len(fn.args.args) == 1):
        return None
    p = fn.args.args[0].arg
    body = fn.body
    if not (isinstance(body, ast.Tuple) and len(body.elts) == 2):
        return None
    key, val = body.elts
    if not _is_index(key, p, 0):
        return None

    # Replace p[1] by a fresh name and check the remaining body is a reduction of it.
    holder = "__v__"
    found = []

    def rebuild(node):
        if _is_index(node, p, 1):
            found.append(node)
            return ast.Name(holder, ast.Load())
        for f, v in ast.iter_fields(node):
            if isinstance(v, ast.AST):
                setattr(node, f, rebuild(v))
            elif isinstance(v, list):
                setattr(node, f, [rebuild(x) if isinstance(x, ast.AST) else x for x in v])
        return node

    val2 = rebuild(copy.deepcopy(val))
    if not found or any(isinstance(n, ast.Name) and n.id == p for n in ast.walk(val2)):
        return None
    return _reduction_of_body(val2, holder, ctx)


def _is_index(node: ast.AST, p: str, i: int) -> bool:
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == p
            and isinstance(node.slice, ast.Constant) and node.slice.value == i)


def _through_a_name(node: ast.Call, f: ast.Attribute, ctx) -> None:
    """``groups = pairs.groupByKey()`` ... ``groups.mapValues(sum)``: reported, without a fix
    (the rewrite spans two statements, and ``groups`` may have other uses)."""
    if not isinstance(f.value, ast.Name):
        return
    v = ctx.value(f.value)
    if v is None or v.kind != V.RDD or v.grouped is None:
        return
    fn = node.args[0]
    red = _reduction(fn, ctx) if f.attr == "mapValues" else _pair_reduction(fn, ctx)
    if red is None:
        return
    g = v.grouped
    recv = ctx.short(g.func.value) if isinstance(g.func, ast.Attribute) else "..."
    if red == "avg":
        repl, what = AVERAGE, "an average"
    else:
        repl, what = REDUCTIONS[red][0].format(add=ADD), f"`{red}`"
    name = f.value.id
    binds = ctx.state.binds.get(name, [])
    if not binds:
        return
    bound_at, unit, span = binds[-1], ctx.unit, ctx.source.method_span(node)
    message = (f"`{name}` holds `groupByKey()` groups that this {what} reduces per key, so every value "
               f"was shuffled: build it with `{recv}.{repl}` instead")

    def later() -> None:
        # Only when the groups serve nothing else (other uses may need every value).
        uses = [l for l in ctx.loads_after(name, bound_at)
                if not any(bound_at < b < l.seq for b in ctx.state.binds.get(name, []))]
        if len(uses) == 1:
            ctx.report(span, message, unit=unit)

    ctx.on_finish(later)


@python_rule("SPK201", "group-by-key", "warning", ast.Call)
def group_by_key(node: ast.Call, ctx) -> None:
    # node is the call consuming the grouped RDD: <x>.groupByKey(...).mapValues(f) / .map(f)
    f = node.func
    if not isinstance(f, ast.Attribute) or f.attr not in ("mapValues", "map") or len(node.args) != 1:
        return
    inner = f.value
    if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "groupByKey"):
        _through_a_name(node, f, ctx)
        return
    base = ctx.value(inner.func.value)
    if base is not None and base.kind != V.RDD:
        return
    fn = node.args[0]
    red = _reduction(fn, ctx) if f.attr == "mapValues" else _pair_reduction(fn, ctx)
    if red is None:
        return
    num_parts = ctx.segment(inner.args[0]) if inner.args else None
    if red == "avg":
        repl, safe = AVERAGE, False
        if num_parts:
            repl = repl.replace("lambda a, b: (a[0] + b[0], a[1] + b[1]))",
                                f"lambda a, b: (a[0] + b[0], a[1] + b[1]), {num_parts})", 1)
        what = "an average"
    else:
        template, safe = REDUCTIONS[red]
        add = ADD if not num_parts else f"{ADD}, {num_parts}"
        repl = template.format(add=add)
        if red in ("max", "min") and num_parts:
            repl = f"reduceByKey({red}, {num_parts})"
        what = f"`{red}`"
    if inner.keywords:
        return  # partitionFunc=...: leave it to the user
    line, col, _, _ = ctx.source.attr_span(inner.func)
    _, _, end_line, end_col = ctx.source.span(node)
    edit = Edit(line, col, end_line, end_col, repl)
    ctx.report(
        (line, col, end_line, end_col),
        f"`groupByKey()` then {what} per key shuffles every value: use `{ctx.short(inner.func.value)}.{repl}`",
        fix=ctx.fix(f"Replace groupByKey().{f.attr}(...) with {repl.split('(')[0]}", [edit], safe=safe),
    )
