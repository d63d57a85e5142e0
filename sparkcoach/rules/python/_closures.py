"""Which functions a PySpark program ships to the executors, and what they capture.

Private helpers shared by SPK401-SPK404 (not a rule module: it defines no rule).

A *shipped* function is a lambda or def passed to an RDD operation
(``rdd.map(f)``, ``reduceByKey(f)``, ...), to ``DataFrame.foreach`` /
``foreachPartition`` / ``mapInPandas``, to ``GroupedData.applyInPandas``, to
``DataStreamWriter.foreach``, or wrapped as a UDF (``udf(f)``, ``@udf``,
``spark.udf.register(name, f)``).  Spark pickles it, together with everything
it references, into every task.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from dataclasses import dataclass, field

from ...engine import values as V
from ...engine.dataflow import CONTEXT_ATTRS, SESSION_ATTRS, name_hint_value

FUNC_TYPES = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)
DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
BUILTIN_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(getattr(keyword, "softkwlist", ()))

# Names a notebook or the pyspark shell provides without an import (mirrors the engine's table).
_DEFAULT_IMPORTS = frozenset({"F", "T", "Window", "StorageLevel", "SparkSession", "SparkContext", "SparkConf"})

# method -> the (position, keyword) of each function argument it ships
_F = ((0, "f"),)
SHIP_ARGS: dict[str, tuple[tuple[int, str], ...]] = {
    "map": _F, "flatMap": _F, "filter": _F, "foreach": _F, "foreachPartition": _F,
    "mapPartitions": _F, "mapPartitionsWithIndex": _F, "mapPartitionsWithSplit": _F,
    "mapValues": _F, "flatMapValues": _F, "keyBy": _F, "groupBy": _F, "reduce": _F, "treeReduce": _F,
    "sortBy": ((0, "keyfunc"),), "fold": ((1, "op"),),
    "aggregate": ((1, "seqOp"), (2, "combOp")), "treeAggregate": ((1, "seqOp"), (2, "combOp")),
    "reduceByKey": ((0, "func"),), "reduceByKeyLocally": ((0, "func"),), "foldByKey": ((1, "func"),),
    "aggregateByKey": ((1, "seqFunc"), (2, "combFunc")),
    "combineByKey": ((0, "createCombiner"), (1, "mergeValue"), (2, "mergeCombiners")),
    "partitionBy": ((1, "partitionFunc"),), "groupByKey": ((1, "partitionFunc"),),
    "sortByKey": ((2, "keyfunc"),),
    "mapInPandas": ((0, "func"),), "mapInArrow": ((0, "func"),), "applyInPandas": ((0, "func"),),
    "applyInPandasWithState": ((0, "func"),), "applyInArrow": ((0, "func"),),
}
# Methods no pandas/builtin object has: an unknown receiver calling them is Spark's.
SPARK_ONLY_METHODS = frozenset({
    "flatMap", "mapPartitions", "mapPartitionsWithIndex", "mapPartitionsWithSplit", "mapValues",
    "flatMapValues", "keyBy", "reduceByKey", "reduceByKeyLocally", "foldByKey", "aggregateByKey",
    "combineByKey", "groupByKey", "sortByKey", "treeReduce", "treeAggregate", "foreachPartition",
    "mapInPandas", "mapInArrow", "applyInPandas", "applyInPandasWithState", "applyInArrow",
})
# Which receiver kinds each method ships functions for (beyond RDD).
DF_SHIP = frozenset({"foreach", "foreachPartition", "mapInPandas", "mapInArrow"})
GROUPED_SHIP = frozenset({"applyInPandas", "applyInPandasWithState", "applyInArrow"})


@dataclass
class Shipped:
    """One function shipped to the executors."""

    site: ast.AST  # the shipping Call, or the decorated def
    method: str  # "map", "foreach", ..., "udf", "register"
    arg: ast.AST | None  # the expression passed (lambda, name, self.method, partial(...)); the def for @udf
    fn: ast.AST | None  # the lambda / def it resolves to
    inline: bool  # fn is written at the shipping site (a lambda argument or the decorated def)
    receiver: ast.AST | None = None
    recv_kind: str | None = None
    bound_args: list = field(default_factory=list)  # partial(f, a, b=c): a and c are pickled too

    @property
    def anchor(self) -> ast.AST:
        """A node of the function's surroundings that the walk has already visited."""
        return self.site if self.inline or self.fn is None else self.fn


# ----------------------------------------------------------------------------- shipping sites
def shipped(node: ast.AST, ctx) -> list[Shipped]:
    """The functions ``node`` (a Call or a decorated def) ships to the executors; cached on the node."""
    cached = getattr(node, "_cl_shipped", None)
    if cached is not None:
        return cached
    out = _shipped(node, ctx)
    node._cl_shipped = out  # type: ignore[attr-defined]
    return out


def _shipped(node: ast.AST, ctx) -> list[Shipped]:
    if isinstance(node, DEF_TYPES):
        for d in node.decorator_list:
            if _is_udf_factory(d.func if isinstance(d, ast.Call) else d, ctx):
                return [Shipped(node, "udf", node, node, True)]
        return []
    if not isinstance(node, ast.Call):
        return []
    f = node.func
    if isinstance(f, ast.Attribute):
        name = f.attr
        spec = SHIP_ARGS.get(name)
        if spec is not None:
            kind = receiver_kind(f.value, ctx)
            if not _receiver_ok(name, kind) or (kind is None and not ctx.spark_aware):
                return []
            out = []
            for index, kw in spec:
                a = _arg(node, index, kw)
                if a is not None:
                    out.append(_resolve(node, name, a, ctx, f.value, kind))
            return [s for s in out if s is not None]
        if name == "register" and isinstance(f.value, ast.Attribute) and f.value.attr == "udf":
            a = _arg(node, 1, "f")
            if a is not None:
                s = _resolve(node, "register", a, ctx, None, None)
                return [s] if s is not None else []
            return []
        if name not in ("udf", "pandas_udf"):
            return []
    elif not (isinstance(f, ast.Name) and f.id in ctx.state.imports):
        return []  # udf(...) needs an import (from pyspark.sql.functions import udf [as ...])
    if _is_udf_factory(f, ctx):
        a = _arg(node, 0, "f")
        if a is not None and not _looks_like_type(a):
            s = _resolve(node, "udf", a, ctx, None, None)
            return [s] if s is not None else []
    return []


def _is_udf_factory(f: ast.AST, ctx) -> bool:
    q = ctx.qualname(f) or ""
    return q.startswith("pyspark") and q.rsplit(".", 1)[-1] in ("udf", "pandas_udf")


def _looks_like_type(a: ast.AST) -> bool:
    """``udf(StringType())`` / ``udf("string")``: a decorator factory, not a function."""
    if isinstance(a, ast.Constant):
        return True
    if isinstance(a, ast.Call):
        f = a.func
        n = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return n.endswith("Type") and n != "partial"
    if isinstance(a, (ast.Name, ast.Attribute)):
        n = a.attr if isinstance(a, ast.Attribute) else a.id
        return n.endswith("Type") or n == "PandasUDFType"
    return False


def _arg(call: ast.Call, index: int, kw: str) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == kw:
            return k.value
    for i, a in enumerate(call.args):
        if isinstance(a, ast.Starred):
            return None
        if i == index:
            return a
    return None


def receiver_kind(recv: ast.AST, ctx) -> str | None:
    """Kind of a method receiver, with the attribute hints the engine leaves out (``self.df``, ``x.rdd``)."""
    v = ctx.value(recv)
    if v is not None:
        return v.kind
    if isinstance(recv, ast.Attribute):
        if recv.attr == "rdd":
            return V.RDD
        if ctx.spark_aware:
            h = name_hint_value(recv.attr)
            if h is not None:
                return h.kind
    return None


def _receiver_ok(name: str, kind: str | None) -> bool:
    if kind is None:
        return name in SPARK_ONLY_METHODS
    if kind == V.RDD:
        return name not in ("mapInPandas", "mapInArrow") and name not in GROUPED_SHIP
    if kind == V.DATAFRAME:
        return name in DF_SHIP
    if kind == V.GROUPED:
        return name in GROUPED_SHIP
    if kind == V.WRITER:
        return name == "foreach"  # DataStreamWriter.foreach(f); foreachBatch runs on the driver
    return False


def _resolve(call, method, a, ctx, recv, kind) -> Shipped | None:
    bound: list = []
    if isinstance(a, ast.Call) and ctx.qualname(a.func) == "functools.partial" and a.args:
        bound = list(a.args[1:]) + [k.value for k in a.keywords]
        inner = a.args[0]
        fn = _function(inner, call, ctx)
        return Shipped(call, method, a, fn, False, recv, kind, bound)
    if isinstance(a, ast.Lambda):
        return Shipped(call, method, a, a, True, recv, kind)
    if isinstance(a, (ast.Name, ast.Attribute)):
        return Shipped(call, method, a, _function(a, call, ctx), False, recv, kind)
    return None


def _function(a: ast.AST, call: ast.AST, ctx) -> ast.AST | None:
    """The def/lambda a name refers to (following ``f = udf(g)`` once, and ``f = lambda ...``)."""
    if not isinstance(a, ast.Name):
        return None
    fn = ctx.function_of(a)
    if isinstance(fn, ast.Name):  # my_udf = F.udf(parse): the Value's func is the name `parse`
        fn = ctx.function_of(fn)
    if isinstance(fn, FUNC_TYPES):
        return fn
    if fn is None and ctx.is_bound(a.id) and ctx.lookup(a.id) is None:
        return _assigned_lambda(a.id, call, ctx)
    return None


def _assigned_lambda(name: str, call: ast.AST, ctx) -> ast.Lambda | None:
    """``parse = lambda line: ...`` earlier in the enclosing blocks of the same function."""
    node = ctx.statement(call)
    while node is not None:
        parent = ctx.parent(node)
        if parent is None:
            return None
        for fname in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, fname, None)
            if isinstance(block, list) and node in block:
                for stmt in reversed(block[: block.index(node)]):
                    if isinstance(stmt, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                        return stmt.value if isinstance(stmt.value, ast.Lambda) else None
                    if isinstance(stmt, DEF_TYPES + (ast.ClassDef,)) and stmt.name == name:
                        return None
                break
        if isinstance(parent, FUNC_TYPES + (ast.ClassDef, ast.Module)):
            return None
        node = parent
    return None


# ----------------------------------------------------------------------------- free names
def free_names(fn: ast.AST) -> dict[str, list[ast.Name]]:
    """Names ``fn`` reads from outside itself -> their load nodes (own parameters and locals excluded).

    Also records a private parent link (``_cl_parent``) on the nodes inside ``fn``,
    since the walk has not reached a lambda argument when a rule looks at its call.
    """
    cached = getattr(fn, "_cl_free", None)
    if cached is None:
        cached = _Free().scope(fn)
        fn._cl_free = cached  # type: ignore[attr-defined]
    return cached


class _Free:
    def scope(self, node: ast.AST) -> dict[str, list[ast.Name]]:
        bound: set[str] = set()
        outer: set[str] = set()
        loads: dict[str, list[ast.Name]] = {}
        if isinstance(node, FUNC_TYPES):
            a = node.args
            for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
                if x is not None:
                    bound.add(x.arg)
            body = node.body if isinstance(node.body, list) else [node.body]
            for child in body:
                self.visit(child, node, bound, outer, loads)
        elif isinstance(node, COMPREHENSIONS):
            for i, gen in enumerate(node.generators):
                gen._cl_parent = node  # type: ignore[attr-defined]
                if i:
                    self.visit(gen.iter, gen, bound, outer, loads)
                self.visit(gen.target, gen, bound, outer, loads)
                for cond in gen.ifs:
                    self.visit(cond, gen, bound, outer, loads)
            elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for e in elts:
                self.visit(e, node, bound, outer, loads)
        elif isinstance(node, ast.ClassDef):
            for child in node.body:
                self.visit(child, node, bound, outer, loads)
        return {k: v for k, v in loads.items() if k not in bound or k in outer}

    def merge(self, inner: dict, loads: dict) -> None:
        for k, v in inner.items():
            loads.setdefault(k, []).extend(v)

    def visit(self, node: ast.AST, parent: ast.AST, bound, outer, loads) -> None:
        node._cl_parent = parent  # type: ignore[attr-defined]
        t = type(node)
        if t is ast.Name:
            if isinstance(node.ctx, ast.Load):
                loads.setdefault(node.id, []).append(node)
            else:
                bound.add(node.id)
            return
        if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            if t is not ast.Lambda:
                bound.add(node.name)
                for d in node.decorator_list:
                    self.visit(d, node, bound, outer, loads)
            for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.visit(d, node, bound, outer, loads)
            self.merge(self.scope(node), loads)
            return
        if t is ast.ClassDef:
            bound.add(node.name)
            for b in node.bases + node.decorator_list:
                self.visit(b, node, bound, outer, loads)
            self.merge(self.scope(node), loads)
            return
        if t in COMPREHENSIONS:
            first = node.generators[0]
            self.visit(first.iter, node, bound, outer, loads)
            self.merge(self.scope(node), loads)
            return
        if t in (ast.Global, ast.Nonlocal):
            outer.update(node.names)
            return
        if t in (ast.Import, ast.ImportFrom):
            for a in node.names:
                bound.add(a.asname or a.name.split(".", 1)[0])
            return
        if t is ast.ExceptHandler and node.name:
            bound.add(node.name)
        elif t is ast.MatchAs and node.name or t is ast.MatchStar and node.name:
            bound.add(node.name)
        elif t is ast.MatchMapping and node.rest:
            bound.add(node.rest)
        for child in ast.iter_child_nodes(node):
            self.visit(child, node, bound, outer, loads)


def cl_parent(node: ast.AST) -> ast.AST | None:
    return getattr(node, "_cl_parent", None)


def default_names(fn: ast.AST) -> dict[str, list[ast.Name]]:
    """Names read by the default values of ``fn``'s own parameters (pickled with it)."""
    out: dict[str, list[ast.Name]] = {}
    if not isinstance(fn, FUNC_TYPES):
        return out
    for d in fn.args.defaults + [d for d in fn.args.kw_defaults if d is not None]:
        for n in ast.walk(d):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                out.setdefault(n.id, []).append(n)
    return out


# ----------------------------------------------------------------------------- name resolution
def _owner(node: ast.AST, ctx) -> ast.AST | None:
    """The function / class / lambda whose scope ``node`` is evaluated in (None: the module)."""
    return ctx.enclosing(node, FUNC_TYPES + (ast.ClassDef,))


def scope_of(sh: Shipped, ctx):
    """The engine scope the shipped function's free names resolve in, or None if out of reach."""
    scope = getattr(ctx, "_scope", None)
    if scope is None or sh.inline or sh.fn is None:
        return scope
    owner = _owner(sh.fn, ctx)
    s = scope
    while s is not None:
        if (owner is None and s.parent is None) or (owner is not None and s.node is owner):
            return s
        s = s.parent
    return None


def lookup_in(ctx, scope, name: str) -> V.Value | None:
    """``ctx.lookup`` from a given scope (class bodies are not visible from nested functions)."""
    if scope is None:
        return None
    s, first = scope, True
    while s is not None:
        if (first or not isinstance(s.node, ast.ClassDef)) and name in s.vars:
            return s.vars[name]
        first = False
        s = s.parent
    if name in ctx.state.imports or name in _DEFAULT_IMPORTS:
        return None
    if ctx.spark_aware and "." not in name:
        return name_hint_value(name)
    return None


def is_bound_in(ctx, scope, name: str) -> bool:
    s = scope
    while s is not None:
        if name in s.vars:
            return True
        s = s.parent
    return name in ctx.state.imports


# ----------------------------------------------------------------------------- methods and self
def method_of(node: ast.AST, ctx) -> tuple[ast.FunctionDef, str, ast.ClassDef] | None:
    """The method ``node`` sits in: (def, name of its ``self`` parameter, class)."""
    for p in ctx.ancestors(node):
        if isinstance(p, DEF_TYPES):
            parent = ctx.parent(p)
            if isinstance(parent, ast.ClassDef):
                if _is_instance_method(p):
                    a = p.args.posonlyargs + p.args.args
                    return p, a[0].arg, parent
                return None
        elif isinstance(p, ast.ClassDef):
            return None
    return None


def _is_instance_method(fn: ast.AST) -> bool:
    if not (fn.args.posonlyargs or fn.args.args):
        return False
    for d in fn.decorator_list:
        n = d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", None)
        if n in ("staticmethod", "classmethod"):
            return False
    return True


def binds_name(fn: ast.AST, name: str) -> bool:
    """Whether ``fn`` (a def or lambda) has ``name`` as a parameter or assigns it."""
    a = fn.args
    for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
        if x is not None and x.arg == name:
            return True
    if isinstance(fn, ast.Lambda):
        return False
    return name not in free_names(fn) and any(
        isinstance(n, ast.Name) and n.id == name for n in ast.walk(fn))


def self_of_closure(sh: Shipped, ctx) -> tuple[ast.FunctionDef, str, ast.ClassDef] | None:
    """The method whose ``self`` the shipped function can see, if no function in between rebinds it."""
    m = method_of(sh.anchor, ctx)
    if m is None:
        return None
    method, self_name, _ = m
    start = sh.site if sh.inline else sh.fn
    for p in ctx.ancestors(start):
        if p is method:
            return m
        if isinstance(p, FUNC_TYPES) and binds_name(p, self_name):
            return None
    return None


def class_method_def(cls: ast.ClassDef, name: str) -> ast.AST | None:
    for stmt in cls.body:
        if isinstance(stmt, DEF_TYPES) and stmt.name == name:
            return stmt
    return None


def names_in(node: ast.AST) -> set[str]:
    """Every identifier used in ``node``: names, parameters, defs, global declarations."""
    out: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
        elif isinstance(n, ast.alias):
            out.add(n.asname or n.name.split(".", 1)[0])
    return out


def module_names(node: ast.AST, ctx) -> set[str]:
    """Every identifier of the file (or cell) ``node`` is in; cached on the module node."""
    root = node
    for p in ctx.ancestors(node):
        root = p
    cached = getattr(root, "_cl_names", None)
    if cached is None:
        cached = names_in(root)
        root._cl_names = cached  # type: ignore[attr-defined]
    return cached


# ----------------------------------------------------------------------------- text
def short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def describe_site(sh: Shipped, ctx) -> str:
    """``rdd.map(...)`` / ``the UDF `parse` `` for messages."""
    if sh.method == "udf" and isinstance(sh.site, DEF_TYPES):
        return f"the UDF `{sh.site.name}`"
    if sh.method in ("udf", "register"):
        return f"`{short(ctx.segment(sh.site.func), 32)}(...)`"
    recv = short_receiver(sh.receiver, ctx) if sh.receiver is not None else ""
    return f"`{recv}.{sh.method}(...)`"


def short_receiver(recv: ast.AST, ctx, limit: int = 32) -> str:
    """``orders.rdd`` as written; ``df.select(...).where(...)`` or ``rdd...reduceByKey(...)`` when long."""
    text = re.sub(r"\s*\.\s*", ".", " ".join(ctx.segment(recv).split()))
    if len(text) <= limit:
        return text
    compact = _compact(recv)
    if len(compact) <= limit + 8:
        return compact
    root = recv
    while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
        root = root.func if isinstance(root, ast.Call) else root.value
    last = recv.func if isinstance(recv, ast.Call) else recv
    if isinstance(root, ast.Name) and isinstance(last, ast.Attribute):
        return f"{root.id}...{last.attr}" + ("(...)" if isinstance(recv, ast.Call) else "")
    return short(text, limit)


def _compact(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_compact(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_compact(node.func)}({'...' if node.args or node.keywords else ''})"
    if isinstance(node, ast.Subscript):
        return f"{_compact(node.value)}[...]"
    return "(...)"


def describe_fn(sh: Shipped) -> str:
    fn = sh.fn
    if isinstance(fn, DEF_TYPES):
        return f"`{fn.name}`"
    if isinstance(sh.arg, ast.Name):
        return f"`{sh.arg.id}`"
    return "the lambda"


def insertion_point(stmt: ast.AST, ctx) -> tuple[int, str] | None:
    """(line, indentation) to insert a statement before ``stmt``; None where that is not possible."""
    if stmt is None:
        return None
    line = stmt.lineno
    if isinstance(stmt, DEF_TYPES + (ast.ClassDef,)) and stmt.decorator_list:
        line = min(d.lineno for d in stmt.decorator_list)  # the line of the first `@`
    text = ctx.source.line_text(line)
    indent = ctx.source.indent_of(line)
    stripped = text[len(indent):]
    if isinstance(stmt, DEF_TYPES + (ast.ClassDef,)) and stmt.decorator_list:
        if not stripped.startswith("@"):
            return None
    elif ctx.source.char_col(stmt.lineno, stmt.col_offset) != len(indent):
        return None  # `if x: stmt` or `a; stmt`
    if stripped.startswith("elif"):
        return None
    return line, indent


def report_at(sh: Shipped, ref: ast.AST, ctx) -> ast.AST | tuple:
    """Where a closure finding goes: the reference inside a one-line lambda, else the shipping site.

    A def shipped by name is reported at its name in the call (``rdd.map(parse)``), a decorated
    UDF at its ``@udf`` decorator, a lambda spanning lines at the lambda.
    """
    if isinstance(sh.site, DEF_TYPES) and sh.inline:
        for d in sh.site.decorator_list:
            if _is_udf_factory(d.func if isinstance(d, ast.Call) else d, ctx):
                return d
        return sh.site
    if not sh.inline:
        return sh.arg if sh.arg is not None else sh.site
    fn = sh.fn
    if isinstance(fn, ast.Lambda) and getattr(ref, "lineno", fn.lineno) != fn.lineno:
        line, col, _, _ = ctx.source.span(fn)
        return line, col, line, col + len("lambda")
    return ref


def is_spark_value(v: V.Value | None) -> bool:
    return v is not None and v.kind in (V.SESSION, V.CONTEXT, V.DATAFRAME, V.RDD)


SELF_SESSION_ATTRS = frozenset({"spark", "spark_session", "sparkSession", "_spark", "_spark_session"})
SELF_CONTEXT_ATTRS = frozenset({"sc", "sparkContext", "spark_context", "_sc", "_spark_context"})


def self_spark_attr(attr: ast.Attribute) -> bool:
    """``self.spark`` / ``self.sc``: the conventional session and context attributes."""
    return attr.attr in SELF_SESSION_ATTRS or attr.attr in SELF_CONTEXT_ATTRS


def reported(fn: ast.AST, code: str) -> bool:
    """Whether ``code`` already reported the def ``fn`` (shipped more than once); marks it."""
    if fn is None:
        return False
    done = getattr(fn, "_cl_reported", None)
    if done is None:
        done = set()
        fn._cl_reported = done  # type: ignore[attr-defined]
    if code in done:
        return True
    done.add(code)
    return False


# ----------------------------------------------------------------------------- captured values
@dataclass
class Capture:
    """A name the shipped function reads from outside, with what it holds there."""

    name: str
    value: V.Value | None
    nodes: list  # its loads in the shipped function (for ``via``: the loads of the helper's name)
    via: str | None = None  # read through this helper function (a def the shipped function calls)
    inner: list = field(default_factory=list)  # via: the loads inside the helper


def captured(sh: Shipped, ctx, depth: int = 1) -> list[Capture]:
    """Every outside name the shipped function (and, ``depth`` levels down, the defs it calls) reads."""
    fn = sh.fn
    if fn is None:
        return []
    scope = scope_of(sh, ctx)
    if scope is None:
        return []
    names: dict[str, list] = {k: list(v) for k, v in free_names(fn).items()}
    for k, v in default_names(fn).items():
        names.setdefault(k, []).extend(v)
    out = []
    for name, nodes in names.items():
        v = lookup_in(ctx, scope, name)
        out.append(Capture(name, v, nodes))
        if depth and v is not None and v.kind in (V.FUNCTION, V.UDF) and isinstance(v.func, DEF_TYPES) \
                and v.func is not fn:
            sub = Shipped(sh.site, sh.method, None, v.func, False)
            for c in captured(sub, ctx, depth - 1):
                if c.via is None:
                    out.append(Capture(c.name, c.value, nodes, name, c.nodes))
    return out


def first(nodes: list) -> ast.AST:
    return min(nodes, key=lambda n: (n.lineno, n.col_offset))


def subject(sh: Shipped, ctx) -> str:
    """"the lambda passed to `rdd.map(...)`" / "the UDF `parse`"."""
    if sh.method == "udf" and isinstance(sh.site, DEF_TYPES):
        return f"the UDF `{sh.site.name}`"
    return f"{describe_fn(sh)} passed to {describe_site(sh, ctx)}"
