"""## What it does
Checks for a function shipped to the executors (passed to an RDD operation, to
`DataFrame.foreach`/`mapInPandas`, or wrapped as a UDF) that references the
SparkSession, the SparkContext, a DataFrame or an RDD.  For example
`rdd.map(lambda x: spark.sql(...))`, `df.rdd.map(lambda r: other_df.filter(...))`
or a UDF calling `spark.table(...)`.

## Why is this bad?
The session, the context, DataFrames and RDDs exist only on the driver.  Spark
pickles the function with everything it references, so the job fails before a
task runs ("It appears that you are attempting to reference SparkContext from a
broadcast variable, action, or transformation"), or, for a DataFrame, with a
serialization error.  Nested Spark operations are not possible: bring the data
together with a join, or collect a small lookup on the driver and broadcast it.

Functions run on the driver — given to `foreachBatch`, `DataFrame.transform`,
pandas' `map`/`apply` — are not reported.

## Example
```python
rates = spark.table("fx_rates")
converted = orders.rdd.map(lambda o: o.amount * rates.filter(rates.ccy == o.ccy).first().rate)
```

Use instead:
```python
converted = orders.join(rates, "ccy").select((F.col("amount") * F.col("rate")).alias("amount"))
```
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...rules.base import python_rule
from . import _closures as C

_QUICK = frozenset(C.SHIP_ARGS) | {"udf", "pandas_udf", "register"}
# DataFrame methods pandas frames do not have: a name only *called* df is Spark's if it uses one.
SPARK_DF_ATTRS = frozenset({
    "select", "selectExpr", "withColumn", "withColumns", "withColumnRenamed", "collect", "toPandas",
    "rdd", "crossJoin", "groupBy", "show", "toLocalIterator", "createOrReplaceTempView", "write",
    "cache", "persist", "dropDuplicates", "orderBy", "limit", "unionByName", "union", "printSchema",
    "schema", "alias", "toDF", "na", "dtypes", "distinct", "collectAsList", "isEmpty",
})
WHAT = {
    V.SESSION: "the SparkSession", V.CONTEXT: "the SparkContext", V.DATAFRAME: "a DataFrame", V.RDD: "an RDD",
}


@python_rule("SPK403", "closure-captures-spark", "error", ast.Call, ast.FunctionDef, ast.AsyncFunctionDef)
def closure_captures_spark(node, ctx) -> None:
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        if name not in _QUICK:
            return
    elif not node.decorator_list:
        return
    if not ctx.spark_aware:
        return
    for sh in C.shipped(node, ctx):
        _check(sh, ctx)


def _check(sh: C.Shipped, ctx) -> None:
    fn = sh.fn
    hits: dict[str, tuple] = {}  # name -> (node, kind, via)
    if fn is not None and "SPK403" not in getattr(fn, "_cl_reported", ()):
        m = C.self_of_closure(sh, ctx) if ctx.enclosing(sh.anchor, ast.ClassDef) is not None else None
        self_name = m[1] if m is not None else None
        scope = C.scope_of(sh, ctx)
        for c in C.captured(sh, ctx):
            v = c.value
            nodes = c.inner if c.via else c.nodes
            if C.is_spark_value(v) and _trusted(c.name, v, nodes):
                key = c.name if c.via is None else f"{c.via}->{c.name}"
                hits.setdefault(key, (C.first(c.nodes), v.kind, c.via, c.name, C.first(nodes)))
            elif c.via is None:
                for n in c.nodes:
                    p = C.cl_parent(n)
                    if not (isinstance(p, ast.Attribute) and p.value is n):
                        continue
                    key = f"{c.name}.{p.attr}"
                    kind = None
                    if C.is_bound_in(ctx, scope, key):
                        av = C.lookup_in(ctx, scope, key)
                        kind = av.kind if C.is_spark_value(av) else None
                    elif c.name == self_name and C.self_spark_attr(p):
                        kind = V.SESSION if p.attr in C.SELF_SESSION_ATTRS else V.CONTEXT
                    if kind is not None:
                        hits.setdefault(key, (p, kind, None, key, p))
        if hits:
            C.reported(fn, "SPK403")
    for a in sh.bound_args:  # partial(f, spark): pickled with the function
        v = ctx.value(a)
        if isinstance(a, (ast.Name, ast.Attribute)) and C.is_spark_value(v) and (
                not isinstance(a, ast.Name) or _trusted(a.id, v, [])):
            hits.setdefault(ctx.segment(a), (a, v.kind, None, ctx.segment(a), a))
    if not hits:
        return
    where = C.describe_site(sh, ctx)
    subject = C.subject(sh, ctx)
    for key, (at, kind, via, name, use) in hits.items():
        used = _usage(use, ctx)
        if via:
            head = f"`{via}`, called by {subject}, uses `{name}` ({WHAT[kind]}{used})"
        else:
            head = f"{subject} uses `{name}` ({WHAT[kind]}{used})"
        if kind in (V.SESSION, V.CONTEXT):
            tail = (f"it exists only on the driver, so the job fails when Spark pickles the function: read the "
                    f"data before {where} and join it, or collect a small lookup and broadcast it")
        else:
            tail = (f"DataFrames and RDDs cannot be used inside another Spark operation, so the job fails: join "
                    f"`{name}` instead, or collect it if small and broadcast it")
            if kind == V.RDD:
                tail = tail.replace("DataFrames and RDDs cannot", "RDDs cannot")
        ctx.report(C.report_at(sh, at, ctx), f"{head}: {tail}")


def _trusted(name: str, v: V.Value, nodes: list) -> bool:
    """A value known from real code, or a conventional name used the way only Spark objects are."""
    if v.node is not None:
        return True
    low = name.lower()
    if v.kind == V.DATAFRAME:
        if "pd" in low or "pandas" in low:
            return False
        return any(_spark_only_use(n) for n in nodes)
    return True  # spark, sc, rdd, *_rdd


def _spark_only_use(n: ast.Name) -> bool:
    """``df.select(...)``, ``df.rdd``, ``df.filter("x > 1")`` / ``df.filter(df.x == 1)``, ``df.first()``."""
    p = C.cl_parent(n)
    if not (isinstance(p, ast.Attribute) and p.value is n):
        return False
    if p.attr in SPARK_DF_ATTRS:
        return True
    call = C.cl_parent(p)
    if not (isinstance(call, ast.Call) and call.func is p):
        return False
    if p.attr == "first":
        return not call.args and not call.keywords  # pandas' first() needs an offset
    if p.attr == "filter" and len(call.args) == 1 and not call.keywords:
        a = call.args[0]  # pandas' filter takes items/like/regex, not a condition
        return isinstance(a, (ast.Compare, ast.BoolOp, ast.UnaryOp)) or (
            isinstance(a, ast.Constant) and isinstance(a.value, str) and any(c in a.value for c in "<>= "))
    return False


def _usage(node: ast.AST, ctx) -> str:
    """``: `spark.table("dim").first()``` — the user's own use of the object, shortened."""
    top = node
    while True:
        p = C.cl_parent(top) or ctx.parent(top)
        if isinstance(p, ast.Attribute) and p.value is top or isinstance(p, ast.Call) and p.func is top:
            top = p
            continue
        break
    if top is node:
        return ""
    return f", in `{C.short(ctx.segment(top), 40)}`"
