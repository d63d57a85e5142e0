"""## What it does
Checks for a `map` over a partitioned pair RDD (the result of `partitionBy`,
`reduceByKey`, `groupByKey`, `join`, `sortByKey`, ...) that keeps every key as
it is and only changes the value: `map(lambda kv: (kv[0], f(kv[1])))`.

## Why is this bad?
Spark cannot see that the function keeps the key, so the result of `map` loses
the partitioner: the next `reduceByKey`, `groupByKey` or `lookup` on it, or a
`join` / `cogroup` with an RDD partitioned the same way, shuffles the data again
although every key is still in the right partition.  `mapValues` only sees the
value, so Spark keeps the partitioner and skips that shuffle.

Only reported when such an operation follows (in the chain or through a
variable).  Left alone: RDDs not known to be partitioned, a `map` that changes
the key or uses the key to compute the value, `map(..., preservesPartitioning=True)`,
and results that are only saved or collected.

## Example
```python
totals = pairs.reduceByKey(lambda a, b: a + b)
shares = totals.map(lambda kv: (kv[0], kv[1] / grand_total))
report = shares.join(totals)
```

Use instead:
```python
totals = pairs.reduceByKey(lambda a, b: a + b)
shares = totals.mapValues(lambda v: v / grand_total)
report = shares.join(totals)
```

## Fix safety
The fix is safe: `mapValues(lambda v: f(v))` gives the same pairs as
`map(lambda kv: (kv[0], f(kv[1])))`, and keeps the partitioner.
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...findings import Edit
from ...rules.base import python_rule
from .group_by_key import _pair_reduction
from .sort_before_shuffle import assigned_name, binding_loads, short

# Narrow RDD methods that keep the partitioner of their input (PySpark runs them with
# preservesPartitioning=True); the dataflow does not track all of them.
KEEPS_PARTITIONER = {"filter", "mapValues", "flatMapValues", "cache", "persist", "setName", "sample",
                     "localCheckpoint", "checkpoint", "unpersist"}
PARTITIONS = {"partitionBy", "reduceByKey", "groupByKey", "aggregateByKey", "foldByKey", "combineByKey",
              "sortByKey", "join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "cogroup", "groupWith"}
# Operations that skip their shuffle when the input already has the partitioner they need.
AWARE = {"join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "cogroup", "groupWith", "reduceByKey",
         "groupByKey", "aggregateByKey", "foldByKey", "combineByKey", "lookup", "subtractByKey", "partitionBy"}
AWARE_ARG = {"join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "cogroup", "groupWith"}
FRESH = ("v", "value", "val", "v_", "value_", "x", "v1")


def _partitioned(ctx, expr: ast.AST) -> bool:
    node = expr
    for _ in range(12):
        v = ctx.value(node)
        if v is not None:
            if v.kind != V.RDD:
                return False
            if v.partitioned:
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            m = node.func.attr
            if m in PARTITIONS and (v is not None or m != "join"):
                return True
            if m in KEEPS_PARTITIONER:
                node = node.func.value
                continue
        elif isinstance(node, ast.Name) and v is not None and isinstance(v.node, ast.Call):
            node = v.node  # how the name was made: ``noisy = joined.filter(...)``
            continue
        return False
    return False


def _other_partitioned(ctx, node: ast.AST, other: ast.AST) -> bool:
    """Is the other side of a join partitioned?  Judged when the join was walked, if ``node`` is a name."""
    judged = getattr(node, "_spk204_other", None)
    return judged if judged is not None else _partitioned(ctx, other)


def _judge_join(call: ast.Call, ctx) -> None:
    """``a.join(b)`` with a name on either side: remember now whether the other side is partitioned,
    for when the name's uses are checked at the end (with the names as they are here)."""
    a, b = call.func.value, call.args[0]
    if isinstance(a, ast.Name):
        a._spk204_other = _partitioned(ctx, b)  # type: ignore[attr-defined]
    if isinstance(b, ast.Name):
        b._spk204_other = _partitioned(ctx, a)  # type: ignore[attr-defined]


def _aware_use(ctx, expr: ast.AST):
    """The first operation after ``expr`` that would reuse its partitioner (through ones keeping it):
    the call, ("arg", call) when ``expr`` is its argument, ("bind", name, stmt) when it is assigned
    to a name, or None."""
    node = expr
    while True:
        p = ctx.parent(node)
        if isinstance(p, ast.Attribute) and p.value is node:
            call = ctx.parent(p)
            if not (isinstance(call, ast.Call) and call.func is p):
                return None
            if p.attr in KEEPS_PARTITIONER:
                node = call
                continue
            if p.attr in AWARE_ARG and not (call.args and _other_partitioned(ctx, node, call.args[0])):
                return None  # PySpark reuses the partitioner only when both sides have it
            return call if p.attr in AWARE else None
        if isinstance(p, ast.Call) and node in p.args and isinstance(p.func, ast.Attribute) and p.func.attr in AWARE_ARG:
            ok = p.args[0] is node and _other_partitioned(ctx, node, p.func.value)
            return ("arg", p) if ok else None
        named = assigned_name(ctx, node)
        if named is not None:
            return ("bind",) + named
        return None


def _index(node: ast.AST, p: str) -> int | None:
    """``p[0]`` -> 0, ``p[1]`` -> 1, anything else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == p \
            and isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.Constant) \
            and type(node.slice.value) is int and node.slice.value in (0, 1):
        return node.slice.value
    return None


def _value_uses(value: ast.AST, p: str) -> list[ast.Subscript] | None:
    """The ``p[1]`` nodes in ``value``; None if ``p`` is used any other way."""
    uses: list[ast.Subscript] = []
    inside: set[int] = set()
    for n in ast.walk(value):
        if isinstance(n, ast.Subscript) and _index(n, p) is not None:
            if _index(n, p) != 1:
                return None
            uses.append(n)
            inside.add(id(n.value))
        elif isinstance(n, ast.arg) and n.arg == p:
            return None  # shadowed in a nested lambda
    for n in ast.walk(value):
        if isinstance(n, ast.Name) and n.id == p and id(n) not in inside:
            return None
    return uses


@python_rule("SPK204", "map-drops-partitioner", "warning", ast.Call)
def map_drops_partitioner(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    if f.attr in AWARE_ARG:
        if node.args:
            _judge_join(node, ctx)
        return
    if f.attr != "map" or len(node.args) != 1 or node.keywords:
        return
    fn = node.args[0]
    if not isinstance(fn, ast.Lambda):
        return
    a = fn.args
    if len(a.args) != 1 or a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg or a.defaults:
        return
    body = fn.body
    if not (isinstance(body, ast.Tuple) and len(body.elts) == 2):
        return
    p = a.args[0].arg
    key, value = body.elts
    if _index(key, p) != 0 or isinstance(value, (ast.Starred, ast.NamedExpr)):
        return
    uses = _value_uses(value, p)
    if uses is None:
        return
    if not _partitioned(ctx, f.value):
        return
    r = f.value
    if isinstance(r, ast.Call) and isinstance(r.func, ast.Attribute) and r.func.attr == "groupByKey" \
            and _pair_reduction(fn, ctx) is not None:
        return  # groupByKey().map(lambda kv: (kv[0], sum(kv[1]))): SPK201 rewrites it to reduceByKey
    use = _aware_use(ctx, node)
    if use is None:
        return
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} | {
        n.arg for n in ast.walk(value) if isinstance(n, ast.arg)}
    fresh = next((c for c in FRESH if c not in names), None)
    if fresh is None:
        return
    src = ctx.source
    vl, vc, vel, vec = src.span(value)
    start, end = src.offset(vl, vc), src.offset(vel, vec)
    text = src.text[start:end]
    for u in sorted(uses, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        ul, uc, uel, uec = src.span(u)
        s, e = src.offset(ul, uc) - start, src.offset(uel, uec) - start
        text = text[:s] + fresh + text[e:]
    new = f"mapValues(lambda {fresh}: {text})"
    span = src.method_span(node)
    recv = short(ctx.segment(f.value), 30)
    fix = ctx.fix("Replace map(...) with mapValues(...)", [Edit(*span, new)])
    mapped = short(src.between(*span), 60)
    if isinstance(use, ast.Call) or use[0] == "arg":
        _report(ctx, span, mapped, recv, new, src, use, None, ctx.unit, fix)
        return
    _, bound, stmt = use
    unit, seq = ctx.unit, ctx.seq

    def finish() -> None:
        for ld in binding_loads(ctx, bound, seq, stmt) or ():
            later = _aware_use(ctx, ld.node)
            if later is not None and (isinstance(later, ast.Call) or later[0] == "arg"):
                _report(ctx, span, mapped, recv, new, ld.unit.source, later, bound, unit, fix)
                return

    ctx.on_finish(finish)


def _report(ctx, span, mapped, recv, new, usrc, use, bound, unit, fix) -> None:
    if isinstance(use, tuple):  # the mapped RDD is the argument: ``other.join(<mapped>)``
        call = use[1]
        u = f"{short(usrc.segment(call.func.value), 30)}.{call.func.attr}(...)"
    else:
        u = short(usrc.between(*usrc.method_span(use)), 50)
        if bound and isinstance(use.func.value, ast.Name) and use.func.value.id == bound:
            u = f"{bound}.{u}"
    call = use[1] if isinstance(use, tuple) else use
    cost = "scans every partition instead of one" if call.func.attr == "lookup" else "shuffles the data again"
    ctx.report(span, f"`{mapped}` keeps the key but drops the partitioner of `{recv}`, so `{u}` {cost}: "
                     f"use `{short(new, 70)}`, which keeps it", fix=fix, unit=unit)
