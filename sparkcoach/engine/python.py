"""One walk over a Python syntax tree, dispatching to every rule that asked for the node type.

The walk also runs the light dataflow: assignments bind names to
:class:`~sparkcoach.engine.values.Value` in nested scopes, so a rule asking
``ctx.value(expr)`` sees what the code built up to that point.  A notebook is
analysed as one sequence of units (cells) sharing the module scope.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..findings import Edit, Finding, Fix
from ..rules.base import Rule
from . import values as V
from .dataflow import Inference, annotation_value, dotted as _dotted, name_hint_value
from .source import Source

# Names a notebook or the pyspark shell provides without an import.
DEFAULT_IMPORTS = {
    "F": "pyspark.sql.functions",
    "T": "pyspark.sql.types",
    "Window": "pyspark.sql.window.Window",
    "StorageLevel": "pyspark.StorageLevel",
    "SparkSession": "pyspark.sql.SparkSession",
    "SparkContext": "pyspark.SparkContext",
    "SparkConf": "pyspark.SparkConf",
}

# Names so conventional that an unknown value bound to them is still taken as what they say.
STRONG_HINTS = frozenset({"spark", "sc", "sqlContext"})

LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
SCOPES = FUNCS + (ast.ClassDef,)


class InternalError(Exception):
    pass


@dataclass
class Unit:
    """One piece of source analysed: a file, or one notebook cell."""

    source: Source
    path: str
    cell: int | None = None
    line_offset: int = 0  # lines before the parsed text within the cell (a %%magic line)


class Scope:
    __slots__ = ("vars", "parent", "node")

    def __init__(self, parent: "Scope | None", node: ast.AST | None = None):
        self.vars: dict[str, V.Value | None] = {}
        self.parent = parent
        self.node = node


@dataclass
class Load:
    seq: int
    node: ast.Name
    unit: Unit


@dataclass
class ModuleState:
    """What persists from one unit to the next (a notebook's cells)."""

    scope: Scope = field(default_factory=lambda: Scope(None))
    imports: dict[str, str] = field(default_factory=dict)
    loads: dict[str, list[Load]] = field(default_factory=dict)
    binds: dict[str, list[int]] = field(default_factory=dict)
    finishers: list[tuple[Rule, Callable]] = field(default_factory=list)
    seq: int = 0
    spark_aware: bool = False
    spark_connect: bool = False  # a unit so far built a Spark Connect session (`sc://`, `.remote(`)


class Analyzer:
    """Runs the enabled Python rules over one or more units.  Rules receive this as ``ctx``."""

    strict = bool(os.environ.get("SPARKCOACH_STRICT"))

    def __init__(self, rules: Iterable[Rule], sql_rules: Iterable[Rule] = ()):
        self.dispatch: dict[type, list[Rule]] = {}
        for rule in rules:
            for t in rule.targets:
                self.dispatch.setdefault(t, []).append(rule)
        self.sql_rules = list(sql_rules)
        if self.sql_rules:
            self.dispatch.setdefault(ast.Call, []).append(_SQL_HOOK)
        self.state = ModuleState()
        self.findings: list[Finding] = []
        self.unit: Unit | None = None
        self.tree: ast.AST | None = None
        self.rule: Rule | None = None
        self._scope = self.state.scope
        self.value = Inference(self.lookup, self.qualname, self.is_bound)
        self.internal_errors: list[str] = []

    # ------------------------------------------------------------------ entry points
    def run(self, tree: ast.AST, unit: Unit) -> None:
        self.unit = unit
        t = unit.source.text
        if not self.state.spark_aware:
            self.state.spark_aware = "spark" in t or "Spark" in t or "sc." in t
        if not self.state.spark_connect:
            self.state.spark_connect = "sc://" in t or ".remote(" in t
        self._scope = self.state.scope
        tree._sc_parent = None  # type: ignore[attr-defined]
        self.tree = tree
        try:
            self._visit_body(tree.body, tree)
        except RecursionError:
            pass

    def finish(self) -> list[Finding]:
        for rule, callback in self.state.finishers:
            self.rule = rule
            self._guard(callback)
        self.state.finishers.clear()
        return self.findings

    # ------------------------------------------------------------------ rule API
    def report(self, node: ast.AST | tuple, message: str, fix: Fix | None = None, unit: Unit | None = None) -> None:
        """Report the current rule at a node, or at a (line, column, end_line, end_column) span."""
        rule = self.rule
        unit = unit or self.unit
        if rule is None or unit is None:
            return
        line, col, end_line, end_col = node if isinstance(node, tuple) else unit.source.span(node)
        if unit.source.suppressed(line, rule.code) or (end_line != line and unit.source.suppressed(end_line, rule.code)):
            return
        off = unit.line_offset
        if fix is not None and off:
            fix = Fix(fix.description, fix.safety, tuple(
                Edit(e.line + off, e.column, e.end_line + off, e.end_column, e.replacement) for e in fix.edits))
        self.findings.append(Finding(
            code=rule.code, name=rule.name, severity=rule.severity, message=message, path=unit.path,
            line=line + off, column=col, end_line=end_line + off, end_column=end_col, cell=unit.cell,
            fix=fix, doc=rule.why,
        ))

    def fix(self, description: str, edits: Iterable[Edit], safe: bool = True) -> Fix:
        return Fix(description, "safe" if safe else "unsafe", tuple(edits))

    @property
    def source(self) -> Source:
        return self.unit.source  # type: ignore[union-attr]

    def segment(self, node: ast.AST) -> str:
        return self.unit.source.segment(node)  # type: ignore[union-attr]

    def short(self, node: ast.AST, limit: int = 48) -> str:
        """The node's source on one line, shortened for messages."""
        text = " ".join(self.segment(node).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def on_finish(self, callback: Callable[[], None]) -> None:
        self.state.finishers.append((self.rule, callback))  # type: ignore[arg-type]

    @staticmethod
    def parent(node: ast.AST) -> ast.AST | None:
        return getattr(node, "_sc_parent", None)

    def ancestors(self, node: ast.AST):
        p = getattr(node, "_sc_parent", None)
        while p is not None:
            yield p
            p = getattr(p, "_sc_parent", None)

    def statement(self, node: ast.AST) -> ast.stmt | None:
        n = node
        while n is not None and not isinstance(n, ast.stmt):
            n = getattr(n, "_sc_parent", None)
        return n

    def in_current_unit(self, node: ast.AST) -> bool:
        """Whether ``node`` belongs to the source being walked now (not an earlier cell)."""
        top = node
        for top in self.ancestors(node):
            pass
        return top is self.tree

    def enclosing(self, node: ast.AST, types) -> ast.AST | None:
        for p in self.ancestors(node):
            if isinstance(p, types):
                return p
        return None

    def in_loop(self, node: ast.AST) -> bool:
        """Inside a loop body (or comprehension) of the same function."""
        child = node
        for p in self.ancestors(node):
            if isinstance(p, FUNCS):
                return False
            if isinstance(p, (ast.For, ast.AsyncFor)) and child is not p.iter and child is not p.target:
                if child in p.body:
                    return True
            elif isinstance(p, ast.While) and child in p.body:
                return True
            elif isinstance(p, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                if child is not p.generators[0].iter:
                    return True
            child = p
        return False

    @property
    def spark_aware(self) -> bool:
        return self.state.spark_aware

    # names -----------------------------------------------------------------
    def lookup(self, name: str) -> V.Value | None:
        s = self._scope
        while s is not None:
            if name in s.vars:
                v = s.vars[name]
                if v is None and name in STRONG_HINTS and self.state.spark_aware:
                    return name_hint_value(name)  # spark = build_session()
                return v
            s = s.parent
        if name in self.state.imports or name in DEFAULT_IMPORTS:
            return None
        if self.state.spark_aware and "." not in name:
            return name_hint_value(name)
        return None

    def is_bound(self, name: str) -> bool:
        s = self._scope
        while s is not None:
            if name in s.vars:
                return True
            s = s.parent
        return name in self.state.imports

    def qualname(self, node: ast.AST) -> str | None:
        """Dotted import path of a name or attribute chain (``F.col`` -> ``pyspark.sql.functions.col``)."""
        if isinstance(node, ast.Name):
            q = self.state.imports.get(node.id)
            if q is None and not self.is_bound(node.id):
                q = DEFAULT_IMPORTS.get(node.id)
            return q
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def function_of(self, node: ast.AST) -> ast.AST | None:
        """The lambda or def a callable argument refers to (``rdd.map(parse)`` -> ``def parse``)."""
        if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
        if isinstance(node, ast.Name):
            v = self.lookup(node.id)
            if v is not None and v.kind in (V.FUNCTION, V.UDF) and v.func is not None:
                return v.func
        if isinstance(node, ast.Call) and self.qualname(node.func) in ("functools.partial",) and node.args:
            return self.function_of(node.args[0])
        return None

    def bind(self, name: str, value: V.Value | None) -> None:
        self._scope.vars[name] = value
        self.value.clear()
        self.state.binds.setdefault(name, []).append(self.state.seq)

    def loads_after(self, name: str, seq: int) -> list[Load]:
        return [l for l in self.state.loads.get(name, ()) if l.seq > seq]

    def rebinds_after(self, name: str, seq: int) -> list[int]:
        return [s for s in self.state.binds.get(name, ()) if s > seq]

    @property
    def seq(self) -> int:
        return self.state.seq

    # ------------------------------------------------------------------ the walk
    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except RecursionError:
            raise
        except Exception as exc:  # a rule bug must not stop linting
            self._rule_failed(exc)

    def _rule_failed(self, exc: Exception) -> None:
        if self.strict:
            raise exc
        self.internal_errors.append(f"{self.rule.code if self.rule else '?'}: {type(exc).__name__}: {exc}")

    def _visit(self, node: ast.AST, parent: ast.AST) -> None:
        node._sc_parent = parent  # type: ignore[attr-defined]
        state = self.state
        state.seq += 1
        t = type(node)
        rules = self.dispatch.get(t)
        if rules:
            for rule in rules:
                self.rule = rule
                try:
                    rule.check(node, self)
                except RecursionError:
                    raise
                except Exception as exc:  # a rule bug must not stop linting
                    self._rule_failed(exc)
            self.rule = None
        handler = _HANDLERS.get(t)
        if handler is not None:
            handler(self, node)
        else:
            self._children(node)

    def _children(self, node: ast.AST) -> None:
        t = type(node)
        fields = _FIELDS.get(t)
        if fields is None:
            fields = _FIELDS[t] = tuple(f for f in t._fields if f not in _SKIP_FIELDS)
        visit = self._visit
        for name in fields:
            child = getattr(node, name, None)
            if child is None:
                continue
            if type(child) is list:
                for c in child:
                    if isinstance(c, ast.AST):
                        visit(c, node)
            elif isinstance(child, ast.AST):
                visit(child, node)

    def _visit_body(self, body: list, parent: ast.AST) -> None:
        for stmt in body:
            self._visit(stmt, parent)

    def _visit_list(self, nodes, parent) -> None:
        for n in nodes:
            if n is not None:
                self._visit(n, parent)

    # targets ----------------------------------------------------------------
    def _bind_target(self, target: ast.AST, value: V.Value | None) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind_target(elt.value if isinstance(elt, ast.Starred) else elt, None)
        elif isinstance(target, ast.Attribute):
            key = _dotted(target)
            if key:
                self.bind(key, value)

    # handlers ---------------------------------------------------------------
    def _h_assign(self, node: ast.Assign) -> None:
        self._visit(node.value, node)
        value = self.value(node.value)
        for t in node.targets:
            self._visit_target(t, node)
            self._bind_target(t, value)

    def _h_annassign(self, node: ast.AnnAssign) -> None:
        self._visit(node.annotation, node)
        value = None
        if node.value is not None:
            self._visit(node.value, node)
            value = self.value(node.value)
        if value is None:
            value = annotation_value(node.annotation, self.qualname)
        self._visit_target(node.target, node)
        if node.value is not None or value is not None:
            self._bind_target(node.target, value)

    def _h_augassign(self, node: ast.AugAssign) -> None:
        self._visit(node.value, node)
        self._visit_target(node.target, node)
        if isinstance(node.target, ast.Name):
            self.bind(node.target.id, None)

    def _h_namedexpr(self, node: ast.NamedExpr) -> None:
        self._visit(node.value, node)
        self._visit_target(node.target, node)
        self._bind_target(node.target, self.value(node.value))

    def _visit_target(self, target: ast.AST, parent: ast.AST) -> None:
        # Targets get parents and seq numbers and rules, but Name stores are not loads.
        self._visit(target, parent)

    def _h_for(self, node: ast.For) -> None:
        self._visit(node.iter, node)
        self._visit_target(node.target, node)
        self._bind_target(node.target, self._element_of(node.iter))
        self._visit_body(node.body, node)
        self._visit_body(node.orelse, node)

    def _element_of(self, iterable: ast.AST) -> V.Value | None:
        v = self.value(iterable)
        if v is not None and v.kind == V.LOCAL:
            return V.Value(V.LOCAL, iterable, small=True)
        return None

    def _h_with(self, node: ast.With) -> None:
        for item in node.items:
            item._sc_parent = node  # type: ignore[attr-defined]
            self._visit(item.context_expr, item)
            if item.optional_vars is not None:
                self._visit_target(item.optional_vars, item)
                self._bind_target(item.optional_vars, None)
        self._visit_body(node.body, node)

    def _h_funcdef(self, node: ast.FunctionDef) -> None:
        self._visit_list(node.decorator_list, node)
        self._visit_arguments_defaults(node.args, node)
        if node.returns is not None:
            self._visit(node.returns, node)
        kind = V.FUNCTION
        for d in node.decorator_list:
            q = self.qualname(d.func if isinstance(d, ast.Call) else d) or ""
            if q.rsplit(".", 1)[-1] in ("udf", "pandas_udf") and q.startswith("pyspark"):
                kind = V.UDF
        self.bind(node.name, V.Value(kind, node, func=node))
        self._push(node)
        self._bind_params(node.args, hints=True)
        self._visit_body(node.body, node)
        self._pop()

    def _h_lambda(self, node: ast.Lambda) -> None:
        self._visit_arguments_defaults(node.args, node)
        self._push(node)
        self._bind_params(node.args, hints=False)
        self._visit(node.body, node)
        self._pop()

    def _h_classdef(self, node: ast.ClassDef) -> None:
        self._visit_list(node.decorator_list, node)
        self._visit_list(node.bases, node)
        self._visit_list(node.keywords, node)
        self._push(node)
        self._visit_body(node.body, node)
        self._pop()
        self.bind(node.name, None)

    def _h_comprehension(self, node) -> None:
        gens = node.generators
        # The first iterable is evaluated in the enclosing scope.
        gens[0]._sc_parent = node
        self._visit(gens[0].iter, gens[0])
        self._push(node)
        for i, gen in enumerate(gens):
            gen._sc_parent = node
            if i:
                self._visit(gen.iter, gen)
            self._visit_target(gen.target, gen)
            self._bind_target(gen.target, self._element_of(gen.iter))
            self._visit_list(gen.ifs, gen)
        if isinstance(node, ast.DictComp):
            self._visit(node.key, node)
            self._visit(node.value, node)
        else:
            self._visit(node.elt, node)
        self._pop()

    def _h_import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.asname:
                self.state.imports[a.asname] = a.name
            else:
                top = a.name.split(".", 1)[0]
                self.state.imports[top] = top
            if a.name.startswith("pyspark"):
                self.state.spark_aware = True

    def _h_importfrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        if mod.startswith("pyspark"):
            self.state.spark_aware = True
        for a in node.names:
            if a.name == "*":
                continue
            self.state.imports[a.asname or a.name] = f"{mod}.{a.name}" if mod else a.name

    def _h_name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.state.loads.setdefault(node.id, []).append(Load(self.state.seq, node, self.unit))  # type: ignore[arg-type]

    def _h_excepthandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self._visit(node.type, node)
        if node.name:
            self.bind(node.name, None)
        self._visit_body(node.body, node)

    # scopes -------------------------------------------------------------------
    def _push(self, node: ast.AST) -> None:
        self._scope = Scope(self._scope, node)
        self.value.clear()

    def _pop(self) -> None:
        self._scope = self._scope.parent or self.state.scope
        self.value.clear()

    def _visit_arguments_defaults(self, args: ast.arguments, parent: ast.AST) -> None:
        args._sc_parent = parent  # type: ignore[attr-defined]
        self._visit_list(args.defaults, args)
        self._visit_list([d for d in args.kw_defaults if d is not None], args)
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            if a.annotation is not None:
                self._visit(a.annotation, a)

    def _bind_params(self, args: ast.arguments, hints: bool) -> None:
        all_args = args.posonlyargs + args.args + args.kwonlyargs
        for a in all_args:
            v = annotation_value(a.annotation, self.qualname)
            if v is None and hints and a.annotation is None and self.state.spark_aware:
                v = name_hint_value(a.arg)
            self._scope.vars[a.arg] = v
        for a in (args.vararg, args.kwarg):
            if a is not None:
                self._scope.vars[a.arg] = None


def _sql_strings(node: ast.Call, ctx: "Analyzer") -> None:
    """SQL given to ``spark.sql(...)``: parsed (lazily importing sqlglot) and linted by the SQL rules."""
    f = node.func
    if not (isinstance(f, ast.Attribute) and f.attr == "sql" and node.args):
        return
    if not isinstance(node.args[0], (ast.Constant, ast.JoinedStr, ast.Name, ast.Call)):
        return
    from . import sql

    sql.lint_call(node, ctx, ctx.sql_rules)


_SQL_HOOK = Rule("SPK6xx", "sql-strings", "info", (ast.Call,), _sql_strings, "python")

# Fields holding only expression contexts and operators (shared singletons), never walked.
_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_comment"})
_FIELDS: dict[type, tuple[str, ...]] = {}

_HANDLERS: dict[type, Callable] = {
    ast.Assign: Analyzer._h_assign,
    ast.AnnAssign: Analyzer._h_annassign,
    ast.AugAssign: Analyzer._h_augassign,
    ast.NamedExpr: Analyzer._h_namedexpr,
    ast.For: Analyzer._h_for,
    ast.AsyncFor: Analyzer._h_for,
    ast.With: Analyzer._h_with,
    ast.AsyncWith: Analyzer._h_with,
    ast.FunctionDef: Analyzer._h_funcdef,
    ast.AsyncFunctionDef: Analyzer._h_funcdef,
    ast.Lambda: Analyzer._h_lambda,
    ast.ClassDef: Analyzer._h_classdef,
    ast.ListComp: Analyzer._h_comprehension,
    ast.SetComp: Analyzer._h_comprehension,
    ast.DictComp: Analyzer._h_comprehension,
    ast.GeneratorExp: Analyzer._h_comprehension,
    ast.Import: Analyzer._h_import,
    ast.ImportFrom: Analyzer._h_importfrom,
    ast.Name: Analyzer._h_name,
    ast.ExceptHandler: Analyzer._h_excepthandler,
}
