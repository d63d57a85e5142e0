"""## What it does
Checks for work done on a single partition: a `coalesce(1)` or `repartition(1)`
followed by further transformations (in the chain or through a variable), and a
window ordered without `partitionBy` (`Window.orderBy("ts")`, with or without a
frame such as `.rowsBetween(...)`), whose rows Spark all moves into one partition.

## Why is this bad?
One partition is one task on one core of one executor, however big the cluster:
everything after `repartition(1)` (and, since `coalesce` does not shuffle,
everything in the same stage as `coalesce(1)`) runs serially, and a large
partition spills to disk or runs out of memory.  A window without a partition
key is the same: Spark logs "No Partition Defined for Window operation! Moving
all data to a single partition".

Left alone: `coalesce(1)` / `repartition(1)` right before a write, `toPandas()`,
`collect()`, `show()`, a count or other actions (the usual way to write a single
file); windows applied to a DataFrame that is provably small (a literal, a
`limit`) or the result of an aggregation.

## Example
```python
out = df.coalesce(1).withColumn("day", F.to_date("ts"))
out.write.csv("out")
df.withColumn("prev", F.lag("v").over(Window.orderBy("ts")))
```

Use instead:
```python
out = df.withColumn("day", F.to_date("ts"))
out.coalesce(1).write.csv("out")
df.withColumn("prev", F.lag("v").over(Window.partitionBy("user").orderBy("ts")))
```

## Fix safety
No fix: where to put the single partition, and which key partitions the window,
are the author's choices.
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...rules.base import python_rule
from .repartition_before_shuffle import verdict as wasted_repartition
from .sort_before_shuffle import assigned_name, binding_loads, short

WINDOW_CLASS = {"pyspark.sql.window.Window", "pyspark.sql.Window", "pyspark.sql.connect.window.Window"}
SPEC_METHODS = {"orderBy", "partitionBy", "rowsBetween", "rangeBetween"}
# Operations that do no real work: passing through them, the single partition is still unused.
INERT = {"alias", "hint", "withColumnRenamed", "withColumnsRenamed", "toDF", "drop", "cache", "persist",
         "unpersist", "checkpoint", "localCheckpoint", "setName", "sortWithinPartitions"}
DF_WORK = {
    "select", "selectExpr", "filter", "where", "withColumn", "withColumns", "join", "crossJoin", "groupBy",
    "groupby", "rollup", "cube", "agg", "distinct", "dropDuplicates", "drop_duplicates", "orderBy", "sort",
    "union", "unionByName", "unionAll", "intersect", "intersectAll", "subtract", "exceptAll", "fillna",
    "dropna", "replace", "mapInPandas", "mapInArrow", "transform", "melt", "unpivot", "sample",
}
RDD_WORK = {
    "map", "flatMap", "filter", "mapValues", "flatMapValues", "reduceByKey", "groupByKey", "aggregateByKey",
    "foldByKey", "combineByKey", "sortBy", "sortByKey", "join", "leftOuterJoin", "rightOuterJoin",
    "fullOuterJoin", "cogroup", "distinct", "union", "cartesian", "groupBy", "keyBy", "subtract",
    "subtractByKey", "intersection", "zip", "sample",
}
# Unambiguous on an unknown receiver (not pandas / polars / dask method names).
SPARK_ONLY = {
    "withColumn", "withColumns", "selectExpr", "crossJoin", "groupBy", "rollup", "cube", "dropDuplicates",
    "orderBy", "unionByName", "unionAll", "exceptAll", "mapInPandas", "mapInArrow", "flatMap", "mapValues",
    "flatMapValues", "reduceByKey", "groupByKey", "aggregateByKey", "foldByKey", "combineByKey", "sortBy",
    "sortByKey", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "keyBy", "subtractByKey", "cartesian",
}
# Methods of a DataFrame taking column expressions (where a window is applied).
COLUMN_METHODS = {"withColumn", "withColumns", "select", "filter", "where", "orderBy", "sort", "agg"}


@python_rule("SPK203", "single-partition-bottleneck", "warning", ast.Call)
def single_partition_bottleneck(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    name = f.attr
    if name in ("coalesce", "repartition"):
        if _is_one(node):
            _one_partition(node, ctx)
    elif name == "over":
        if node.args:
            _window(node, ctx)
    elif name in SPEC_METHODS and isinstance(f.value, (ast.Name, ast.Attribute)):
        if ctx.qualname(f.value) in WINDOW_CLASS:
            node._spk203_unit = ctx.unit  # type: ignore[attr-defined]  # where a spec is defined


# ---------------------------------------------------------------------------------------------
# coalesce(1) / repartition(1)
# ---------------------------------------------------------------------------------------------
def _is_one(call: ast.Call) -> bool:
    if len(call.args) == 1 and not call.keywords:
        a = call.args[0]
    elif not call.args and len(call.keywords) == 1 and call.keywords[0].arg == "numPartitions":
        a = call.keywords[0].value
    else:
        return False
    return isinstance(a, ast.Constant) and type(a.value) is int and a.value == 1


def _work_after(ctx, expr: ast.AST, kind: str | None):
    """The first call doing real work on ``expr`` (through inert ones), ("bind", name, stmt), or None."""
    node = expr
    while True:
        p = ctx.parent(node)
        if isinstance(p, ast.Attribute) and p.value is node:
            call = ctx.parent(p)
            if not (isinstance(call, ast.Call) and call.func is p):
                return None  # .write, .rdd, .columns ...
            m = p.attr
            if m in INERT:
                node = call
                continue
            if kind == V.DATAFRAME and m in DF_WORK or kind == V.RDD and m in RDD_WORK or m in SPARK_ONLY:
                return call
            return None
        named = assigned_name(ctx, node)
        if named is not None:
            return ("bind",) + named
        return None


def _one_partition(node: ast.Call, ctx) -> None:
    if not ctx.spark_aware:
        return
    v = ctx.value(node.func.value)
    kind = v.kind if v is not None else None
    if kind is not None and kind not in V.DISTRIBUTED:
        return
    after = _work_after(ctx, node, kind)
    if after is None:
        return
    if isinstance(after, ast.Call):
        if _left_to_spk205(ctx, node, after):
            return
        _report(ctx, node, after, ctx.unit, None)
        return
    _, bound, stmt = after
    unit, seq = ctx.unit, ctx.seq

    def finish() -> None:
        loads = binding_loads(ctx, bound, seq, stmt)
        for ld in loads or ():
            work = _work_after(ctx, ld.node, kind)
            if isinstance(work, ast.Call):
                judged = getattr(ld.node, "_spk205", None)
                if node.func.attr == "repartition" and judged is not None and judged[1] is not None:
                    continue  # SPK205 reports this use
                _report(ctx, node, work, unit, (bound, ld.unit))
                return

    ctx.on_finish(finish)


def _left_to_spk205(ctx, node: ast.Call, after: ast.Call) -> bool:
    """``repartition(1).groupBy(...)``: SPK205 reports the wasted shuffle (with a fix)."""
    return node.func.attr == "repartition" and after.func.value is node and \
        wasted_repartition(ctx, node, after) is not None


def _report(ctx, node: ast.Call, work: ast.Call, unit, via) -> None:
    src = unit.source
    what = short(src.between(*src.method_span(node)), 30)
    wsrc = via[1].source if via else src
    w = short(wsrc.between(*wsrc.method_span(work)), 50)
    w = f"{via[0]}.{w}" if via else w
    if node.func.attr == "coalesce":
        how = (f"`{what}` runs the work of its stage in a single task, and `{w}` after it too; "
               f"do the work first and call `.coalesce(1)` just before the write")
    else:
        how = (f"`{what}` moves every row into one partition, so `{w}` after it runs in a single task; "
               f"do the work first and reduce to one partition just before the write (`.coalesce(1).write`)")
    ctx.report(src.method_span(node), how, unit=unit)


# ---------------------------------------------------------------------------------------------
# windows without partitionBy
# ---------------------------------------------------------------------------------------------
def _spec(ctx, expr: ast.AST, depth: int = 0):
    """(spec expression, root call, partitioned) for a WindowSpec expression; None when unknown."""
    node = expr
    partitioned = False
    while True:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SPEC_METHODS:
            if node.func.attr == "partitionBy" and (node.args or node.keywords):
                partitioned = True
            recv = node.func.value
            if isinstance(recv, (ast.Name, ast.Attribute)) and ctx.qualname(recv) in WINDOW_CLASS:
                return expr, node, partitioned
            node = recv
            continue
        if isinstance(node, ast.Name) and depth < 3:
            v = ctx.lookup(node.id)
            if v is None or v.kind != V.WINDOW or v.node is None:
                return None
            inner = _spec(ctx, v.node, depth + 1)
            if inner is None:
                return None
            spec, root, p = inner
            return spec, root, p or partitioned  # report where the spec is defined
        return None


def _applied_on(ctx, over: ast.Call):
    """The Value of the DataFrame whose method receives the windowed column, if we can see it."""
    child = over
    for p in ctx.ancestors(over):
        if isinstance(p, ast.stmt):
            return None
        if isinstance(p, ast.Call) and child is not p.func and isinstance(p.func, ast.Attribute) \
                and p.func.attr in COLUMN_METHODS:
            return ctx.value(p.func.value)
        child = p
    return None


def _window(over: ast.Call, ctx) -> None:
    spec_expr = over.args[0]
    if isinstance(spec_expr, ast.Name):
        v = ctx.lookup(spec_expr.id)
        if v is None or v.kind != V.WINDOW:
            return
    elif not isinstance(spec_expr, ast.Call):
        return
    found = _spec(ctx, spec_expr)
    if found is None:
        return
    spec, root, partitioned = found
    if partitioned or getattr(spec, "_spk203_done", False):
        return
    df = _applied_on(ctx, over)
    if df is not None and df.kind == V.DATAFRAME and (df.small or df.reduced):
        return
    unit = getattr(root, "_spk203_unit", None) or ctx.unit
    src = unit.source
    target = spec
    spec._spk203_done = True  # type: ignore[attr-defined]
    text = src.segment(target)
    recv = src.segment(root.func.value)
    rest = text[len(recv):] if text.startswith(recv) else "." + src.between(*src.method_span(root))
    if root.func.attr == "partitionBy":  # Window.partitionBy() with no keys
        rest = rest.replace("partitionBy()", "partitionBy(<key>)", 1)
        suggestion = f"{recv}{rest}"
    else:
        suggestion = f"{recv}.partitionBy(<key>){rest}"
    usrc = ctx.source
    used = short(usrc.segment(over.func.value), 30) + ".over(" + short(usrc.segment(spec_expr), 30) + ")"
    missing = "has no partition keys" if root.func.attr == "partitionBy" else "has no `partitionBy`"
    ctx.report(src.span(target),
               f"`{short(text, 50)}` {missing}: to compute `{used}` Spark moves every row into a "
               f"single partition; partition the window by a key: `{short(suggestion, 80)}`",
               unit=unit)
