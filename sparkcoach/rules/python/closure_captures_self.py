"""## What it does
Checks for a function shipped to the executors from inside a method that reads
`self` (`self.factor`, `self.lookup[x]`, `self.clean(x)`), and for a bound
method passed as the function (`rdd.map(self.parse)`).  Shipped means passed to
an RDD operation such as `rdd.map`, to `DataFrame.foreach`/`mapInPandas`, or
wrapped as a UDF.

## Why is this bad?
Spark pickles the function together with everything it references, so the
whole object behind `self` — every field, including large ones — travels with
every task, and the job fails with "It appears that you are attempting to
reference SparkContext from a broadcast variable, action, or transformation"
when the object holds the SparkSession or SparkContext (as most job classes do).

Copying the needed fields into local variables first ships only those values.
Functions given to pandas (`series.map(lambda x: self.lookup[x])`) run on the
driver and are not reported, nor are `@staticmethod`s passed as `self.parse`.

## Example
```python
class Scaler:
    def __init__(self, spark, factor):
        self.spark = spark
        self.factor = factor

    def run(self, rdd):
        return rdd.map(lambda x: x * self.factor)
```

Use instead:
```python
class Scaler:
    def __init__(self, spark, factor):
        self.spark = spark
        self.factor = factor

    def run(self, rdd):
        factor = self.factor
        return rdd.map(lambda x: x * factor)
```

## Fix safety
The fix applies when the function only reads plain attributes (`self.factor`,
not method calls or assignments): it adds `factor = self.factor` just before
the statement shipping the function and uses the local inside it.  It is safe:
the attribute is read once on the driver instead of from a pickled copy of the
object, and it is not offered when the method assigns that attribute after the
copy.  Bound methods and method calls get no fix: make the method a
`@staticmethod` or a module-level function.
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...rules.base import python_rule
from . import _closures as C

_QUICK = frozenset(C.SHIP_ARGS) | {"udf", "pandas_udf", "register"}


@python_rule("SPK401", "closure-captures-self", "warning", ast.Call, ast.FunctionDef, ast.AsyncFunctionDef)
def closure_captures_self(node, ctx) -> None:
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        if name not in _QUICK:
            return
    elif not node.decorator_list:
        return
    if ctx.enclosing(node, ast.ClassDef) is None:
        return
    for sh in C.shipped(node, ctx):
        target = sh.arg.args[0] if isinstance(sh.arg, ast.Call) and sh.arg.args else sh.arg
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            _bound_method(sh, target, ctx)
        elif sh.fn is not None:
            _closure(sh, ctx)


def _bound_method(sh: C.Shipped, target: ast.Attribute, ctx) -> None:
    m = C.method_of(sh.site, ctx)
    if m is None:
        return
    method, self_name, cls = m
    if target.value.id != self_name:
        return
    d = C.class_method_def(cls, target.attr)
    if d is None or not C._is_instance_method(d) or _is_property(d):
        return  # inherited, an attribute holding a function, a staticmethod, a property
    first = (d.args.posonlyargs + d.args.args)[0].arg
    uses_self = any(isinstance(n, ast.Name) and n.id == first for b in d.body for n in ast.walk(b))
    where = C.describe_site(sh, ctx)
    advice = (f"copy the fields `{target.attr}` needs into local variables and pass a module-level function"
              if uses_self else
              f"`{target.attr}` does not use `self`: make it a `@staticmethod` and pass `{cls.name}.{target.attr}`"
              f" (or move it to module level)")
    ctx.report(target, f"{where} gets the bound method `{ctx.segment(target)}`, so "
                       f"{_pickled(cls, self_name, ctx)}: {advice}")


def _pickled(cls: ast.ClassDef, self_name: str, ctx) -> str:
    """"the whole `Job` object is pickled ..." — saying so when it holds the session or context."""
    held = _spark_field(cls, self_name)
    if held is None:
        return (f"the whole `{cls.name}` object is pickled with every task (and fails if it holds the "
                f"SparkSession or SparkContext)")
    attr, what = held
    return (f"the whole `{cls.name}` object is pickled with every task, and it holds the {what} "
            f"(`{self_name}.{attr}`), which makes the job fail")


def _spark_field(cls: ast.ClassDef, self_name: str) -> tuple[str, str] | None:
    """The ``self.spark = ...`` / ``self.sc = ...`` field a class assigns, if any; cached."""
    held = getattr(cls, "_cl_spark_field", False)
    if held is not False:
        return held
    held = None
    for n in ast.walk(cls):
        if isinstance(n, ast.Assign) and len(n.targets) == 1:
            t = n.targets[0]
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name:
                if t.attr in C.SELF_SESSION_ATTRS:
                    held = (t.attr, "SparkSession")
                    break
                if t.attr in C.SELF_CONTEXT_ATTRS:
                    held = (t.attr, "SparkContext")
                    break
    cls._cl_spark_field = held  # type: ignore[attr-defined]
    return held


def _is_property(d: ast.AST) -> bool:
    for dec in d.decorator_list:
        n = dec.attr if isinstance(dec, ast.Attribute) else getattr(dec, "id", None)
        if n in ("property", "cached_property"):
            return True
    return False


def _closure(sh: C.Shipped, ctx) -> None:
    fn = sh.fn
    if "SPK401" in getattr(fn, "_cl_reported", ()):
        return
    m = C.self_of_closure(sh, ctx)
    if m is None:
        return
    method, self_name, cls = m
    occurrences = list(C.free_names(fn).get(self_name, ()))
    defaults = C.default_names(fn).get(self_name, [])
    if not occurrences and not defaults:
        return
    uses = [_classify(n, cls, ctx) for n in occurrences] + [("bare", n, None) for n in defaults]
    if all(kind == "spark" for kind, _, _ in uses):
        return  # only self.spark / self.sc: SPK403 reports the closure
    uses.sort(key=lambda u: (u[1].lineno, u[1].col_offset))
    C.reported(fn, "SPK401")
    where = C.describe_site(sh, ctx)
    subj = C.subject(sh, ctx)
    obj = _pickled(cls, self_name, ctx)
    calls = [u for u in uses if u[0] == "call"]
    stores = [u for u in uses if u[0] == "store"]
    bare = [u for u in uses if u[0] == "bare"]
    reads = [u for u in uses if u[0] == "read"]
    at = C.report_at(sh, _report_node(sh, [u for u in uses if u[0] != "spark"], ctx), ctx)
    if calls:
        _, n, attr = calls[0]
        ctx.report(at, f"{subj} calls `{self_name}.{attr}(...)`, so {obj}: make `{attr}` a "
                       f"`@staticmethod` or a module-level function and copy the fields it needs into local "
                       f"variables before {where}")
        return
    if stores:
        _, n, attr = stores[0]
        ctx.report(at, f"{subj} assigns `{self_name}.{attr}`, so {obj}, and the change "
                       f"happens on a copy on the executors, never on the driver: return the values or use an "
                       f"accumulator")
        return
    if bare:
        ctx.report(at, f"{subj} uses `{self_name}` itself, so {obj}: copy the fields it "
                       f"needs into local variables before {where} and use those")
        return
    attrs = list(dict.fromkeys(attr for _, _, attr in reads))
    if len(reads) == len(uses):
        fix, names = _fix(sh, reads, attrs, method, self_name, ctx)
    else:  # it also reads self.spark / self.sc (SPK403): a local copy would not stop pickling self
        fix, names = None, {a: a.lstrip("_") or "value" for a in attrs}
    locals_ = ", ".join(f"`{names[a]} = {self_name}.{a}`" for a in attrs)
    uses_txt = ", ".join(f"`{names[a]}`" for a in attrs)
    ctx.report(at, f"{subj} reads {', '.join(f'`{self_name}.{a}`' for a in attrs)}, so {obj}: copy "
                   f"{'it to a local' if len(attrs) == 1 else 'them to locals'} first ({locals_}) and use "
                   f"{uses_txt} inside", fix=fix)


def _report_node(sh: C.Shipped, uses, ctx) -> ast.AST:
    kind, n, _ = uses[0]
    p = C.cl_parent(n)
    if kind in ("read", "store", "spark") and isinstance(p, ast.Attribute):
        return p
    if kind == "call" and isinstance(p, ast.Attribute):
        return C.cl_parent(p) or p
    return n


def _classify(n: ast.Name, cls: ast.ClassDef, ctx) -> tuple[str, ast.Name, str | None]:
    p = C.cl_parent(n)
    if not (isinstance(p, ast.Attribute) and p.value is n):
        return "bare", n, None
    attr = p.attr
    if not isinstance(p.ctx, ast.Load):
        return "store", n, attr
    gp = C.cl_parent(p)
    if isinstance(gp, ast.Call) and gp.func is p:
        return "call", n, attr
    if isinstance(gp, (ast.AugAssign,)) and gp.target is p:
        return "store", n, attr
    if C.self_spark_attr(p):
        return "spark", n, attr
    d = C.class_method_def(cls, attr)
    if d is not None and not _is_property(d):
        return "call", n, attr  # a bound method passed along: copying it still ships self
    return "read", n, attr


# ----------------------------------------------------------------------------- the fix
def _fix(sh, reads, attrs, method, self_name, ctx):
    names = {a: a.lstrip("_") or "value" for a in attrs}
    stmt = ctx.statement(sh.site) if sh.inline else ctx.statement(sh.fn)
    point = C.insertion_point(stmt, ctx)
    if point is None or any(v is not None and v.kind in (V.SESSION, V.CONTEXT, V.DATAFRAME, V.RDD)
                            for v in (ctx.value(C.cl_parent(n)) for _, n, _ in reads)):
        return None, names
    line, indent = point
    used, stored = _method_info(method, self_name)
    stores = [ln for a in attrs for ln in stored.get(a, ())]
    if any(ln >= line for ln in stores) or (stores and _in_loop(stmt, method, ctx)):
        return None, names
    existing = _copies_before(stmt, self_name, ctx)
    taken: set[str] = set()
    lines = []
    for a in attrs:
        if a in existing:
            names[a] = existing[a]
            continue
        base = names[a]
        for cand in (base, f"{base}_value", f"{base}_local", *(f"{base}_{i}" for i in range(2, 50))):
            if cand not in used and cand not in C.BUILTIN_NAMES and cand not in taken and cand.isidentifier():
                names[a] = cand
                break
        else:
            return None, names
        taken.add(names[a])
        lines.append(f"{indent}{names[a]} = {self_name}.{a}\n")
    edits = [ctx.source.insert_before_line(line, "".join(lines))] if lines else []
    for _, n, a in reads:
        edits.append(ctx.source.replace(C.cl_parent(n), names[a]))
    desc = ", ".join(f"{names[a]} = {self_name}.{a}" for a in attrs)
    return ctx.fix(f"Copy {desc} into a local before shipping the function", edits, safe=True), names


def _method_info(method: ast.AST, self_name: str) -> tuple[set[str], dict[str, list[int]]]:
    """Identifiers used in the method, and the lines assigning each ``self.<attr>``; cached."""
    info = getattr(method, "_cl_info", None)
    if info is None:
        used: set[str] = set()
        stored: dict[str, list[int]] = {}
        for n in ast.walk(method):
            t = type(n)
            if t is ast.Name:
                used.add(n.id)
            elif t is ast.arg:
                used.add(n.arg)
            elif t is ast.Attribute:
                if not isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) and n.value.id == self_name:
                    stored.setdefault(n.attr, []).append(n.lineno)
            elif t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                used.add(n.name)
            elif t in (ast.Global, ast.Nonlocal):
                used.update(n.names)
            elif t is ast.alias:
                used.add(n.asname or n.name.split(".", 1)[0])
        info = (used, stored)
        method._cl_info = info  # type: ignore[attr-defined]
    return info


def _in_loop(stmt, method, ctx) -> bool:
    for p in ctx.ancestors(stmt):
        if p is method:
            return False
        if isinstance(p, (ast.For, ast.AsyncFor, ast.While)):
            return True
    return False


def _copies_before(stmt, self_name: str, ctx) -> dict[str, str]:
    """``factor = self.factor`` statements right before ``stmt`` (a previous fix): attr -> local."""
    parent = ctx.parent(stmt)
    block = None
    for fname in ("body", "orelse", "finalbody"):
        b = getattr(parent, fname, None)
        if isinstance(b, list) and stmt in b:
            block = b
            break
    out: dict[str, str] = {}
    if block is None:
        return out
    for s in reversed(block[: block.index(stmt)]):
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.Attribute) and isinstance(s.value.value, ast.Name)
                and s.value.value.id == self_name):
            break
        out.setdefault(s.value.attr, s.targets[0].id)
    return out
