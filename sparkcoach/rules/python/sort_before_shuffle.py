"""## What it does
Checks for a sort (`orderBy`, `sort`, RDD `sortBy`, `sortByKey`) whose result
flows, directly in a chain or through a variable, into a shuffle that discards
the order: `groupBy(...).agg(...)` with order-insensitive aggregates, `join`,
`distinct`, `dropDuplicates`, `repartition`, RDD `reduceByKey`, `distinct`,
`join` and `repartition`.

## Why is this bad?
A global sort is one of the most expensive things Spark does: it samples the
data, range-partitions every row across the cluster and sorts each partition.
The shuffle that follows redistributes the rows by hash, so the order is gone
and the sort's work is thrown away.  Sort the (smaller) result of the
aggregation or join instead, if it needs an order at all.

`dropDuplicates(subset)` after a sort is reported too: code like
`df.orderBy(F.desc("ts")).dropDuplicates(["id"])` expects to keep the latest row
of each id, but Spark does not guarantee which duplicate survives.  Rank the
rows with a `row_number()` window instead.

Left alone: a sort followed by `limit` (a top-N), a write, `sortWithinPartitions`,
window functions, `monotonically_increasing_id()`, and aggregates whose result
depends on the order (`first`, `last`, `collect_list`, `collect_set`,
`array_agg`, `applyInPandas`, user-defined aggregates); a sorted variable that
is also used elsewhere (shown, written, returned).

## Example
```python
totals = events.orderBy("ts").groupBy("user").agg(F.sum("amount"))
latest = events.orderBy(F.desc("ts")).dropDuplicates(["user"])
```

Use instead:
```python
totals = events.groupBy("user").agg(F.sum("amount"))
w = Window.partitionBy("user").orderBy(F.desc("ts"))
latest = events.withColumn("_rn", F.row_number().over(w)).filter("_rn = 1").drop("_rn")
```

## Fix safety
Removing the sort is safe: the shuffle after it gives the same rows with or
without it.  `orderBy(...).repartition(1)` is rewritten to `.coalesce(1)`, which
keeps the sorted order in the single partition (same rows).  The `row_number()`
rewrite of `orderBy(...).dropDuplicates(subset)` is unsafe: it changes which row
is kept (to the one the code meant to keep), and is only offered when `functions`
and `Window` are imported.
"""

from __future__ import annotations

import ast
import re

from ...engine import values as V
from ...findings import Edit
from ...rules.base import python_rule

DF_SORTS = {"orderBy", "sort"}
RDD_SORTS = {"sortBy", "sortByKey"}
# Narrow operations that keep the order of their input.
KEEP = {
    V.DATAFRAME: {
        "select", "selectExpr", "filter", "where", "withColumn", "withColumns", "withColumnRenamed",
        "withColumnsRenamed", "drop", "alias", "fillna", "dropna", "replace", "toDF", "hint", "cache",
        "persist", "to", "withMetadata",
    },
    V.RDD: {"map", "filter", "mapValues", "flatMap", "flatMapValues", "keys", "values", "cache", "persist",
            "setName"},
}
# Expressions whose value depends on the row order / partition layout the sort produced.
ORDER_DEPENDENT_CALLS = {"monotonically_increasing_id", "spark_partition_id", "over", "zipWithIndex",
                         "zipWithUniqueId"}
ORDER_DEPENDENT_SQL = re.compile(r"\b(monotonically_increasing_id|spark_partition_id)\s*\(|\bover\s*\(", re.I)
# Aggregates whose result depends on the order of the rows in a group.
ORDER_SENSITIVE_AGGS = {
    "first", "last", "first_value", "last_value", "collect_list", "collect_set", "array_agg", "any_value",
    "listagg", "listagg_distinct", "string_agg", "string_agg_distinct", "nth_value", "mode",
}
ORDER_SENSITIVE_SQL = re.compile(
    r"\b(" + "|".join(sorted(ORDER_SENSITIVE_AGGS)) + r")\s*\(", re.I)
GROUPED_PLAIN = {"count", "sum", "avg", "mean", "max", "min"}
DF_GROUPS = {"groupBy", "groupby", "rollup", "cube"}
DF_JOINS = {"join"}
RDD_JOINS = {"join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin"}
REDUCERS = {"len", "sum", "max", "min", "set", "sorted", "frozenset"}

_MAX_HOPS = 4


# ---------------------------------------------------------------------------------------------
# Helpers shared with SPK203 / SPK205 (they import them from here).
# ---------------------------------------------------------------------------------------------
def short(text: str, limit: int = 60) -> str:
    """One line of the user's code, shortened for a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _dot_offset(src, call: ast.Call) -> int | None:
    """Character offset of the ``.`` before the method name of ``recv.method(...)``."""
    line, col, _, _ = src.attr_span(call.func)
    i = src.offset(line, col) - 1
    text = src.text
    while i >= 0 and text[i] in " \t\r\n\\":
        i -= 1
    return i if i >= 0 and text[i] == "." else None


def _line_start(text: str, off: int) -> int:
    return text.rfind("\n", 0, off) + 1


def _pos(src, off: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = src.text.count("\n", 0, off) + 1
    return line, off - _line_start(src.text, off) + 1


def drop_call_edit(src, call: ast.Call) -> Edit | None:
    """An edit deleting ``.method(...)`` from ``recv.method(...)``; whole lines when it stands alone."""
    dot = _dot_offset(src, call)
    if dot is None:
        return None
    _, _, end_line, end_col = src.span(call)
    end = src.offset(end_line, end_col)
    text = src.text
    start = _line_start(text, dot)
    eol = text.find("\n", end)
    eol = len(text) if eol < 0 else eol
    rest = text[end:eol].strip()
    alone = not text[start:dot].strip() and (rest in ("", "\\") or rest.startswith("#"))
    if alone and start > 0:
        prev = text[_line_start(text, start - 1): start - 1].rstrip()
        this_end = text[end:eol].rstrip()
        if prev.endswith("\\") and not this_end.endswith("\\"):
            alone = False  # the line before continues into this one: keep the line break
    if alone:
        stop = eol + 1 if eol < len(text) else eol
        return Edit(*_pos(src, start), *_pos(src, stop), "")
    return Edit(*_pos(src, dot), end_line, end_col, "")


def statement_delete_edit(src, stmt: ast.stmt, parent: ast.AST | None) -> Edit | None:
    """Delete a whole statement's lines, when it stands alone on them and its block keeps a statement."""
    body = None
    for field in ("body", "orelse", "finalbody"):
        b = getattr(parent, field, None)
        if isinstance(b, list) and stmt in b:
            body = b
    if body is None or len(body) < 2:
        return None
    line, col, end_line, end_col = src.span(stmt)
    text = src.text
    s = src.offset(line, col)
    e = src.offset(end_line, end_col)
    start = _line_start(text, s)
    eol = text.find("\n", e)
    eol = len(text) if eol < 0 else eol
    rest = text[e:eol].strip()
    if text[start:s].strip() or (rest and not rest.startswith("#")):
        return None
    stop = eol + 1 if eol < len(text) else eol
    return Edit(*_pos(src, start), *_pos(src, stop), "")


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _binds_locally(node: ast.AST, name: str) -> bool:
    """A function whose parameter, or a comprehension whose target, is ``name``."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        return any(x.arg == name for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x)
    if isinstance(node, _COMPS):
        return any(isinstance(n, ast.Name) and n.id == name for g in node.generators for n in ast.walk(g.target))
    return False


def binding_loads(ctx, name: str, after_seq: int, stmt: ast.AST | None = None):
    """The loads of the binding of ``name`` made after ``after_seq``, up to the next rebinding.

    With ``stmt`` (the binding statement), loads in other functions, or where a
    parameter or comprehension variable of the same name hides it, are left out.
    Returns None when no such binding exists.
    """
    binds = ctx.rebinds_after(name, after_seq)
    if not binds:
        return None
    b0 = binds[0]
    b1 = binds[1] if len(binds) > 1 else None
    loads = [ld for ld in ctx.loads_after(name, b0) if b1 is None or ld.seq < b1]
    if stmt is None:
        return loads
    scope = ctx.enclosing(stmt, _SCOPES)
    out = []
    for ld in loads:
        ok = scope is None
        for p in ctx.ancestors(ld.node):
            if p is scope:
                ok = True
                break
            if _binds_locally(p, name):
                ok = False
                break
        if ok:
            out.append(ld)
    return out


def assigned_name(ctx, node: ast.AST) -> tuple[str, ast.stmt] | None:
    """``name = <node>`` (or ``name: T = <node>``): the name and the statement."""
    p = ctx.parent(node)
    if isinstance(p, ast.Assign) and p.value is node and len(p.targets) == 1 and isinstance(p.targets[0], ast.Name):
        return p.targets[0].id, p
    if isinstance(p, ast.AnnAssign) and p.value is node and isinstance(p.target, ast.Name):
        return p.target.id, p
    return None


def method_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def next_call(ctx, node: ast.AST) -> ast.Call | None:
    """``<node>.method(...)``: the call of a method on ``node``."""
    p = ctx.parent(node)
    if isinstance(p, ast.Attribute) and p.value is node:
        c = ctx.parent(p)
        if isinstance(c, ast.Call) and c.func is p:
            return c
    return None


def call_arg(call: ast.Call, index: int, name: str) -> ast.AST | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


BROADCAST_HINTS = {"broadcast", "broadcastjoin", "mapjoin"}


def broadcast_side(ctx, node: ast.AST) -> bool:
    """``F.broadcast(x)``, ``x.hint("broadcast")`` or a provably small DataFrame."""
    n = node
    while isinstance(n, ast.Call):
        f = n.func
        if (ctx.qualname(f) or "").endswith("functions.broadcast") or (isinstance(f, ast.Name) and f.id == "broadcast"):
            return True
        if isinstance(f, ast.Attribute) and f.attr == "hint" and n.args and isinstance(n.args[0], ast.Constant) \
                and str(n.args[0].value).lower() in BROADCAST_HINTS:
            return True
        if not isinstance(f, ast.Attribute):
            break
        n = f.value
    return auto_broadcast(ctx.value(node))


def auto_broadcast(v) -> bool:
    """Small with a size estimate: Spark broadcasts it on its own (``createDataFrame(list)`` has none)."""
    return v is not None and v.small and not v.unsized


# ---------------------------------------------------------------------------------------------
def _order_dependent(call: ast.Call) -> bool:
    for n in ast.walk(call):
        if n is call:
            continue
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if name in ORDER_DEPENDENT_CALLS:
                return True
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and ORDER_DEPENDENT_SQL.search(n.value):
            return True
    return False


def _follow(ctx, expr: ast.AST, kind: str):
    """Where the sorted value ``expr`` goes, through order-keeping narrow operations.

    ("use", call) - a method called on it; ("arg", call) - the right side of a join;
    ("bind", name, stmt) - assigned to a name; None - anything else.
    """
    node = expr
    keep = KEEP[kind]
    joins = DF_JOINS if kind == V.DATAFRAME else RDD_JOINS
    while True:
        p = ctx.parent(node)
        if isinstance(p, ast.Attribute) and p.value is node:
            call = ctx.parent(p)
            if not (isinstance(call, ast.Call) and call.func is p):
                return None
            if p.attr in keep:
                if _order_dependent(call):
                    return None
                node = call
                continue
            return ("use", call)
        if isinstance(p, ast.Call):
            f = p.func
            if p.args and p.args[0] is node and isinstance(f, ast.Attribute) and f.attr in joins:
                if isinstance(f.value, ast.Constant):
                    return None
                v = ctx.value(f.value)
                if v is not None and v.kind != kind:
                    return None
                return ("arg", p)
            if kind == V.DATAFRAME and node in p.args and (ctx.qualname(f) or "").endswith("functions.broadcast"):
                node = p
                continue
            return None
        named = assigned_name(ctx, node)
        if named is not None:
            return ("bind", named[0], named[1])
        return None


def _agg_insensitive(ctx, call: ast.Call) -> bool:
    """``agg(...)`` arguments we can see, none of which depends on the order of the rows."""
    if not call.args and not call.keywords:
        return False
    for a in call.args:
        if isinstance(a, ast.Starred):
            a = a.value
            if not isinstance(a, (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp)):
                return False
        elif isinstance(a, ast.Dict):
            for val in a.values:
                if not (isinstance(val, ast.Constant) and isinstance(val.value, str)):
                    return False
                if val.value.lower() in ORDER_SENSITIVE_AGGS:
                    return False
            continue
        elif not isinstance(a, ast.Call):
            return False
        for n in ast.walk(a):
            if isinstance(n, ast.Call):
                f = n.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if name in ORDER_SENSITIVE_AGGS:
                    return False
                if isinstance(f, (ast.Name, ast.Attribute)) and (isinstance(f, ast.Name) or isinstance(f.value, ast.Name)):
                    q = ctx.qualname(f)
                    if isinstance(f, ast.Name) and not (q or "").startswith("pyspark"):
                        return False  # a user-defined (maybe pandas) aggregate: can't tell
                    if isinstance(f, ast.Attribute) and q is not None and not q.startswith("pyspark"):
                        return False
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and ORDER_SENSITIVE_SQL.search(n.value):
                return False
    return True


def _rdd_reducer_ok(fn: ast.AST) -> bool:
    for n in ast.walk(fn):
        if isinstance(n, (ast.List, ast.ListComp, ast.JoinedStr)) or (
                isinstance(n, ast.Constant) and isinstance(n.value, str)):
            return False
    return True


def _verdict(ctx, outcome, kind: str):
    """None (order may matter, or not a shuffle we know) or (what, consumer call, special)."""
    how, call = outcome[0], outcome[1]
    if how == "arg":
        return ("join", call, None)
    m = call.func.attr
    if kind == V.DATAFRAME:
        if m in DF_GROUPS:
            nxt = next_call(ctx, call)
            if method_of(nxt) == "pivot":
                nxt = next_call(ctx, nxt)
            nm = method_of(nxt)
            if nm in GROUPED_PLAIN or (nm == "agg" and _agg_insensitive(ctx, nxt)):
                return ("group", call, None)
            return None
        if m in DF_JOINS:
            if not (call.args or call.keywords):
                return None
            other = call_arg(call, 0, "other")
            if how == "use" and other is not None and broadcast_side(ctx, other):
                return None  # a broadcast join streams this side through in order
            return ("join", call, None)
        if m == "distinct":
            return ("distinct", call, None)
        if m in ("dropDuplicates", "drop_duplicates"):
            if call.args or call.keywords:
                return ("dedupe", call, "dedupe")
            return ("distinct", call, None)
        if m == "repartition":
            if len(call.args) == 1 and not call.keywords and isinstance(call.args[0], ast.Constant) \
                    and call.args[0].value == 1:
                return ("repartition", call, "coalesce")
            return ("repartition", call, None)
        return None
    # RDD
    if m == "reduceByKey":
        fn = call_arg(call, 0, "func")
        return ("reduce", call, None) if fn is not None and _rdd_reducer_ok(fn) else None
    if m in ("distinct", "repartition", "partitionBy"):
        return (m, call, None)
    if m in RDD_JOINS:
        return ("join", call, None)
    if m == "groupByKey":
        nxt = next_call(ctx, call)
        if method_of(nxt) == "mapValues" and len(nxt.args) == 1 and isinstance(nxt.args[0], ast.Name) \
                and nxt.args[0].id in REDUCERS and not ctx.is_bound(nxt.args[0].id):
            return ("group", call, None)
        # the values of a group come in shuffle order, not in the order of the sort
        return ("group", call, "grouporder")
    return None


def _consumers(ctx, expr: ast.AST, kind: str, hops: int, src):
    """Verdicts for every use of the sorted value; None as soon as one use may need the order."""
    out = _follow(ctx, expr, kind)
    if out is None:
        return None
    if out[0] != "bind":
        v = _verdict(ctx, out, kind)
        return [v + (src,)] if v is not None else None
    if hops >= _MAX_HOPS:
        return None
    name, stmt = out[1], out[2]
    return ("bind", name, stmt)


def _consumers_of_name(ctx, name: str, seq: int, kind: str, hops: int, stmt: ast.AST):
    loads = binding_loads(ctx, name, seq, stmt)
    if not loads:
        return None
    verdicts = []
    for ld in loads:
        r = _consumers(ctx, ld.node, kind, hops, ld.unit.source)
        if r is None:
            return None
        if isinstance(r, tuple):  # assigned on to another name
            sub = _consumers_of_name(ctx, r[1], ld.seq, kind, hops + 1, r[2])
            if sub is None:
                return None
            verdicts.extend(sub)
        else:
            verdicts.extend(r)
    return verdicts


# ---------------------------------------------------------------------------------------------
def _imports_alias(ctx, *quals: str) -> str | None:
    imports = getattr(getattr(ctx, "state", None), "imports", {}) or {}
    for alias, q in imports.items():
        if q in quals:
            return alias
    return None


def _window_names(ctx) -> tuple[str, str] | None:
    """How this file spells ``row_number()`` and ``Window``, when it imports them."""
    fmod = _imports_alias(ctx, "pyspark.sql.functions")
    rn = f"{fmod}.row_number()" if fmod else None
    if rn is None:
        alias = _imports_alias(ctx, "pyspark.sql.functions.row_number")
        rn = f"{alias}()" if alias else None
    win = _imports_alias(ctx, "pyspark.sql.window.Window", "pyspark.sql.Window")
    if win is None:
        mod = _imports_alias(ctx, "pyspark.sql.window")
        win = f"{mod}.Window" if mod else None
    return (rn, win) if rn and win else None


def _dedupe_rewrite(src, sort: ast.Call, dedupe: ast.Call, rn: str, win: str) -> str | None:
    """``.withColumn("_rn", F.row_number().over(Window.partitionBy(<subset>).orderBy(<keys>)))...``"""
    if sort.keywords or not sort.args or any(k.arg != "subset" for k in dedupe.keywords):
        return None
    subset = [src.segment(a) for a in dedupe.args] + [src.segment(k.value) for k in dedupe.keywords]
    keys = ", ".join(src.segment(a) for a in sort.args)
    return (f'.withColumn("_rn", {rn}.over({win}.partitionBy({", ".join(subset)}).orderBy({keys})))'
            f'.filter("_rn = 1").drop("_rn")')


WHAT = {
    "group": "aggregates the rows by key",
    "join": "joins by hashing the rows on the join keys",
    "distinct": "deduplicates by hashing the rows",
    "repartition": "redistributes the rows",
    "reduce": "reduces the values by key",
    "partitionBy": "redistributes the rows by key",
}


@python_rule("SPK202", "sort-before-shuffle", "warning", ast.Call)
def sort_before_shuffle(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    name = f.attr
    if name in DF_SORTS:
        kind = V.DATAFRAME
    elif name in RDD_SORTS:
        kind = V.RDD
    else:
        return
    if not ctx.spark_aware:
        return
    v = ctx.value(node)
    if v is not None and v.kind != kind:
        return
    if name == "sort" and v is None:
        return  # a list, a polars frame...: only a known DataFrame's sort
    out = _consumers(ctx, node, kind, 0, ctx.source)
    if out is None:
        return
    recv_text = ctx.segment(f.value)
    if isinstance(out, list):
        _report(ctx, node, out, recv_text, chain=True)
        return
    _, bound, stmt = out
    unit, seq = ctx.unit, ctx.seq

    def finish() -> None:
        verdicts = _consumers_of_name(ctx, bound, seq, kind, 1, stmt)
        if verdicts:
            _report(ctx, node, verdicts, recv_text, chain=False, unit=unit, stmt=stmt, bound=bound)

    ctx.on_finish(finish)


def _report(ctx, sort: ast.Call, verdicts, recv_text: str, *, chain: bool, unit=None, stmt=None,
            bound: str | None = None) -> None:
    src = (unit or ctx.unit).source
    span = src.method_span(sort)
    specials = {v[2] for v in verdicts if v[2]}
    s = short(src.between(*span), 50)
    if "dedupe" in specials:
        _, consumer, _, csrc = next(v for v in verdicts if v[2] == "dedupe")
        c = short(csrc.between(*csrc.method_span(consumer)), 50)
        fix = None
        names = _window_names(ctx)
        if chain and len(verdicts) == 1 and consumer.func.value is sort and names is not None:
            rewrite = _dedupe_rewrite(src, sort, consumer, *names)
            dot = _dot_offset(src, sort)
            if rewrite is not None and dot is not None:
                _, _, el, ec = src.span(consumer)
                fix = ctx.fix("Keep the first row per key with a row_number() window",
                              [Edit(*_pos(src, dot), el, ec, rewrite)], safe=False)
        hint = None
        if src is csrc:
            hint = _dedupe_rewrite(src, sort, consumer, *(names or ("F.row_number()", "Window")))
        hint = hint or '.withColumn("_rn", F.row_number().over(Window.partitionBy(<keys>).orderBy(<order>)))' \
                       '.filter("_rn = 1").drop("_rn")'
        ctx.report(span, f"`{c}` after `{s}` does not keep the first row of each key in that order (Spark "
                         f"does not guarantee which duplicate survives the shuffle); rank the rows with a "
                         f"window instead: `{short(recv_text, 30)}{short(hint, 160)}`", fix=fix, unit=unit)
        return
    if "grouporder" in specials:
        _, consumer, _, csrc = next(v for v in verdicts if v[2] == "grouporder")
        c = short(csrc.between(*csrc.method_span(consumer)), 40)
        key = _value_sort_key(src, sort)
        asc = call_arg(sort, 1 if sort.func.attr == "sortBy" else 0, "ascending")
        desc = isinstance(asc, ast.Constant) and asc.value is False
        hint = f"mapValues(lambda vs: sorted(vs{', key=' + key if key else ''}{', reverse=True' if desc else ''}))"
        ctx.report(span, f"`{c}` after `{s}` does not keep the values of each key in sorted order (the shuffle "
                         f"delivers them in any order); sort each group instead: `.{c}.{hint}`", unit=unit)
        return
    if "coalesce" in specials:
        if len(verdicts) != 1:
            return
        _, consumer, _, csrc = verdicts[0]
        fix = None
        if chain:
            line, col, _, _ = src.method_span(consumer)
            _, _, el, ec = src.span(consumer)
            fix = ctx.fix("Replace repartition(1) with coalesce(1), which keeps the order",
                          [Edit(line, col, el, ec, "coalesce(1)")])
        ctx.report(span, f"`repartition(1)` after `{s}` shuffles the sorted rows into one partition and loses "
                         f"their order: use `.coalesce(1)` to keep the sorted rows in one partition",
                   fix=fix, unit=unit)
        return
    e = None
    if stmt is not None and bound is not None and stmt.value is sort and isinstance(sort.func.value, ast.Name) \
            and sort.func.value.id == bound:
        e = statement_delete_edit(src, stmt, ctx.parent(stmt))  # ``df = df.orderBy(...)``: drop the line
    if e is None:
        e = drop_call_edit(src, sort)
    fix = ctx.fix(f"Remove the sort `{s}`", [e]) if e is not None else None
    ctx.report(span, _message_for(ctx, sort, verdicts, recv_text, s, src), fix=fix, unit=unit)


def _value_sort_key(src, sort: ast.Call) -> str | None:
    """``sortBy(lambda kv: kv[1][2])`` -> ``lambda v: v[2]`` (the same order, on the grouped values)."""
    if sort.func.attr == "sortByKey" or not sort.args or not isinstance(sort.args[0], ast.Lambda):
        return "..." if sort.func.attr == "sortBy" else None
    fn = sort.args[0]
    if len(fn.args.args) != 1:
        return "..."
    p = fn.args.args[0].arg
    uses = [n for n in ast.walk(fn.body) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
            and n.value.id == p and isinstance(n.slice, ast.Constant) and n.slice.value == 1]
    inside = {id(u.value) for u in uses}
    if not uses or any(isinstance(n, ast.Name) and n.id == p and id(n) not in inside for n in ast.walk(fn.body)):
        return "..."
    names = {n.id for n in ast.walk(fn.body) if isinstance(n, ast.Name)}
    v = next((c for c in ("v", "value", "x", "v_") if c not in names), None)
    if v is None:
        return "..."
    line, col, el, ec = src.span(fn.body)
    start = src.offset(line, col)
    text = src.between(line, col, el, ec)
    for u in sorted(uses, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        ul, uc, uel, uec = src.span(u)
        a, b = src.offset(ul, uc) - start, src.offset(uel, uec) - start
        text = text[:a] + v + text[b:]
    return None if text == v else f"lambda {v}: {text}"


def _message_for(ctx, sort, verdicts, recv_text: str, s: str, sort_src) -> str:
    what, consumer, _, src = verdicts[0]
    c = src.between(*src.method_span(consumer))
    if what == "group":
        p = ctx.parent(consumer)
        nxt = ctx.parent(p) if isinstance(p, ast.Attribute) else None
        if isinstance(nxt, ast.Call) and nxt.func is p:
            c += "." + src.between(*src.method_span(nxt))
    c = short(c, 60)
    more = f" (and {len(verdicts) - 1} more use{'s' if len(verdicts) > 2 else ''})" if len(verdicts) > 1 else ""
    if isinstance(consumer.func, ast.Attribute) and consumer.func.value is sort:
        instead = f"`{short(recv_text, 40)}.{c}`"
    else:
        instead = f"delete `.{s}`"
    if what in ("repartition", "partitionBy") and isinstance(sort.func, ast.Attribute) and sort.args \
            and sort.func.attr in DF_SORTS:
        keys = short(", ".join(sort_src.segment(a) for a in sort.args), 40)
        tail = f"(to order the rows within each partition, add `.sortWithinPartitions({keys})` after it)"
    else:
        tail = "(sort the result instead if it needs an order)"
    return (f"`{s}` is wasted: `{c}`{more} {WHAT.get(what, 'shuffles the rows')} right after it, which "
            f"discards the order; remove the sort: {instead} {tail}")
