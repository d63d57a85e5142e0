"""## What it does
Checks for CSV reads with `inferSchema` turned on, and JSON reads without a
schema (`spark.read.json(path)`, `format("json").load(path)`), where Spark has
to infer the column types from the data.

## Why is this bad?
Schema inference is an extra pass over the input before the real read starts:
Spark scans the files (all rows, or a `samplingRatio` sample of them, which
still reads every file) only to find the types, then reads them again for
the query.  On large inputs that doubles the I/O, and the inferred types can
change from one run to the next when the data changes.  Giving the schema
(a DDL string or a `StructType`) skips the pass and pins the types; for data
read more than once, converting it to Parquet once is cheaper still.

A CSV read without `inferSchema` makes no extra pass (every column is a
string) and is not reported.  Streaming reads (`spark.readStream`) are not
reported either: they require a schema anyway.

## Example
```python
orders = spark.read.csv("data/orders.csv", header=True, inferSchema=True)
clicks = spark.read.json("data/clicks/")
```

Use instead:
```python
orders = spark.read.csv("data/orders.csv", header=True,
                        schema="order_id BIGINT, customer STRING, amount DOUBLE")
clicks = spark.read.schema("user_id BIGINT, url STRING, ts TIMESTAMP").json("data/clicks/")
```
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...rules.base import python_rule

LOADS = ("csv", "json", "load")
TRUE_STRINGS = ("true",)


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    for k in call.keywords:
        if k.arg is not None and k.arg.lower() == name.lower():
            return k.value
    return None


def _truth(node: ast.AST | None) -> bool | None:
    """True/False for a literal option value (``True``, ``"true"``), None when unknown."""
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return v
        if isinstance(v, str):
            return v.strip().lower() in TRUE_STRINGS
        return None
    return None


def _no_schema(node: ast.AST | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


SESSION_NAMES = {"spark", "spark_session", "sparkSession", "ss", "sqlContext", "sql_context"}


class _Reader:
    """What a ``spark.read...`` chain sets before its load call."""

    def __init__(self):
        self.fmt: str | None = None
        self.options: dict[str, ast.AST] = {}  # lower-cased key -> value, the last setting wins
        self.has_schema = False
        self.streaming = False
        self.opaque = False  # .options(**opts): anything may be set


def _session_like(node: ast.AST, ctx) -> bool:
    v = ctx.value(node)
    if v is not None:
        return v.kind == V.SESSION
    # bound to something we cannot see (spark = build_session()): trust the conventional name
    if isinstance(node, ast.Name):
        return node.id in SESSION_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in SESSION_NAMES
    return False


def _reader(node: ast.AST, ctx) -> _Reader | None:
    """Follow a reader chain from its end down to ``<session>.read``; None when it is not one."""
    info = _Reader()
    for _ in range(50):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            m = node.func.attr
            if m == "format":
                if info.fmt is None and node.args and isinstance(node.args[0], ast.Constant):
                    info.fmt = str(node.args[0].value).lower()
                elif info.fmt is None:
                    info.fmt = "?"
            elif m == "option":
                if len(node.args) >= 2 and isinstance(node.args[0], ast.Constant):
                    info.options.setdefault(str(node.args[0].value).lower(), node.args[1])
                else:
                    info.opaque = True
            elif m == "options":
                if node.args or any(k.arg is None for k in node.keywords):
                    info.opaque = True
                for k in node.keywords:
                    if k.arg is not None:
                        info.options.setdefault(k.arg.lower(), k.value)
            elif m == "schema":
                info.has_schema = True
            else:
                return None
            node = node.func.value
        elif isinstance(node, ast.Attribute) and node.attr in ("read", "readStream"):
            if not _session_like(node.value, ctx):
                return None
            info.streaming = node.attr == "readStream"
            return info
        elif isinstance(node, ast.Name) and ctx.is_bound(node.id):
            v = ctx.lookup(node.id)  # a reader kept in a variable
            if v is None or v.kind != V.READER or v.node is None or v.node is node:
                return None
            node = v.node
        else:
            return None
    return None


def _path_text(call: ast.Call, ctx) -> str | None:
    p = call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else _kw(call, "path")
    if isinstance(p, (ast.List, ast.Tuple)) and p.elts:
        p = p.elts[0]
    if isinstance(p, ast.Name) and ctx.is_bound(p.id):
        v = ctx.lookup(p.id)  # ORDERS = "s3://..." earlier
        p = v.node if v is not None else None
    if isinstance(p, ast.Constant) and isinstance(p.value, str):
        return p.value
    return None


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@python_rule("SPK503", "inferred-schema-read", "warning", ast.Call)
def inferred_schema_read(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute) or f.attr not in LOADS:
        return
    reader = _reader(f.value, ctx)
    if reader is None or reader.streaming:
        return  # not a Spark reader; streaming file sources need a schema anyway
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return  # *args / **kwargs: they may hold the schema

    # the format
    fmt = reader.fmt
    if f.attr == "load":
        kf = node.args[1] if len(node.args) > 1 else _kw(node, "format")
        if kf is not None:
            fmt = str(kf.value).lower() if isinstance(kf, ast.Constant) and isinstance(kf.value, str) else None
        if fmt is None:
            return  # the default source (Parquet) or a format we cannot see
    else:
        fmt = f.attr
    if fmt.endswith(".csv"):
        fmt = "csv"  # com.databricks.spark.csv
    if fmt.endswith(".json"):
        fmt = "json"
    if fmt not in ("csv", "json"):
        return

    # a schema given?
    if reader.has_schema:
        return
    schema_pos = 2 if f.attr == "load" else 1
    schema_arg = node.args[schema_pos] if len(node.args) > schema_pos else _kw(node, "schema")
    if not _no_schema(schema_arg):
        return

    # the options, later ones winning (the load call's keywords last)
    opts = dict(reader.options)
    for k in node.keywords:
        opts[k.arg.lower()] = k.value  # type: ignore[union-attr]

    path = _path_text(node, ctx)
    where = f"`{_short(path, 60)}`" if path else "the input"
    call_text = _short(ctx.segment(node))
    if fmt == "csv":
        infer = opts.get("inferschema")
        if infer is None or _truth(infer) is not True or reader.opaque:
            return
        message = (f"`{call_text}` infers the schema: an extra pass over {where} before the read; "
                   f"give the columns instead of `inferSchema`, e.g. "
                   f"`schema=\"col1 STRING, col2 INT\"` or `.schema(\"col1 STRING, col2 INT\")`, "
                   f"and prefer Parquet for data read more than once")
    else:
        first = node.args[0] if node.args else _kw(node, "path")
        fv = ctx.value(first) if first is not None else None
        if fv is not None and fv.kind in V.DISTRIBUTED and fv.small:
            return  # JSON strings from a small literal: nothing to save
        message = (f"`{call_text}` has no schema, so Spark infers one with an extra pass over {where}; "
                   f"give it, e.g. `.schema(\"col1 STRING, col2 INT\")` before `.{f.attr}(...)` "
                   f"or `schema=...`, and prefer Parquet for data read more than once")
    ctx.report(ctx.source.method_span(node), message)
