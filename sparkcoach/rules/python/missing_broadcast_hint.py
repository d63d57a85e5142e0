"""## What it does
Checks for joins with a small side that Spark cannot size and no broadcast hint.
Such sides are a `createDataFrame` of a Python list or an `rdd.toDF()` in DataFrame
joins, and small parallelized RDDs in RDD joins.

## Why is this bad?
A DataFrame made from a local list or an RDD has no size estimate, so Spark
shuffles the big side of the join instead of broadcasting the small one.
Spark broadcasts a side only when its estimate is under
`spark.sql.autoBroadcastJoinThreshold`; without one it assumes the side is huge,
and even a ten-row lookup table is joined with a sort-merge join that shuffles
and sorts the other input.  `broadcast(small)` sends the small side to every
executor instead and leaves the big side where it is.

Only a side that can be broadcast for the join type counts: either side of an
inner or cross join, the right side of a left (outer, semi, anti) join, the left
side of a right join, none of a full outer join.  DataFrames Spark can size
(`createDataFrame(pandas_df)`, `spark.range(n)`, `limit(n)`, files) are broadcast
automatically and are not reported.

Under Spark Connect (a `.remote(...)` session) a list becomes a local relation
that Spark does size, so `createDataFrame` sides are not reported there.

An RDD `join` always shuffles both sides; with a small parallelized RDD, a
dictionary broadcast to the executors and a map-side lookup avoids the shuffle.

## Example
```python
countries = spark.createDataFrame([("FR", "France"), ("DE", "Germany")], ["code", "name"])
enriched = orders.join(countries, orders.country == countries.code)
```

Use instead:
```python
from pyspark.sql.functions import broadcast

countries = spark.createDataFrame([("FR", "France"), ("DE", "Germany")], ["code", "name"])
enriched = orders.join(broadcast(countries), orders.country == countries.code)
```

## Fix safety
Wrapping the small DataFrame in `broadcast(...)` is safe: a hint changes the plan,
not the result.  The fix uses `F.broadcast` or `broadcast` as the module imports
it, or adds `from pyspark.sql.functions import broadcast`.

The RDD rewrite (a broadcast dictionary and a `flatMap` lookup, offered when the
small RDD is a literal with distinct keys) is unsafe: the result holds the same
pairs, but its partitioning differs and the small RDD is collected to the driver.
"""

from __future__ import annotations

import ast
import re

from ...engine import values as V
from ...findings import Edit
from ...rules.base import python_rule

# Join type (lowercased, "_" removed, as Spark normalizes it) -> sides that may be broadcast.
_SIDES = {
    "inner": ("left", "right"), "cross": ("left", "right"),
    "left": ("right",), "leftouter": ("right",), "semi": ("right",), "leftsemi": ("right",),
    "anti": ("right",), "leftanti": ("right",),
    "right": ("left",), "rightouter": ("left",),
    "full": (), "outer": (), "fullouter": (),
}
# RDD joins -> sides whose small RDD can become a map-side lookup.
_RDD_SIDES = {"join": ("left", "right"), "leftOuterJoin": ("right",), "rightOuterJoin": ("left",)}
_HINTS = ("broadcast", "broadcastjoin", "mapjoin")
_PRIMARY = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)
_RDD_KEEP = {"cache", "persist", "setName"}
# DataFrame methods whose result Spark can size even from an unsized input.
_SIZED = {"limit", "agg", "describe", "summary"}


def _short(text: str, limit: int = 40) -> str:
    text = re.sub(r"\s+\.", ".", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hinted(expr: ast.AST | None, ctx) -> bool:
    """``broadcast(x)``, ``F.broadcast(x)`` or ``x.hint("broadcast")`` anywhere down the chain that made expr."""
    depth = 0
    while expr is not None and depth < 8:
        if isinstance(expr, ast.Call):
            if (ctx.qualname(expr.func) or "").endswith("functions.broadcast"):
                return True
            f = expr.func
            if not isinstance(f, ast.Attribute):
                return False
            if f.attr == "hint" and expr.args and isinstance(expr.args[0], ast.Constant) and \
                    str(expr.args[0].value).lower() in _HINTS:
                return True
            expr = f.value
        elif isinstance(expr, ast.Name):
            v = ctx.lookup(expr.id)
            if v is None or v.node is None or v.node is expr:
                return False
            expr, depth = v.node, depth + 1
        else:
            return False
    return False


def _origin(expr: ast.AST, ctx) -> str | None:
    """How the unsized DataFrame was made, for the message; None when a step on the way gives Spark a size
    (``limit(n)`` and a global ``agg(...)`` have estimates whatever their input)."""
    depth = 0
    while depth < 16:
        if isinstance(expr, ast.Name):
            v = ctx.lookup(expr.id)
            if v is None or v.node is None or v.node is expr:
                break
            expr = v.node
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            attr = expr.func.attr
            if attr in _SIZED:
                return None
            if attr == "toDF" and (v := ctx.value(expr.func.value)) is not None and v.kind == V.RDD:
                return "an RDD converted with `toDF()`"
            if attr == "createDataFrame":
                return "`createDataFrame` of a local list"
            expr = expr.func.value
        else:
            break
        depth += 1
    return "local data"


# -------------------------------------------------------------------- module-level facts
def _module_of(node: ast.AST, ctx) -> tuple[ast.Module | None, ast.stmt | None]:
    """The unit's module and the top-level statement holding node."""
    top, mod = None, None
    n = node
    for p in ctx.ancestors(node):
        if isinstance(p, ast.Module):
            mod, top = p, n
            break
        n = p
    return mod, top


def _names_in(mod: ast.Module) -> set[str]:
    names = getattr(mod, "_sc_spk301_names", None)
    if names is None:
        names = set()
        for n in ast.walk(mod):
            if isinstance(n, ast.Name):
                names.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(n.name)
            elif isinstance(n, ast.arg):
                names.add(n.arg)
            elif isinstance(n, ast.alias):
                names.add(n.asname or n.name.split(".", 1)[0])
        mod._sc_spk301_names = names  # type: ignore[attr-defined]
    return names


def _broadcast_callee(node: ast.AST, ctx) -> tuple[str, Edit | None] | None:
    """How to spell ``broadcast`` here, and the import edit it needs (None: no safe spelling)."""
    imports = ctx.state.imports
    for name, q in imports.items():
        if q in ("pyspark.sql.functions.broadcast", "pyspark.sql.connect.functions.broadcast"):
            return name, None
    for name, q in imports.items():
        if q in ("pyspark.sql.functions", "pyspark.sql.connect.functions") and "." not in name:
            return f"{name}.broadcast", None
    mod, top = _module_of(node, ctx)
    if mod is None or top is None or "broadcast" in _names_in(mod) or ctx.is_bound("broadcast"):
        return None
    text = "from pyspark.sql.functions import broadcast\n"
    body = mod.body
    idx = next((i for i, s in enumerate(body) if s is top), None)
    if idx is None:
        return None
    last_import = None
    for s in body[:idx]:
        if isinstance(s, (ast.Import, ast.ImportFrom)):
            last_import = s
    src = ctx.source
    if last_import is not None:
        after = last_import.end_lineno or last_import.lineno
    elif body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str) and body[0] is not top:
        after = body[0].end_lineno or body[0].lineno  # after the module docstring
    else:
        first = body[0]
        line = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
        return "broadcast", src.insert_before_line(line, text)
    if src.line_text(after).rstrip("\r\n").endswith("\\"):
        return None
    return "broadcast", src.insert_before_line(after + 1, text)


# -------------------------------------------------------------------- DataFrame joins
def _spark_connect(ctx) -> bool:
    """Code written for Spark Connect, where ``createDataFrame`` of a list is a sized local relation: a
    Connect import, or a Connect session built in this file or an earlier cell of the notebook."""
    if any(q.startswith(("pyspark.sql.connect", "databricks.connect")) for q in ctx.state.imports.values()):
        return True
    return ctx.state.spark_connect


def _dataframe_join(node: ast.Call, ctx) -> None:
    recv = node.func.value
    other = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "other"), None)
    if other is None:
        return
    if node.func.attr == "crossJoin":
        how = "cross"
    else:
        how_node = node.args[2] if len(node.args) > 2 else next((k.value for k in node.keywords if k.arg == "how"), None)
        if how_node is None or (isinstance(how_node, ast.Constant) and how_node.value is None):
            how = "inner"
        elif isinstance(how_node, ast.Constant) and isinstance(how_node.value, str):
            how = how_node.value.lower().replace("_", "")
        else:
            return  # a join type only known at runtime
    sides = _SIDES.get(how)
    if not sides:
        return
    lv, rv = ctx.value(recv), ctx.value(other)
    if any(v is not None and v.kind != V.DATAFRAME for v in (lv, rv)):
        return
    if lv is not None and rv is not None and lv.small and rv.small:
        return  # both small: nothing big to shuffle
    for side in sides:
        small, sv, big, bv = (other, rv, recv, lv) if side == "right" else (recv, lv, other, rv)
        if sv is None or not (sv.small and sv.unsized) or (bv is not None and bv.small):
            continue
        if _hinted(small, ctx) or _hinted(big, ctx):
            return
        origin = _origin(small, ctx)
        if origin is None or (origin.startswith("`createDataFrame`") and _spark_connect(ctx)):
            continue
        _report_dataframe(node, small, big, origin, ctx)
        return


def _report_dataframe(node: ast.Call, small: ast.AST, big: ast.AST, origin: str, ctx) -> None:
    small_text = ctx.segment(small)
    callee = _broadcast_callee(node, ctx)
    name = callee[0] if callee else "broadcast"
    s, b = _short(small_text), _short(ctx.segment(big))
    msg = (f"Spark has no size estimate for `{s}` ({origin}), so this join plans a sort-merge "
           f"join that shuffles `{b}`; broadcast the small side: `{name}({s})`")
    fix = None
    if callee is not None:
        edits = [ctx.source.replace(small, f"{name}({small_text})")]
        if callee[1] is not None:
            edits.append(callee[1])
        fix = ctx.fix(f"Wrap `{s}` in `{name}(...)`", edits, safe=True)
    ctx.report(ctx.source.method_span(node), msg, fix=fix)


# -------------------------------------------------------------------- RDD joins
def _parallelized_literal(expr: ast.AST, ctx) -> tuple[ast.Call, ast.AST] | None:
    """The ``sc.parallelize([...])`` call (and its literal) that made expr, through names and cache()."""
    for _ in range(8):
        if isinstance(expr, ast.Name):
            v = ctx.lookup(expr.id)
            if v is None or v.node is None or v.node is expr:
                return None
            expr = v.node
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            if expr.func.attr in _RDD_KEEP:
                expr = expr.func.value
                continue
            if expr.func.attr != "parallelize" or not expr.args:
                return None
            data = expr.args[0]
            if isinstance(data, ast.Name):
                dv = ctx.lookup(data.id)
                data = dv.node if dv is not None and dv.kind == V.LOCAL else None
            if isinstance(data, (ast.List, ast.Tuple)):
                return expr, data
            return None
        else:
            return None
    return None


def _unique_constant_keys(data: ast.AST) -> bool:
    keys = []
    for e in data.elts:
        if not (isinstance(e, ast.Tuple) and len(e.elts) == 2 and isinstance(e.elts[0], ast.Constant)):
            return False
        keys.append(e.elts[0].value)
    try:
        return len(set(keys)) == len(keys) and len(keys) > 0
    except TypeError:
        return False


def _fresh(base: str, ctx, mod) -> str:
    names = _names_in(mod) if mod is not None else set()
    cand, i = base, 2
    while cand in names or ctx.is_bound(cand):
        cand, i = f"{base}{i}", i + 1
    return cand


def _rdd_fix(node: ast.Call, small: ast.AST, big: ast.AST, small_side: str, ctx):
    """``m = sc.broadcast(dict(...))`` before the statement, the join becomes a flatMap (or map) lookup."""
    found = _parallelized_literal(small, ctx)
    if found is None:
        return None
    pcall, data = found
    if not _unique_constant_keys(data):
        return None
    stmt = ctx.statement(node)
    if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Return, ast.AugAssign)):
        return None
    for p in ctx.ancestors(node):
        if p is stmt:
            break
        if isinstance(p, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                          ast.IfExp, ast.BoolOp)):
            return None  # evaluated conditionally or per element: hoisting would change that
    src = ctx.source
    line_text = src.line_text(stmt.lineno)
    if line_text[: stmt.col_offset].strip() or stmt.col_offset != len(src.indent_of(stmt.lineno)):
        return None
    mod, _ = _module_of(node, ctx)
    if isinstance(small, ast.Name):
        scv = ctx.value(ast.Name("sc", ast.Load())) if ctx.is_bound("sc") else None
        sc_text = "sc" if scv is not None and scv.kind == V.CONTEXT else f"{small.id}.context"
        mapping = f"{small.id}.collectAsMap()"
        base = f"{small.id}_by_key"
    elif small is pcall:
        sc_node = pcall.func.value
        scv = ctx.value(sc_node)
        if scv is None or scv.kind != V.CONTEXT:
            return None
        sc_text = ctx.segment(sc_node)
        mapping = f"dict({ctx.segment(pcall.args[0])})"
        base = "lookup_by_key"
    else:
        return None
    m = _fresh(base, ctx, mod)
    big_text = ctx.segment(big)
    if not isinstance(big, _PRIMARY) or "\n" in big_text:
        big_text = f"({big_text})"
    hit = f"{m}.value[kv[0]]"
    vals = f"(kv[1], {hit})" if small_side == "right" else f"({hit}, kv[1])"
    if node.func.attr == "join":
        repl = f"{big_text}.flatMap(lambda kv: [(kv[0], {vals})] if kv[0] in {m}.value else [])"
    else:
        got = f"{m}.value.get(kv[0])"
        vals = f"(kv[1], {got})" if small_side == "right" else f"({got}, kv[1])"
        repl = f"{big_text}.map(lambda kv: (kv[0], {vals}))"
    indent = src.indent_of(stmt.lineno)
    edits = [
        src.insert_before_line(stmt.lineno, f"{indent}{m} = {sc_text}.broadcast({mapping})\n"),
        src.replace(node, repl),
    ]
    return ctx.fix(f"Broadcast `{_short(ctx.segment(small))}` as a dict and look keys up map-side", edits,
                   safe=False), repl, f"{m} = {sc_text}.broadcast({mapping})"


def _rdd_join(node: ast.Call, ctx) -> None:
    name = node.func.attr
    sides = _RDD_SIDES.get(name)
    if not sides or not node.args or len(node.args) > 2 or any(isinstance(a, ast.Starred) for a in node.args):
        return
    if any(k.arg != "numPartitions" for k in node.keywords):
        return
    recv, other = node.func.value, node.args[0]
    lv, rv = ctx.value(recv), ctx.value(other)
    if any(v is not None and v.kind != V.RDD for v in (lv, rv)):
        return
    if lv is not None and rv is not None and lv.small and rv.small:
        return
    for side in sides:
        small, sv, big, bv = (other, rv, recv, lv) if side == "right" else (recv, lv, other, rv)
        if sv is None or not (sv.small and sv.pair) or (bv is not None and bv.small):
            continue
        if bv is None and not ctx.spark_aware:
            return
        s, b = _short(ctx.segment(small)), _short(ctx.segment(big))
        fixed = _rdd_fix(node, small, big, side, ctx)
        if fixed is not None:
            fix, repl, setup = fixed
            how = f"`{setup}`, then `{_short(repl, 90)}`"
        else:
            fix = None
            lookup = "m.value[kv[0]]"
            vals = f"(kv[1], {lookup})" if side == "right" else f"({lookup}, kv[1])"
            how = (f"`m = sc.broadcast({s}.collectAsMap())`, then "
                   f"`{b}.flatMap(lambda kv: [(kv[0], {vals})] if kv[0] in m.value else [])`")
        msg = (f"`{s}` is a small parallelized RDD, but `{name}` shuffles `{b}` to meet it; broadcast it as "
               f"a dictionary and look keys up map-side: {how}")
        ctx.report(ctx.source.method_span(node), msg, fix=fix)
        return


@python_rule("SPK301", "missing-broadcast-hint", "warning", ast.Call)
def missing_broadcast_hint(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    name = f.attr
    if name in ("join", "crossJoin"):
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return
        if name == "join":
            v = ctx.value(f.value)
            if v is not None and v.kind == V.RDD:
                _rdd_join(node, ctx)
                return
            if v is None and node.args:
                ov = ctx.value(node.args[0])
                if ov is not None and ov.kind == V.RDD:
                    _rdd_join(node, ctx)
                    return
        _dataframe_join(node, ctx)
    elif name in ("leftOuterJoin", "rightOuterJoin"):
        _rdd_join(node, ctx)
