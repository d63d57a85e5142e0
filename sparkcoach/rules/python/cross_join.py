"""## What it does
Checks for cartesian products where neither side is known to be small.
These are DataFrame `crossJoin`, RDD `cartesian`, and a DataFrame `join` without a
join condition (including `how="cross"` without one).

## Why is this bad?
A cartesian product pairs every row of one side with every row of the other:
two inputs of a million rows make a trillion, and Spark runs it as a nested loop
over all partition pairs.  A missing join condition is often a bug (the keys were
forgotten); an intended product is only cheap when one side is small.

Cross joins with a provably small side (a literal `createDataFrame`, a small
`spark.range`, a `limit(n)`, a global aggregate), with an aggregated or
`distinct()` side (building a grid of all dates x stores), or with a side already
wrapped in `broadcast(...)` are not reported.

## Example
```python
pairs = customers.crossJoin(products)
matched = orders.join(customers)  # no join condition
```

Use instead:
```python
from pyspark.sql.functions import broadcast

pairs = customers.crossJoin(broadcast(products.select("product_id").distinct()))
matched = orders.join(customers, "customer_id")
```
"""

from __future__ import annotations

import ast
import re

from ...engine import values as V
from ...rules.base import python_rule

# Aggregate functions: a select of nothing but these returns one row.
_AGGREGATES = {
    "max", "min", "sum", "avg", "mean", "count", "countDistinct", "count_distinct", "approx_count_distinct",
    "approxCountDistinct", "first", "last", "collect_list", "collect_set", "stddev", "stddev_pop",
    "stddev_samp", "variance", "var_pop", "var_samp", "sumDistinct", "sum_distinct", "percentile_approx",
    "median", "mode", "max_by", "min_by", "any_value", "count_if", "bool_and", "bool_or", "every", "some",
    "product", "kurtosis", "skewness", "corr", "covar_pop", "covar_samp", "percentile", "array_agg",
}
_AGG_SQL = re.compile(r"^\s*(" + "|".join(sorted(_AGGREGATES)) + r")\s*\((?:[^()]|\([^()]*\))*\)\s*(?:(?:as\s+)?`?\w+`?)?\s*$", re.I)
_COLUMN_WRAPPERS = {"alias", "name", "cast", "astype"}
# DataFrame methods that never add rows.
_KEEP_ROWS = {
    "select", "selectExpr", "withColumn", "withColumns", "withColumnRenamed", "withColumnsRenamed", "drop",
    "alias", "cache", "persist", "filter", "where", "limit", "hint", "toDF", "distinct", "dropDuplicates",
}


def _short(text: str, limit: int = 40) -> str:
    text = re.sub(r"\s+\.", ".", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hinted(expr: ast.AST | None, ctx, depth: int = 0) -> bool:
    """``broadcast(x)``, ``F.broadcast(x)`` or ``x.hint("broadcast")`` anywhere down the chain that made expr."""
    while expr is not None and depth < 8:
        if isinstance(expr, ast.Call):
            q = ctx.qualname(expr.func) or ""
            if q.endswith("functions.broadcast"):
                return True
            f = expr.func
            if isinstance(f, ast.Attribute):
                if f.attr == "hint" and expr.args and isinstance(expr.args[0], ast.Constant) and \
                        str(expr.args[0].value).lower() in ("broadcast", "broadcastjoin", "mapjoin"):
                    return True
                expr = f.value
                continue
            return False
        if isinstance(expr, ast.Name):
            v = ctx.lookup(expr.id)
            if v is None or v.node is None or v.node is expr:
                return False
            expr = v.node
            depth += 1
            continue
        return False
    return False


def _aggregate_column(node: ast.AST, ctx) -> bool:
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _COLUMN_WRAPPERS:
        node = node.func.value
    if not isinstance(node, ast.Call):
        return False
    q = ctx.qualname(node.func) or ""
    return q.startswith("pyspark.sql.") and ".functions." in q and q.rsplit(".", 1)[-1] in _AGGREGATES


def _one_row(expr: ast.AST | None, ctx, depth: int = 0) -> bool:
    """``df.select(F.max("d").alias("m"))`` (only aggregates: a global aggregation), through names and row-keeping methods."""
    while expr is not None and depth < 8:
        if isinstance(expr, ast.Name):
            v = ctx.lookup(expr.id)
            if v is None or v.node is None or v.node is expr:
                return False
            expr, depth = v.node, depth + 1
            continue
        if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
            return False
        attr = expr.func.attr
        if attr == "select" and expr.args and not expr.keywords and all(_aggregate_column(a, ctx) for a in expr.args):
            return True
        if attr == "selectExpr" and expr.args and all(
                isinstance(a, ast.Constant) and isinstance(a.value, str) and _AGG_SQL.match(a.value) for a in expr.args):
            return True
        if attr not in _KEEP_ROWS:
            return False
        expr = expr.func.value
    return False


def _smallish(v, expr, ctx) -> bool:
    # A DataFrame aggregate or distinct is the usual small grid side ("all dates x stores");
    # an RDD's per-key results are not known to be small.
    return v is not None and (v.small or (v.reduced and v.kind == V.DATAFRAME)) or _one_row(expr, ctx)


def _mixes_frames(ctx) -> bool:
    """The module imports another DataFrame library: a DataFrame known only by its name may be one of those."""
    return any(q.split(".", 1)[0] in ("pandas", "polars", "dask", "modin", "ibis", "snowflake")
               or q.startswith(("pyspark.pandas", "databricks.koalas")) for q in ctx.state.imports.values())


def _concrete(expr: ast.AST, ctx) -> bool:
    """The chain that made expr starts from a Spark session, context or reader (not just a ``df`` name)."""
    for _ in range(24):
        v = ctx.value(expr)
        if v is not None and v.kind in (V.SESSION, V.CONTEXT, V.READER):
            return True
        if isinstance(expr, ast.Name):
            if v is None or v.node is None or v.node is expr:
                return False
            if isinstance(v.node, (ast.Name, ast.Attribute, ast.Constant)):
                return v.kind == V.DATAFRAME  # an annotation: `df: DataFrame` from pyspark
            expr = v.node
        elif isinstance(expr, ast.Call):
            f = expr.func
            if isinstance(f, ast.Attribute):
                expr = f.value
            elif (ctx.qualname(f) or "").endswith("functions.broadcast") and expr.args:
                expr = expr.args[0]
            else:
                return False
        elif isinstance(expr, ast.Attribute):
            expr = expr.value
        else:
            return False
    return False


def _spark_join(recv: ast.AST, other: ast.AST, lv, rv, ctx) -> bool:
    """Both sides may be Spark DataFrames, and one is known to be (by its provenance, in code mixing pandas/polars)."""
    if any(v is not None and v.kind != V.DATAFRAME for v in (lv, rv)):
        return False
    if lv is None:
        return rv is not None and _concrete(other, ctx)
    if not _mixes_frames(ctx):
        return True
    return _concrete(recv, ctx) or (rv is not None and _concrete(other, ctx))


def _missing(node: ast.AST | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


@python_rule("SPK302", "cross-join", "warning", ast.Call)
def cross_join(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    name = f.attr
    if name not in ("crossJoin", "cartesian", "join"):
        return
    if not node.args or any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return
    if not ctx.spark_aware:
        return
    recv, other = f.value, node.args[0]
    if name == "join":
        on = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "on"), None)
        if not _missing(on):
            return
    lv, rv = ctx.value(recv), ctx.value(other)
    if name == "crossJoin":
        if any(v is not None and v.kind != V.DATAFRAME for v in (lv, rv)):
            return
    elif name == "cartesian":
        if any(v is not None and v.kind != V.RDD for v in (lv, rv)):
            return
    else:  # join without a condition: a DataFrame join?
        if not _spark_join(recv, other, lv, rv, ctx):
            return
    if _smallish(lv, recv, ctx) or _smallish(rv, other, ctx) or _hinted(recv, ctx) or _hinted(other, ctx):
        return
    left, right = _short(ctx.segment(recv)), _short(ctx.segment(other))
    if name == "crossJoin":
        msg = (f"`{left}.crossJoin({right})` pairs every row of `{left}` with every row of `{right}` "
               f"(a cartesian product, neither side known to be small); join on a key, or if `{right}` is "
               f"small make it explicit with `broadcast({right})`")
    elif name == "cartesian":
        msg = (f"`{left}.cartesian({right})` pairs every element of `{left}` with every element of "
               f"`{right}` across all partition pairs; join on a key (`{left}.join({right})` on pair RDDs), "
               f"or if `{right}` is small, broadcast it and expand with `{left}.flatMap(...)`")
    else:
        how = node.args[2] if len(node.args) > 2 else next((k.value for k in node.keywords if k.arg == "how"), None)
        if isinstance(how, ast.Constant) and str(how.value).lower() == "cross":
            msg = (f"`{left}.join({right}, how=\"cross\")` pairs every row of `{left}` with every row of "
                   f"`{right}` (a cartesian product, neither side known to be small); join on a key, or if "
                   f"`{right}` is small make it explicit with `broadcast({right})`")
        else:
            msg = (f"`{left}.join({right})` has no join condition, so it pairs every row of `{left}` with every "
                   f"row of `{right}` (a cartesian product); pass the join keys: `{left}.join({right}, on=...)`")
    ctx.report(ctx.source.method_span(node), msg)
