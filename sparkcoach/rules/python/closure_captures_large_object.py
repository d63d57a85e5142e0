"""## What it does
Checks for a function shipped to the executors (passed to an RDD operation, to
`DataFrame.foreach`/`mapInPandas`, or wrapped as a UDF) that reads a driver-side
variable holding large data.  That is the result of `collect()`, `collectAsMap()` or
`toPandas()` on data not known to be small, a pandas DataFrame read on the
driver (`pd.read_csv`), a literal with 1000 or more elements
(`list(range(10**6))`), or a dict/set/list built from one of those.

## Why is this bad?
Spark pickles a function together with every variable it references and sends
that copy with every task: a few megabytes captured in a closure become
gigabytes of network traffic and deserialization over thousands of tasks, and
Spark warns about "a task of very large size".  A broadcast variable is sent
to each executor once and cached there.

Variables that are already broadcast (`lookup_bc.value`) are what this rule
asks for and are not reported, nor are small collected results (a `limit`, a
global aggregate, a `distinct` projection).

## Example
```python
rates = dict(spark.table("fx_rates").rdd.map(lambda r: (r.ccy, r.rate)).collect())
converted = orders.rdd.map(lambda o: o.amount * rates[o.ccy])
```

Use instead:
```python
rates = dict(spark.table("fx_rates").rdd.map(lambda r: (r.ccy, r.rate)).collect())
rates_bc = spark.sparkContext.broadcast(rates)
converted = orders.rdd.map(lambda o: o.amount * rates_bc.value[o.ccy])
```

## Fix safety
The fix adds `rates_bc = sc.broadcast(rates)` before the statement shipping the
function (using a SparkContext or SparkSession variable in scope; there is no
fix without one) and reads `rates_bc.value` inside the function.  It is unsafe:
a function that mutates the captured object would now mutate the executor's
shared, cached broadcast copy, and the broadcast stays in memory until it is
unpersisted.
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...rules.base import python_rule
from . import _closures as C

_QUICK = frozenset(C.SHIP_ARGS) | {"udf", "pandas_udf", "register"}
_CONTAINER_CALLS = frozenset({"dict", "set", "frozenset", "list", "tuple", "sorted"})
_CONTAINER_METHODS = frozenset({"to_dict", "tolist", "to_list", "to_numpy", "to_records", "collectAsMap",
                                "collect", "toPandas", "asDict"})
_TO_DRIVER = ("collect", "collectAsMap", "toPandas", "take", "tail", "head", "collectAsList")


@python_rule("SPK402", "closure-captures-large-object", "warning", ast.Call, ast.FunctionDef,
             ast.AsyncFunctionDef)
def closure_captures_large_object(node, ctx) -> None:
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        if name not in _QUICK:
            return
    elif not node.decorator_list:
        return
    for sh in C.shipped(node, ctx):
        _check(sh, ctx)


def _check(sh: C.Shipped, ctx) -> None:
    fn = sh.fn
    direct: list[tuple[C.Capture, ast.AST]] = []
    via: list[tuple[C.Capture, ast.AST]] = []
    if fn is not None and "SPK402" not in getattr(fn, "_cl_reported", ()):
        for c in C.captured(sh, ctx):
            big = _large_source(c.name, c.value, sh, ctx)
            if big is not None:
                (via if c.via else direct).append((c, big))
    partial_args = []
    for a in sh.bound_args:
        if isinstance(a, ast.Name):
            big = _large_source(a.id, ctx.lookup(a.id), sh, ctx)
            if big is not None:
                partial_args.append((a, big))
    if not (direct or via or partial_args):
        return
    if fn is not None and (direct or via):
        C.reported(fn, "SPK402")
    subj = C.subject(sh, ctx)
    sc = _sc_expr(sh, ctx)
    if direct:
        fix, bcs = _fix(sh, [c for c, _ in direct], sc, ctx)
        what = "; ".join(f"`{c.name}` ({_describe(src, ctx)})" for c, src in direct)
        todo = " and ".join(_advice(c.name, bcs.get(c.name), sc, sh, ctx) for c, _ in direct)
        at = C.report_at(sh, C.first([C.first(c.nodes) for c, _ in direct]), ctx)
        ctx.report(at, f"{subj} captures {what}, pickled into every task: {todo}", fix=fix)
    for c, src in via:
        ctx.report(C.report_at(sh, C.first(c.nodes), ctx), f"`{c.via}`, called by {subj}, captures `{c.name}` "
                                      f"({_describe(src, ctx)}), pickled into every task: "
                                      f"{_advice(c.name, None, sc, sh, ctx)}")
    for a, src in partial_args:
        ctx.report(a, f"`partial(...)` binds `{a.id}` ({_describe(src, ctx)}) to the function passed to "
                      f"{C.describe_site(sh, ctx)}, pickled into every task: {_advice(a.id, None, sc, sh, ctx)}")


def _advice(name: str, bc: str | None, sc: str | None, sh=None, ctx=None) -> str:
    if bc is None and ctx is not None:
        bc = _existing_broadcast(name, ctx) or _bc_name(name, C.module_names(sh.site, ctx), set(), ctx)
    bc = bc or f"{name}_bc"
    if sc is None:
        return (f"broadcast `{name}` once (`{bc} = <SparkContext>.broadcast({name})`) and read `{bc}.value` "
                f"inside")
    return f"broadcast `{name}` once (`{bc} = {sc}.broadcast({name})`) and read `{bc}.value` inside"


# ----------------------------------------------------------------------------- what is large
def _large_source(name: str, v: V.Value | None, sh, ctx) -> ast.AST | None:
    """The expression that made ``name`` large, or None."""
    if v is not None:
        if v.kind not in (V.LOCAL, V.PANDAS):
            return None
        if v.large and not _bounded_fetch(v.node):
            return v.node if v.node is not None else ast.Name(name)
        if v.node is not None and _container_from_large(v.node, ctx):
            return v.node
        return None
    if not ctx.is_bound(name) or not sh.inline and sh.fn is not None and C._owner(sh.fn, ctx) is not \
            C._owner(sh.site, ctx):
        return None
    expr = _binding(name, sh.site, ctx)  # bound to something the dataflow does not know (`x.to_dict()`)
    if expr is not None and _container_from_large(expr, ctx):
        return expr
    return None


def _bounded_fetch(node: ast.AST | None) -> bool:
    """``df.take(10)`` / ``head(5)``: a few rows, whatever the dataflow says about the frame."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("take", "head", "tail", "top", "takeOrdered", "takeSample", "first"))


def _binding(name: str, site: ast.AST, ctx) -> ast.AST | None:
    """The value of the last plain ``name = ...`` before ``site`` in its enclosing blocks."""
    node = ctx.statement(site)
    while node is not None:
        parent = ctx.parent(node)
        if parent is None:
            return None
        for fname in ("body", "orelse", "finalbody"):
            block = getattr(parent, fname, None)
            if isinstance(block, list) and node in block:
                for stmt in reversed(block[: block.index(node)]):
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                            isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == name:
                        return stmt.value
                    if any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
                           for n in ast.walk(stmt)):
                        return None  # bound some other way (a loop, a with, augmented)
                break
        if isinstance(parent, C.FUNC_TYPES + (ast.ClassDef, ast.Module)):
            return None
        node = parent
    return None


def _container_from_large(expr: ast.AST, ctx) -> bool:
    """A dict/set/list built from large driver data: comprehensions, dict(...), .to_dict(), ..."""
    if isinstance(expr, (ast.ListComp, ast.SetComp, ast.DictComp)):
        return _mentions_large(expr.generators[0].iter, ctx)
    if isinstance(expr, ast.Call):
        f = expr.func
        if isinstance(f, ast.Name) and f.id in _CONTAINER_CALLS and not ctx.is_bound(f.id) and expr.args:
            return _mentions_large(expr.args[0], ctx)
        if isinstance(f, ast.Attribute) and f.attr in _CONTAINER_METHODS:
            return _mentions_large(f.value, ctx)
    if isinstance(expr, ast.Attribute) and expr.attr == "values":
        return _mentions_large(expr.value, ctx)
    return False


def _mentions_large(expr: ast.AST, ctx) -> bool:
    for n in ast.walk(expr):
        if isinstance(n, (ast.Name, ast.Call)):
            v = ctx.value(n)
            if v is not None and v.kind in (V.LOCAL, V.PANDAS) and v.large and not _bounded_fetch(v.node):
                return True
    return False


def _describe(src: ast.AST, ctx) -> str:
    """What makes the captured value large, in the user's terms."""
    if not hasattr(src, "lineno"):
        return "large driver-side data"
    for n in ast.walk(src):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _TO_DRIVER:
            return f"a `{n.func.attr}()` result of data not known to be small"
        if isinstance(n, ast.Call):
            q = ctx.qualname(n.func) or ""
            if q.startswith("pandas.read_"):
                return f"a pandas DataFrame read on the driver with `{C.short(ctx.segment(n), 40)}`"
    if isinstance(src, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        n = len(src.keys) if isinstance(src, ast.Dict) else len(src.elts)
        return f"a literal with {n} elements"
    for n in ast.walk(src):
        if isinstance(n, ast.Name) and n is not src:
            v = ctx.value(n)
            if v is not None and v.kind in (V.LOCAL, V.PANDAS) and v.large:
                return f"built from `{n.id}`"
    return f"large driver-side data: `{C.short(ctx.segment(src), 40)}`"


# ----------------------------------------------------------------------------- the fix
def _sc_expr(sh: C.Shipped, ctx) -> str | None:
    """A SparkContext expression visible where the function is shipped."""
    contexts, sessions, seen = [], [], set()
    s, first = getattr(ctx, "_scope", None), True
    while s is not None:
        if first or not isinstance(s.node, ast.ClassDef):
            for k, v in s.vars.items():
                if "." in k or k in seen:
                    continue
                seen.add(k)
                if v is not None and v.kind == V.CONTEXT:
                    contexts.append(k)
                elif v is not None and v.kind == V.SESSION:
                    sessions.append(k)
        first = False
        s = s.parent
    if contexts:
        return "sc" if "sc" in contexts else contexts[0]
    if sessions:
        return f"{'spark' if 'spark' in sessions else sessions[0]}.sparkContext"
    m = C.method_of(sh.site, ctx)
    if m is not None:
        _, self_name, cls = m
        attrs = {n.attr for n in ast.walk(cls) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
                 and isinstance(n.value, ast.Name) and n.value.id == self_name}
        for a in sorted(attrs & C.CONTEXT_ATTRS):
            return f"{self_name}.{a}"
        for a in sorted(attrs & C.SESSION_ATTRS):
            return f"{self_name}.{a}.sparkContext"
    loads = ctx.state.loads
    if "sc" in loads and not ctx.is_bound("sc"):
        return "sc"
    if "spark" in loads and not ctx.is_bound("spark"):
        return "spark.sparkContext"
    return None


def _fix(sh: C.Shipped, caps: list, sc: str | None, ctx):
    bcs: dict[str, str] = {}
    fn = sh.fn
    if any(n in C.default_names(fn).get(c.name, ()) for c in caps for n in c.nodes):
        return None, bcs  # `lambda x, lookup=lookup:`: the default is pickled anyway
    if not sh.inline and C._owner(fn, ctx) is not C._owner(sh.site, ctx):
        return None, bcs  # a def from another scope would not see the broadcast variable
    if any(isinstance(p, ast.Lambda) for p in ctx.ancestors(sh.site)) and sh.inline:
        return None, bcs
    point = C.insertion_point(ctx.statement(sh.site), ctx)
    used = C.names_in(fn) | set(ctx.state.loads) | C.module_names(sh.site, ctx)
    lines, edits = [], []
    for c in caps:
        existing = _existing_broadcast(c.name, ctx)
        if existing is not None:
            bcs[c.name] = existing
            continue
        cand = _bc_name(c.name, used, set(bcs.values()), ctx)
        if cand is None:
            return None, bcs
        bcs[c.name] = cand
        if sc is None or point is None:
            return None, bcs
        lines.append(f"{point[1]}{bcs[c.name]} = {sc}.broadcast({c.name})\n")
    if lines:
        edits.append(ctx.source.insert_before_line(point[0], "".join(lines)))
    for c in caps:
        for n in c.nodes:
            edits.append(ctx.source.replace(n, f"{bcs[c.name]}.value"))
    names = ", ".join(f"`{c.name}`" for c in caps)
    return ctx.fix(f"Broadcast {names} once and read the broadcast value inside the function", edits,
                   safe=False), bcs


def _bc_name(name: str, used: set, taken: set, ctx) -> str | None:
    for cand in (f"{name}_bc", f"{name}_broadcast", *(f"{name}_bc{i}" for i in range(2, 50))):
        if cand not in used and cand not in taken and not ctx.is_bound(cand):
            return cand
    return None


def _existing_broadcast(name: str, ctx) -> str | None:
    """A variable already holding ``<sc>.broadcast(name)``."""
    s = getattr(ctx, "_scope", None)
    while s is not None:
        for k, v in s.vars.items():
            if v is not None and v.kind == V.BROADCAST and "." not in k and isinstance(v.node, ast.Call) \
                    and v.node.args and isinstance(v.node.args[0], ast.Name) and v.node.args[0].id == name:
                return k
        s = s.parent
    return None
