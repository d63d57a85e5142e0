"""## What it does
Checks for actions that bring a whole DataFrame or RDD to the driver:
`collect()`, `toPandas()`, RDD `collectAsMap()`, and `take(n)` / `head(n)` /
`tail(n)` with a large literal `n` (10,000 rows or more), on data that is not
known to be small.

## Why is this bad?
The driver is one process with a fraction of the cluster's memory: collecting
a large dataset makes it run out of memory (or hit
`spark.driver.maxResultSize`) and turns a distributed job into a
single-threaded one.

Data that is provably small or already reduced is not reported: literal data,
`limit(n)`, a global aggregation (`df.agg(...)`, `df.select(F.max(...))`),
`groupBy(...).agg(...)`, `select(...).distinct()`, `sample(...)`, configuration
tables, and SQL with `GROUP BY`, `LIMIT` or aggregates.  Loops over collected
rows and collect-then-distribute round trips are reported by SPK103, and
emptiness tests such as `len(df.collect()) == 0` by SPK102.

## Example
```python
rows = events.collect()
n = len(events.collect())
first = events.orderBy("ts").collect()[0]
pdf = events.toPandas()
```

Use instead:
```python
events.write.parquet("s3://bucket/events/")  # or aggregate first
n = events.count()
first = events.orderBy("ts").first()
pdf = events.limit(10_000).toPandas()  # or events.pandas_api()
```

## Fix safety
The fixes are unsafe, though they give the same result on data that computes
without errors: `len(df.collect())` becomes `df.count()`, which may skip
computing columns (so an exception a UDF raised while collecting no longer
surfaces); `df.collect()[0]` becomes `df.first()`, which returns `None` on
empty data (an RDD's raises `ValueError`) where indexing raised `IndexError`;
and `df.collect()[:n]` becomes `df.take(n)`, which on unordered data may return
other rows than the first `n` of a full collect.
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...engine.dataflow import int_literal
from ...rules.base import python_rule
from .count_to_check_empty import collect_emptiness, emptiness
from .driver_round_trip import (assigned_name, bounded, classify_use, head_text, in_test_code, indirect_kind,
                                loop_reported, method, no_args, round_trip_of, short, shorten, spark_value, uses_after)

PULLS = {"collect", "toPandas", "take", "head", "tail", "collectAsMap"}
LARGE_N = 10_000
KINDS = {"toPandas": (V.DATAFRAME,), "collectAsMap": (V.RDD,)}


def _generic(name: str, recv: str, is_rdd: bool, n_text: str | None, n: int | None, base: str) -> str:
    r = base if len(base) <= 30 else ""  # long receivers: just the method
    if name == "collect":
        if is_rdd:
            return (f"`{recv}.collect()` pulls every element to the driver: reduce it in Spark first, "
                    f"or use `{r}.take(1000)` for a sample, `{r}.toLocalIterator()` to stream it, "
                    f"or `{r}.saveAsTextFile(...)` to save it")
        return (f"`{recv}.collect()` pulls every row to the driver: aggregate in Spark first, "
                f"or use `{r}.limit(1000).collect()` for a sample, `{r}.toLocalIterator()` to stream it, "
                f"or `{r}.write.parquet(...)` to save it")
    if name == "toPandas":
        return (f"`{recv}.toPandas()` loads every row into driver memory: aggregate or "
                f"`{r}.limit(10000)` first, or stay distributed with `{r}.pandas_api()`")
    if name == "collectAsMap":
        return (f"`{recv}.collectAsMap()` builds a dict of every pair on the driver: keep it "
                f"distributed (`.join(...)` against `{recv}`) or reduce it first (`{r}.reduceByKey(...)`)")
    save = f"`{r}.saveAsTextFile(...)`" if is_rdd else (
        f"`{r}.limit({n_text}).write.parquet(...)`" if name != "tail" else f"`{r}.write.parquet(...)`")
    look = f"`{r}.take(20)`" if is_rdd else f"`{r}.show(20)`"
    return (f"`{recv}.{name}({n_text})` pulls {n:,} rows to the driver: look at a few with {look}, "
            f"or save them with {save}")


def _returned_from_parameter(node: ast.Call, recv: ast.AST, ctx) -> bool:
    """``def to_list(df, c): return [r[0] for r in df.select(c).collect()]``."""
    root = recv
    while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if not isinstance(root, ast.Name):
        return False
    fn = ctx.enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    if fn is None:
        return False
    a = fn.args
    if root.id not in {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}:
        return False
    held = ctx.value(root)
    if held is None or held.kind not in V.DISTRIBUTED:
        return False  # def load(spark, path): return spark.read.parquet(path).collect() builds its own data
    stmt = ctx.statement(node)
    return isinstance(stmt, ast.Return) and ctx.enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) is fn


@python_rule("SPK101", "collect-to-driver", "warning", ast.Call)
def collect_to_driver(node, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute) or f.attr not in PULLS:
        return
    name = f.attr
    n = None
    if name in ("take", "head", "tail"):
        if len(node.args) != 1 or node.keywords:
            return
        n = int_literal(node.args[0])
        if n is None or n < LARGE_N:
            return
    elif not no_args(node):
        return
    recv = f.value
    v = spark_value(recv, ctx, name, KINDS.get(name, V.DISTRIBUTED), node)
    if v is None or in_test_code(node, ctx) or isinstance(ctx.statement(node), ast.Assert):
        return
    p0 = ctx.parent(node)
    # len(x.collect()), x.collect()[0], x.collect()[:n] have strictly cheaper forms (count, first,
    # take): worth saying even for grouped or driver-sized data, not for provably small data.
    strict_rewrite = name == "collect" and v.reduced and not v.small and (
        (isinstance(p0, ast.Subscript) and p0.value is node)
        or (isinstance(p0, ast.Call) and isinstance(p0.func, ast.Name) and p0.func.id == "len" and p0.args == [node]))
    if bounded(recv, v, ctx) and not strict_rewrite:
        return
    if _returned_from_parameter(node, recv, ctx):
        return  # a helper whose job is to collect its argument: the caller decides the size
    if name in ("collect", "toPandas") and (loop_reported(node, ctx) or round_trip_of(node, ctx) is not None):
        return  # SPK103
    if name == "collect" and collect_emptiness(node, ctx) is not None:
        return  # SPK102
    is_rdd = v.kind == V.RDD
    recv_text = short(recv, ctx)
    span = ctx.source.method_span(node)
    p = ctx.parent(node)

    if name == "collect":
        # len(df.collect()) -> df.count()
        if (isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "len" and p.args == [node]
                and not p.keywords and not ctx.is_bound("len")):
            new = head_text(node, ctx, "count()")
            ctx.report(span, f"`{short(p, ctx)}` pulls every row of `{recv_text}` to the driver to count them: "
                             f"use `{shorten(new)}`",
                       fix=ctx.fix(f"Replace with {shorten(new)}", [ctx.source.replace(p, new)], safe=False))
            return
        # df.collect()[0] -> df.first(); df.collect()[:n] -> df.take(n)
        if isinstance(p, ast.Subscript) and p.value is node and isinstance(p.ctx, ast.Load):
            sl = p.slice
            new = None
            if isinstance(sl, ast.Constant) and type(sl.value) is int and sl.value == 0:
                new, what = head_text(node, ctx, "first()"), "read the first one"
            elif (isinstance(sl, ast.Slice) and sl.step is None and sl.upper is not None
                  and (sl.lower is None or (isinstance(sl.lower, ast.Constant) and sl.lower.value == 0))
                  and int_literal(sl.upper) is not None and int_literal(sl.upper) > 0):
                new = head_text(node, ctx, f"take({ctx.segment(sl.upper)})")
                what = f"keep the first {ctx.segment(sl.upper)}"
            if new is not None:
                ctx.report(span, f"`{short(p, ctx)}` pulls every row of `{recv_text}` to the driver to {what}: "
                                 f"use `{shorten(new)}`",
                           fix=ctx.fix(f"Replace with {shorten(new)}", [ctx.source.replace(p, new)], safe=False))
                return

    n_text = ctx.segment(node.args[0]) if node.args else None
    # df.limit(1_000_000).collect(): suggest a smaller limit on df itself.
    base = short(recv.func.value, ctx) if method(recv) == "limit" else recv_text
    message = _generic(name, recv_text, is_rdd, n_text, n, base)
    target = assigned_name(node, ctx) if name in ("collect", "toPandas", "collectAsMap") else None
    if target is None:
        ctx.report(span, message)
        return

    # rows = df.collect(): how rows is used decides the advice (known once the whole file is read).
    seq, unit = ctx.seq, ctx.unit
    count_text = shorten(head_text(node, ctx, "count()"))
    empty_text = shorten(head_text(node, ctx, "isEmpty()"))

    def finish():
        uses = uses_after(target, seq, ctx)
        if name in ("collect", "toPandas") and indirect_kind(uses, ctx) is not None:
            return  # SPK103 reports it
        if uses and name == "collect" and all(classify_use(u.node, ctx) == "len" for u in uses):
            if all(emptiness(ctx.parent(u.node), ctx, True) is not None for u in uses):
                ctx.report(span, f"`{target} = {recv_text}.collect()` pulls every row to the driver only to test "
                                 f"`len({target})` for emptiness: use `{empty_text}`", unit=unit)
            else:
                ctx.report(span, f"`{target} = {recv_text}.collect()` pulls every row to the driver only for "
                                 f"`len({target})`: use `{count_text}`", unit=unit)
            return
        ctx.report(span, message, unit=unit)

    ctx.on_finish(finish)
