"""## What it does
Checks for data that makes a round trip through the driver: a `for` loop over
`df.collect()` (or `df.toPandas().iterrows()`) that does work for every row,
and distributed data collected only to be distributed again
(`sc.parallelize(df.collect())`, `spark.createDataFrame(df.collect())`,
`spark.createDataFrame(df.toPandas())`).

## Why is this bad?
Every row travels from the executors to the single driver process, is handled
there one at a time, and (for the round trips) is serialized and shipped back
out again: the driver's memory caps the data size and the work loses all of
Spark's parallelism.  A per-row loop that runs Spark queries or writes to an
external system is usually a `join`, a `groupBy` or a `foreachPartition` in
disguise.

Loops over data that is provably small or already reduced (a `limit`, a global
aggregation, `groupBy(...).count()`, `select(...).distinct()`, a configuration
table) are normal driver code and are not reported; nor is
`df.toLocalIterator()`, which streams rows one partition at a time.

## Example
```python
for row in orders.collect():
    spark.sql(f"DELETE FROM stock WHERE sku = '{row.sku}'")

rdd = sc.parallelize(df.collect())
copy = spark.createDataFrame(df.toPandas())
```

Use instead:
```python
stock.join(orders, "sku", "left_anti").write.saveAsTable("stock_new")

rdd = df.rdd
copy = df
```

## Fix safety
The round trips are rewritten to keep the data in Spark (`df.rdd`, `df`,
`rdd`, `spark.createDataFrame(rdd)`).  The fix is unsafe: the result holds the
same rows but is partitioned differently, and going through pandas or a Python
list can change column types (integers with nulls become doubles) that the
rewrite keeps.  Loops are not fixed automatically.
"""

from __future__ import annotations

import ast
import re

from ...engine import values as V
from ...engine.dataflow import int_literal, literal_length
from ...rules.base import python_rule

# ---------------------------------------------------------------------------------------------
# Helpers shared with SPK101 (collect-to-driver) and SPK102 (count-to-check-empty).

SMALL_ROWS = 10_000
ITER_WRAPPERS = ("enumerate", "list", "iter", "tuple", "sorted", "reversed")
PANDAS_ROWS = ("iterrows", "itertuples")
GROWS = {
    "join", "crossJoin", "union", "unionAll", "unionByName", "flatMap", "cartesian", "lateralJoin",
    "flatMapValues", "melt", "unpivot", "mapInPandas", "mapInArrow", "leftOuterJoin", "rightOuterJoin",
    "fullOuterJoin", "cogroup", "groupWith",
}
# Like ``groupBy(...).agg(...)``: one row per key, usually small ("reduced").
REDUCING = {"reduceByKey", "aggregateByKey", "foldByKey", "combineByKey", "distinct", "dropDuplicates",
            "drop_duplicates"}
AGG_FUNCS = {
    "count", "countDistinct", "count_distinct", "approx_count_distinct", "approxCountDistinct", "sum",
    "sumDistinct", "sum_distinct", "avg", "mean", "max", "min", "max_by", "min_by", "first", "last",
    "stddev", "stddev_pop", "stddev_samp", "std", "variance", "var_pop", "var_samp", "skewness", "kurtosis",
    "corr", "covar_pop", "covar_samp", "percentile_approx", "approx_percentile", "percentile", "median",
    "mode", "any_value", "bool_and", "bool_or", "every", "some", "count_if", "product", "first_value",
    "last_value", "count_min_sketch", "hll_sketch_agg",
}
_SQL_AGG = re.compile(
    r"\b(count|sum|avg|mean|max|min|approx_count_distinct|percentile_approx|percentile|median|stddev\w*|"
    r"variance|var_pop|var_samp|first|last|any_value|bool_and|bool_or|count_if|max_by|min_by)\s*\(")
_SQL_WINDOW = re.compile(r"\bover\s*(\(|\w)")
_SQL_COMMANDS = re.compile(
    r"\s*(show|describe|desc|explain|set|reset|use|create|insert|drop|alter|refresh|msck|cache|uncache|clear|"
    r"truncate|merge|delete|update|analyze|add|list|grant|revoke|optimize|vacuum|comment)\b")
# Names of tables that are small by nature: job configuration and metadata.
_CONFIG_NAME = re.compile(r"(config|cfg|conf_|_conf\b|^conf\b|param|metadata|manifest|(^|[_./])(etl_|job_)?control"
                          r"(_table|_df|$)|ctrl_table|settings|watermark)")
# Methods that pandas/polars frames share with Spark ones: a receiver known only by its
# name (``df``) is not trusted for them when the file imports these libraries.
FOREIGN_METHODS = {
    "collect": ("polars",),
    "toPandas": (),
    "count": ("pandas", "polars", "modin", "dask"),
    "head": ("pandas", "polars", "modin", "dask"),
    "take": ("pandas", "polars", "modin", "dask"),
    "tail": ("pandas", "polars", "modin", "dask"),
}
_FOREIGN_ANNOTATION = re.compile(r"\b(pd|pl|pandas|polars|dd|dask|modin|np|numpy|pa|pyarrow|ibis|vaex|cudf)\b")


def method(node: ast.AST) -> str | None:
    """``x.name(...)`` -> "name"."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def no_args(call: ast.Call) -> bool:
    return not call.args and not call.keywords


def shorten(text: str, limit: int = 48) -> str:
    """The user's code for a message: whitespace collapsed, long text cut in the middle."""
    text = " ".join(text.split())
    text = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", re.sub(r"\s+\.", ".", text)))
    if len(text) <= limit:
        return text
    return text[: limit - 12] + "…" + text[-11:]


def short(node: ast.AST, ctx) -> str:
    return shorten(ctx.segment(node))


def expr_text(node: ast.AST, ctx) -> str:
    """The user's text of an expression, parenthesized if it could not stand in a new place as is."""
    text = ctx.segment(node)
    if "\n" in text or not isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        return f"({text})"
    return text


def head_text(call: ast.Call, ctx, new_method: str) -> str:
    """``recv.method(...)`` as written up to the method name, then ``new_method``; multi-line text in parens."""
    line, col, _, _ = ctx.source.span(call)
    mline, mcol, _, _ = ctx.source.method_span(call)
    text = ctx.source.between(line, col, mline, mcol) + new_method
    return f"({text})" if "\n" in text else text


def in_test_code(node: ast.AST, ctx) -> bool:
    """Inside a test function (``def test_...``): collecting and counting small data is how tests check."""
    for p in ctx.ancestors(node):
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) and p.name.startswith("test"):
            return True
    return False


def _imports(ctx) -> dict:
    state = getattr(ctx, "state", None)
    return getattr(state, "imports", {}) or {}


def foreign_frames(ctx, libs: tuple) -> bool:
    return any(str(q).split(".", 1)[0] in libs for q in _imports(ctx).values())


def _param_annotation(name: str, node: ast.AST, ctx):
    """(found, annotation) for the nearest enclosing function having a parameter ``name``."""
    for p in ctx.ancestors(node):
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = p.args
            for arg in a.posonlyargs + a.args + a.kwonlyargs:
                if arg.arg == name:
                    return True, arg.annotation
    return False, None


def spark_value(expr: ast.AST, ctx, method_name: str | None = None, kinds=V.DISTRIBUTED,
                anchor: ast.AST | None = None) -> V.Value | None:
    """The value of ``expr`` if it is known to be a Spark DataFrame/RDD, else None.

    Works around two gaps of the name hints: a parameter annotated with a pandas or
    polars type, and ``df`` names in files that also use pandas/polars frames.
    ``anchor``: a node already visited (has parents) when ``expr`` is not yet.
    """
    v = ctx.value(expr)
    if v is None or v.kind not in kinds:
        return None
    from_param = v.node is None or isinstance(ctx.parent(v.node), ast.arg)
    if from_param:
        name = expr.id if isinstance(expr, ast.Name) else None
        ann = v.node if v.node is not None else None
        if ann is None and name:
            _, ann = _param_annotation(name, anchor or expr, ctx)
        if ann is not None:
            text = ctx.qualname(ann) or ctx.segment(ann)
            if "pyspark" not in text and _FOREIGN_ANNOTATION.search(text):
                return None
        elif v.node is None and method_name in FOREIGN_METHODS and foreign_frames(ctx, FOREIGN_METHODS[method_name]):
            return None
    return v


def chain(expr: ast.AST, ctx, limit: int = 40) -> list[ast.AST]:
    """The method calls and attributes making ``expr``, outermost first, following names to their binding."""
    out: list[ast.AST] = []
    seen: set[int] = set()
    node = expr
    for _ in range(limit):
        if isinstance(node, ast.Call):
            out.append(node)
            if not isinstance(node.func, ast.Attribute):
                break
            node = node.func.value
        elif isinstance(node, ast.Attribute):
            out.append(node)
            node = node.value
        elif isinstance(node, ast.Name):
            out.append(node)
            v = ctx.lookup(node.id)
            if v is None or v.node is None or id(v.node) in seen or isinstance(ctx.parent(v.node), ast.arg):
                break
            seen.add(id(v.node))
            node = v.node
        else:
            break
    return out


def _str_arg(call: ast.Call) -> str | None:
    """The text of a literal first argument (f-string placeholders replaced by ``x``)."""
    a = call.args[0] if call.args else None
    if a is None:
        for k in call.keywords:
            if k.arg in ("sqlQuery", "query", "path", "tableName", "name"):
                a = k.value
    if isinstance(a, ast.Constant) and isinstance(a.value, str):
        return a.value
    if isinstance(a, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in a.values)
    return None


# A filter on one value of an identifier column: the rows of one entity.
KEY_LOOKUP_SQL = re.compile(r"\bwhere\b(?:(?!\bor\b).)*?(?<![\w.])(?:[\w.]*[._])?(?:id|key|uuid)\s*=\s*(?:''|\d+\b|x\b)", re.S)


def sql_is_bounded(sql: str) -> bool:
    """SQL whose result is small or reduced: commands, LIMIT, GROUP BY, DISTINCT, global aggregates."""
    text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S).lower()
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)
    if _SQL_COMMANDS.match(text):
        return True
    if re.search(r"\blimit\s+\d+|\bgroup\s+by\b|\bselect\s+distinct\b|\bcube\b|\brollup\b", text):
        return True
    if KEY_LOOKUP_SQL.search(text):
        return True  # WHERE order_id = '...': one entity's rows
    return bool(_SQL_AGG.search(text)) and not _SQL_WINDOW.search(text)


def _has_agg(node: ast.AST, ctx) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            q = ctx.qualname(n.func) or ""
            if q.startswith("pyspark.sql.") and q.rsplit(".", 1)[-1] in AGG_FUNCS:
                return True
            if q.startswith("pyspark.sql.") and q.endswith(".expr") and n.args:
                s = n.args[0]
                if isinstance(s, ast.Constant) and isinstance(s.value, str) and _SQL_AGG.search(s.value.lower()):
                    return True
    return False


def global_agg_select(call: ast.Call, ctx) -> bool:
    """``df.select(F.max("x"))`` / ``df.selectExpr("count(*)")``: one row."""
    if not call.args or call.keywords:
        return False
    for a in call.args:
        if any(isinstance(n, ast.Attribute) and n.attr == "over" for n in ast.walk(a)):
            return False
        if method(call) == "selectExpr":
            if not (isinstance(a, ast.Constant) and isinstance(a.value, str)):
                return False
            s = a.value.lower()
            if not _SQL_AGG.search(s) or _SQL_WINDOW.search(s):
                return False
        elif not _has_agg(a, ctx):
            return False
    return True


def _sample_fraction(call: ast.Call) -> float | None:
    """The literal fraction of ``sample(0.1)`` / ``sample(False, 0.1)`` / ``sample(fraction=0.1)``."""
    cands = [k.value for k in call.keywords if k.arg == "fraction"] or [
        a for a in call.args if isinstance(a, ast.Constant) and type(a.value) in (int, float)][:1]
    if cands and isinstance(cands[0], ast.Constant) and type(cands[0].value) in (int, float):
        return float(cands[0].value)
    return None


def _config_named(node: ast.AST) -> bool:
    name = None
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    return bool(name and _CONFIG_NAME.search(name.lower()))


def bounded(expr: ast.AST, v: V.Value, ctx) -> bool:
    """Data that is small, reduced, bounded by the code (limit, sample, global aggregate), a config
    table, or was built from driver data in the first place: collecting it is normal."""
    if v.small or v.reduced:
        return True
    for node in chain(expr, ctx):
        if _config_named(node):
            return True
        name = method(node)
        if name is None:
            continue
        if name in GROWS:
            return False
        if name == "limit":
            n = int_literal(node.args[0]) if node.args else None
            return n is None or n <= SMALL_ROWS
        if name in ("sample", "sampleBy"):
            frac = _sample_fraction(node)
            if frac is None or frac <= 0.1:
                return True
            continue
        if name in ("describe", "summary"):
            return True
        if name in REDUCING:
            return True
        if name in ("select", "selectExpr") and global_agg_select(node, ctx):
            return True
        base = ctx.value(node.func.value)
        bkind = base.kind if base is not None else None
        if bkind == V.SESSION:
            if name == "sql":
                text = _str_arg(node)
                return text is None or sql_is_bounded(text)
            if name in ("table", "read_table"):
                text = _str_arg(node)
                return bool(text and _CONFIG_NAME.search(text.lower()))
            if name == "createDataFrame":
                data = node.args[0] if node.args else None
                for k in node.keywords:
                    if k.arg == "data":
                        data = k.value
                dv = ctx.value(data) if data is not None else None
                return dv is None or dv.kind != V.RDD  # the rows came from the driver
            return False
        if bkind == V.CONTEXT:
            if name == "parallelize":
                data = node.args[0] if node.args else None
                big = data is not None and (literal_length(data) or 0) > SMALL_ROWS
                return not big and not (isinstance(data, ast.Call) and isinstance(data.func, ast.Name)
                                        and data.func.id in ("range", "xrange"))
            if name in ("textFile", "wholeTextFiles"):
                text = _str_arg(node)
                return bool(text and _CONFIG_NAME.search(text.lower()))
            return False
        if bkind == V.READER:
            # the path, table or ``option("dbtable", ...)`` anywhere along the reader chain
            texts = [_str_arg(node)] + [a.value for c in chain(node.func.value, ctx) if isinstance(c, ast.Call)
                                        for a in c.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            return any(t and _CONFIG_NAME.search(t.lower()) for t in texts)
    # A DataFrame made from driver rows whose making we could not follow (``df = df.f(...)``).
    return v.unsized and v.kind == V.DATAFRAME


# --- how pulled data is used ------------------------------------------------------------------

def has_work(loop: ast.For) -> bool:
    for stmt in loop.body:
        if isinstance(stmt, (ast.Pass, ast.Continue, ast.Break)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        return True
    return False


def unwrap_iter(expr: ast.AST, ctx) -> ast.AST:
    """What a ``for`` really iterates: ``enumerate(df.collect())`` -> the collect call;
    ``df.toPandas().iterrows()`` -> the toPandas call; ``pdf.iterrows()`` -> ``pdf``."""
    e = expr
    while (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in ITER_WRAPPERS
           and e.args and not ctx.is_bound(e.func.id)):
        e = e.args[0]
    if method(e) in PANDAS_ROWS:
        return e.func.value  # type: ignore[union-attr]
    return e


def loop_of(pull: ast.AST, ctx) -> ast.For | None:
    """The ``for`` statement iterating ``pull`` (directly or through enumerate/iterrows) with work per row."""
    node = pull
    p = ctx.parent(node)
    if isinstance(p, ast.Attribute) and p.attr in PANDAS_ROWS:
        node = ctx.parent(p)
        p = ctx.parent(node)
    while isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id in ITER_WRAPPERS and p.args \
            and p.args[0] is node:
        node = p
        p = ctx.parent(node)
    if isinstance(p, (ast.For, ast.AsyncFor)) and p.iter is node and unwrap_iter(p.iter, ctx) is pull \
            and has_work(p):
        return p
    return None


def round_trip_of(pull: ast.Call, ctx) -> ast.Call | None:
    """``sc.parallelize(<pull>)`` / ``spark.createDataFrame(<pull>)`` taking ``pull`` as its data."""
    p = ctx.parent(pull)
    if not isinstance(p, ast.Call) or not isinstance(p.func, ast.Attribute):
        return None
    name = p.func.attr
    if name not in ("createDataFrame", "parallelize"):
        return None
    data = p.args[0] if p.args else next((k.value for k in p.keywords if k.arg in ("data", "c")), None)
    if data is not pull:
        return None
    if name == "parallelize" and method(pull) != "collect":
        return None
    base = ctx.value(p.func.value)
    want = V.SESSION if name == "createDataFrame" else V.CONTEXT
    if base is None or base.kind != want:
        return None
    return p


def pulled(call: ast.AST, ctx, anchor: ast.AST | None = None) -> tuple[ast.AST, V.Value] | None:
    """``X.collect()`` / ``X.toPandas()`` on a known Spark X: (X, value of X)."""
    name = method(call)
    if name not in ("collect", "toPandas") or not no_args(call):  # type: ignore[arg-type]
        return None
    recv = call.func.value  # type: ignore[union-attr]
    kinds = (V.DATAFRAME,) if name == "toPandas" else V.DISTRIBUTED
    v = spark_value(recv, ctx, name, kinds, anchor or call)
    return (recv, v) if v is not None else None


def assigned_name(call: ast.AST, ctx) -> str | None:
    """``rows = <call>`` (a single plain name target): "rows"."""
    p = ctx.parent(call)
    if isinstance(p, ast.Assign) and p.value is call and len(p.targets) == 1 and isinstance(p.targets[0], ast.Name):
        return p.targets[0].id
    if isinstance(p, ast.AnnAssign) and p.value is call and isinstance(p.target, ast.Name):
        return p.target.id
    return None


def uses_after(name: str, seq: int, ctx) -> list:
    """Loads of ``name`` after the binding made at ``seq`` and before it is bound again (call at finish)."""
    binds = ctx.rebinds_after(name, seq)
    end = binds[1] if len(binds) > 1 else None
    return [l for l in ctx.loads_after(name, seq) if end is None or l.seq < end]


def classify_use(load_node: ast.Name, ctx) -> str:
    """How a name holding collected rows is used: "loop", "round-trip", "len", "other"."""
    if loop_of(load_node, ctx) is not None:
        return "loop"
    p = ctx.parent(load_node)
    if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "len" and p.args == [load_node]:
        return "len"
    if isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute) and p.func.attr in ("createDataFrame", "parallelize"):
        data = p.args[0] if p.args else None
        base = ctx.value(p.func.value)
        if data is load_node and base is not None and base.kind in (V.SESSION, V.CONTEXT):
            return "round-trip"
    return "other"


def indirect_kind(uses: list, ctx) -> str | None:
    """SPK103's reading of a collected name's uses: "loop" or "round-trip", or None."""
    if not uses:
        return None
    kinds = [classify_use(u.node, ctx) for u in uses]
    if all(k == "loop" for k in kinds):
        return "loop"
    if kinds == ["round-trip"]:
        return "round-trip"
    return None


def loop_reported(pull: ast.AST, ctx) -> bool:
    """SPK103 reports the loop over this pull (SPK101 then stays silent on it)."""
    return loop_of(pull, ctx) is not None


# ---------------------------------------------------------------------------------------------
# SPK103 itself.

_IO_METHODS = {
    "execute", "executemany", "post", "put", "patch", "send", "sendall", "send_message", "publish", "produce",
    "insert", "insert_one", "insert_many", "upsert", "upload", "upload_file", "upload_fileobj", "put_object",
    "put_item", "write", "writerow", "writerows", "request", "urlopen", "commit", "delete", "delete_one",
    "update_one", "replace_one", "hset", "set", "lpush", "rpush", "index", "bulk", "save", "to_csv",
    "to_parquet", "to_json", "send_email", "sendmail", "invoke",
}
_IO_NAME = re.compile(r"(send|post|put|upload|publish|notify|insert|upsert|write|save|push|emit|produce|email|mail|"
                      r"call_api|request|sync|export|store)(_|$|[A-Z])")
_ACCUMULATE = {"append", "extend", "add", "update", "setdefault", "appendleft"}


def _body_kind(loop: ast.For, ctx) -> str:
    spark = io = acc = False
    calls = []
    for stmt in loop.body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Call):
                calls.append(n)
                if isinstance(n.func, ast.Attribute):
                    m = n.func.attr
                    base = ctx.value(n.func.value)
                    if base is not None and base.kind in (V.SESSION, V.READER, V.WRITER, V.DATAFRAME, V.RDD,
                                                          V.CONTEXT, V.GROUPED):
                        spark = True
                    elif m in ("sql", "table", "read", "saveAsTable", "insertInto") or m.startswith("write"):
                        spark = spark or m in ("sql", "saveAsTable", "insertInto")
                        io = io or m.startswith("write")
                    elif m in _IO_METHODS or _IO_NAME.match(m):
                        io = True
                    elif m in _ACCUMULATE:
                        acc = True
                elif isinstance(n.func, ast.Name) and _IO_NAME.match(n.func.id):
                    io = True
            elif isinstance(n, ast.Attribute) and n.attr in ("read", "write") and isinstance(n.ctx, ast.Load):
                base = ctx.value(n.value)
                if base is not None and base.kind in (V.SESSION, V.DATAFRAME):
                    spark = True
            elif isinstance(n, (ast.AugAssign,)):
                acc = True
            elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store):
                acc = True
    if spark:
        return "spark"
    if io:
        return "io"
    if acc:
        return "accumulate"
    if calls and all(isinstance(c.func, ast.Name) and c.func.id in ("print", "display") for c in calls):
        return "print"
    return "other"


def _loop_message(loop: ast.For, head: str, recv_text: str, is_rdd: bool, ctx) -> str:
    body = _body_kind(loop, ctx)
    r = recv_text if len(recv_text) <= 30 else ""  # long receivers: just the method
    if body == "spark":
        return (f"{head}; the loop runs Spark work once per row: express it as one job over `{recv_text}` "
                f"(a `join` or `groupBy` instead of per-row queries)")
    if body == "io":
        return (f"{head}; the loop sends it row by row: do that on the executors with "
                f"`{r}.foreachPartition(send_partition)` (one connection per partition)")
    if body == "accumulate":
        if is_rdd:
            return (f"{head}; the loop builds a result row by row: compute it in Spark "
                    f"(`{r}.map(...)`, `.reduceByKey(...)`) and collect only the result")
        return (f"{head}; the loop builds a result row by row: compute it in Spark "
                f"(`{r}.select(...)`, `{r}.groupBy(...).agg(...)`) and collect only the result")
    if body == "print":
        if is_rdd:
            return f"{head}; the loop prints it: look at a few with `{r}.take(20)`"
        return f"{head}; the loop prints it: use `{r}.show(20)`"
    alt = "map(...)" if is_rdd else "withColumn(...)"
    return (f"{head}; the loop handles it there: keep the work in Spark (`{r}.{alt}`, "
            f"`{r}.foreachPartition(...)`) or stream the rows with `{r}.toLocalIterator()`")


def _check_loop(node: ast.For, ctx) -> None:
    if not has_work(node):
        return
    src = unwrap_iter(node.iter, ctx)
    if not isinstance(src, ast.Call):
        return
    got = pulled(src, ctx, node)
    if got is None:
        return
    recv, v = got
    if in_test_code(node, ctx) or bounded(recv, v, ctx):
        return
    line, col, _, _ = ctx.source.method_span(src)
    _, _, end_line, end_col = ctx.source.span(node.iter if method(src) == "toPandas" else src)
    if method(src) == "toPandas":
        it = node.iter
        while not (isinstance(it, ast.Call) and method(it) in PANDAS_ROWS):
            it = it.args[0]  # type: ignore[attr-defined]
        _, _, end_line, end_col = ctx.source.span(it)
        what = short(it, ctx)
    else:
        what = short(src, ctx)
    recv_text = short(recv, ctx)
    head = f"Looping over `{what}` pulls every row of `{recv_text}` to the driver"
    msg = _loop_message(node, head, recv_text, v.kind == V.RDD, ctx)
    ctx.report((line, col, end_line, end_col), msg)


def _fix_round_trip(outer: ast.Call, pull: ast.Call, recv: ast.AST, v: V.Value, ctx):
    """(replacement description, edit) keeping the data in Spark, or None."""
    name = outer.func.attr  # type: ignore[union-attr]
    extra = [a for a in outer.args[1:]] + [k for k in outer.keywords if k.arg not in ("data", "c")]
    is_df = v.kind == V.DATAFRAME
    df_recv = recv
    if not is_df and isinstance(recv, ast.Attribute) and recv.attr == "rdd":
        inner = spark_value(recv.value, ctx, None, (V.DATAFRAME,), outer)
        if inner is not None and name == "createDataFrame":
            df_recv, is_df = recv.value, True
    text = expr_text(df_recv, ctx)
    if name == "parallelize":
        if extra:
            if len(outer.args) == 2 and not outer.keywords:
                n = ctx.segment(outer.args[1])
                new = f"{text}.rdd.repartition({n})" if is_df else f"{text}.repartition({n})"
            else:
                return None
        else:
            new = f"{text}.rdd" if is_df else text
        return new, ctx.source.replace(outer, new)
    # createDataFrame
    if is_df:
        if extra:
            schema = extra[0].value if isinstance(extra[0], ast.keyword) else extra[0]
            if len(extra) != 1 or (isinstance(extra[0], ast.keyword) and extra[0].arg != "schema"):
                return None
            if (isinstance(schema, (ast.List, ast.Tuple)) and schema.elts
                    and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in schema.elts)):
                # column names only: the same as renaming in place
                new = f"{text}.toDF({', '.join(ctx.segment(e) for e in schema.elts)})"
                return new, ctx.source.replace(outer, new)
            if not (isinstance(schema, ast.Attribute) and schema.attr == "schema"
                    and ctx.segment(schema.value) == ctx.segment(df_recv)):
                return None
        return text, ctx.source.replace(outer, text)
    # An RDD: let createDataFrame read it where it is.
    new = ctx.segment(recv)
    seg = ctx.segment(outer)
    return seg.replace(ctx.segment(pull), new, 1), ctx.source.replace(pull, new)


def _check_round_trip(node: ast.Call, ctx) -> None:
    name = method(node)
    if name not in ("createDataFrame", "parallelize") or not node.args:
        return
    pull = node.args[0]
    if name == "parallelize" and method(pull) != "collect":
        return
    got = pulled(pull, ctx, node)
    if got is None:
        return
    recv, v = got
    base = ctx.value(node.func.value)
    if base is None or base.kind != (V.SESSION if name == "createDataFrame" else V.CONTEXT):
        return
    if v.small or in_test_code(node, ctx):
        return
    fix = _fix_round_trip(node, pull, recv, v, ctx)
    seg = short(node, ctx)
    via = "a pandas DataFrame" if method(pull) == "toPandas" else "a Python list"
    if fix is not None:
        new, edit = fix
        msg = (f"`{seg}` collects `{short(recv, ctx)}` to the driver as {via} only to distribute it again: "
               f"use `{shorten(new)}`")
        f = ctx.fix(f"Keep the data in Spark: {shorten(new)}", [edit], safe=False)
    else:
        msg = (f"`{seg}` collects `{short(recv, ctx)}` to the driver as {via} only to distribute it again: "
               f"transform `{short(recv, ctx)}` in Spark instead (`select`/`toDF(...)` to rename, "
               f"`cast` to change types, `localCheckpoint()` to cut a long lineage)")
        f = None
    ctx.report(ctx.source.method_span(node), msg, fix=f)


def _check_indirect(node: ast.Call, ctx) -> None:
    """``rows = df.collect()`` used only by a loop or one createDataFrame/parallelize: reported at finish."""
    name = assigned_name(node, ctx)
    if name is None:
        return
    got = pulled(node, ctx)
    if got is None:
        return
    recv, v = got
    if in_test_code(node, ctx) or bounded(recv, v, ctx):
        return
    seq, unit = ctx.seq, ctx.unit
    span = ctx.source.method_span(node)
    pull_text, recv_text, is_rdd = short(node, ctx), short(recv, ctx), v.kind == V.RDD

    def finish():
        uses = uses_after(name, seq, ctx)
        kind = indirect_kind(uses, ctx)
        if kind == "loop":
            loop = loop_of(uses[0].node, ctx)
            head = f"`{name} = {pull_text}` pulls every row of `{recv_text}` to the driver for a loop"
            ctx.report(span, _loop_message(loop, head, recv_text, is_rdd, ctx), unit=unit)
        elif kind == "round-trip":
            use = ctx.parent(uses[0].node)
            if use.func.attr == "createDataFrame":
                target = f"{recv_text}.toDF()" if is_rdd else recv_text
            else:
                target = recv_text if is_rdd else f"{recv_text}.rdd"
            use_text = shorten(uses[0].unit.source.segment(use))
            ctx.report(span, f"`{name} = {pull_text}` is only distributed again by `{use_text}`: "
                             f"keep the data in Spark and use `{target}`", unit=unit)

    ctx.on_finish(finish)


@python_rule("SPK103", "driver-round-trip", "warning", ast.For, ast.Call)
def driver_round_trip(node, ctx) -> None:
    if isinstance(node, ast.For):
        _check_loop(node, ctx)
        return
    name = method(node)
    if name in ("createDataFrame", "parallelize"):
        _check_round_trip(node, ctx)
    elif name in ("collect", "toPandas"):
        _check_indirect(node, ctx)
