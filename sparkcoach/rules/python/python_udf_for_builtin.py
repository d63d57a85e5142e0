"""## What it does
Checks for a Python UDF whose body only does what a Spark built-in already
does: `udf(lambda s: s.upper())`, `@udf("string") def clean(s): return
s.strip().lower()`, `spark.udf.register("to_upper", ...)`, a trivial
`pandas_udf` like `s.str.upper()`.  Recognised: `upper`/`lower`/`title`,
`strip`/`lstrip`/`rstrip`, `len`, `abs`, `round(x, n)`, string concatenation
(`+`, f-strings, `"-".join([...])`, `%`/`format`), `split`, `replace`,
`re.sub`, slices, `startswith`/`endswith`, `in`, comparisons and arithmetic,
`is None`, `x if x is not None else d`, `int`/`float`/`str` casts, md5/sha
hex digests, if/elif chains, and compositions of these, behind the usual null
guards (`if s is None: return None`, `s.upper() if s else None`, `s and
s.upper()`).

## Why is this bad?
A Python UDF ships every row from the JVM to a Python worker and back: rows are
serialised and deserialised, the optimizer cannot see into the function (no
predicate pushdown, no constant folding, no whole-stage code generation), and
the UDF is typically several times slower than the built-in doing the same
thing.

UDFs that do real work — dictionary lookups, JSON parsing, regular expression
extraction, calls to other functions, names from outside the function, loops,
`try` blocks, more than a handful of steps — are not reported, nor are bodies
whose meaning depends on the column type (`"Y" if flag else "N"`, `s * 2`) or
whose result does not match the declared return type.

## Example
```python
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

upper_udf = F.udf(lambda s: s.upper() if s is not None else None, StringType())
df = df.withColumn("name_upper", upper_udf(F.col("name")))
```

Use instead:
```python
df = df.withColumn("name_upper", F.upper(F.col("name")))
```

## Fix safety
Where the UDF is applied in the same file or cell, the fix rewrites each
application to the built-in expression.  The fix is unsafe: the built-in
returns null where the Python code raised (a `None` reaching `s.upper()`, an
unparsable `int(s)`), some built-ins differ at the edges (`trim` strips only
spaces, `initcap` capitalises only after whitespace, `bround` and Python's
`round` can differ on values that are not exact in binary), and a truthiness
guard (`if s`) treated empty strings and 0 as missing where the built-in only
skips nulls.  `len(s)` of an argument of unknown type is `length` for a string
but `size` for an array: the message gives both and there is no fix.  The UDF
definition itself is left in place.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ...engine import values as V
from ...engine.dataflow import arg
from ...findings import Edit
from ...rules.base import python_rule
from . import _udf_builtins as B

_QUICK = frozenset({"udf", "pandas_udf", "register", "registerFunction"})
_FUNCTIONS = ("pyspark.sql.functions", "pyspark.sql.connect.functions")
# Python builtins that `from pyspark.sql.functions import *` replaces.
_STAR_SHADOWED = frozenset({"abs", "round", "max", "min", "pow", "sum", "filter", "hash", "ascii", "bin", "hex",
                            "slice"})
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
WHY = "a Python UDF ships every row to a Python worker and back"


@dataclass
class _Found:
    repl: B.Replacement
    span: tuple
    label: str  # how the message names the UDF
    bound: str | None  # the name the UDF is applied through
    seq: int
    unit: object
    scope: ast.AST | None  # the function or class the UDF is bound in (None: module)
    root: ast.AST  # the module the definition is in
    inline: ast.Call | None  # `udf(...)(col)` applied on the spot
    sql_name: str | None  # spark.udf.register("name", ...)
    via_default_f: bool  # the UDF was made through an un-imported `F` (notebook default)


@python_rule("SPK405", "python-udf-for-builtin", "warning", ast.Call, ast.FunctionDef)
def python_udf_for_builtin(node, ctx) -> None:
    if isinstance(node, ast.FunctionDef):
        if len(node.decorator_list) == 1:
            _decorated(node, ctx)
        return
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    if name not in _QUICK:
        return
    if name in ("udf", "pandas_udf"):
        _udf_call(node, ctx)
    elif ctx.spark_aware:
        _register(node, ctx)


# --------------------------------------------------------------------------- where UDFs are made
def _module_of(node: ast.AST, ctx) -> ast.AST:
    root = node
    for a in ctx.ancestors(node):
        root = a
    return root


def _star_imports_functions(root: ast.AST) -> bool:
    cached = getattr(root, "_spk405_star", None)
    if cached is None:
        cached = any(isinstance(s, ast.ImportFrom) and s.module in _FUNCTIONS and any(a.name == "*" for a in s.names)
                     for s in getattr(root, "body", ()))
        root._spk405_star = cached  # type: ignore[attr-defined]
    return cached


def _udf_kind(func: ast.AST, ctx, at: ast.AST) -> str | None:
    """"udf" / "pandas_udf" when ``func`` is pyspark's (``at``: the visited node it belongs to)."""
    q = ctx.qualname(func)
    if q:
        mod, _, last = q.rpartition(".")
        if last in ("udf", "pandas_udf") and (mod in _FUNCTIONS or mod == "pyspark.sql.pandas.functions"):
            return last
        return None
    if isinstance(func, ast.Name) and func.id in ("udf", "pandas_udf") and not ctx.is_bound(func.id):
        if _star_imports_functions(_module_of(at, ctx)):
            return func.id
    return None


def _scalar_pandas(function_type: ast.AST | None, func: ast.AST) -> bool:
    if function_type is not None:
        text = function_type.value if isinstance(function_type, ast.Constant) else getattr(function_type, "attr", None)
        if text not in ("SCALAR", 200):
            return False
    if isinstance(func, ast.FunctionDef):
        # Series -> Series type hints (or none): not an aggregation, an iterator or a DataFrame
        hints = [a.annotation for a in func.args.args] + [func.returns]
        if any(h is not None and _hint_name(h) != "Series" for h in hints):
            return False
    return True


def _hint_name(h: ast.AST) -> str | None:
    if isinstance(h, ast.Constant):
        return str(h.value).rsplit(".", 1)[-1]
    return h.attr if isinstance(h, ast.Attribute) else getattr(h, "id", None)


def _plain_function(fn_node: ast.AST | None, ctx) -> ast.AST | None:
    """The lambda or undecorated def a UDF wraps."""
    if fn_node is None:
        return None
    if isinstance(fn_node, ast.Lambda):
        # `udf(lambda z: upper_case(z))`: the def it forwards to is the body
        body, params = fn_node.body, [a.arg for a in fn_node.args.args]
        if (isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and not body.keywords and params
                and [getattr(a, "id", None) for a in body.args] == params and body.func.id not in params):
            inner = _plain_function(body.func, ctx)
            if inner is not None:
                return inner
        return fn_node
    if isinstance(fn_node, ast.Name):
        v = ctx.lookup(fn_node.id)
        if v is None or v.kind != V.FUNCTION:
            return None
        fn = v.func
        if isinstance(fn, ast.FunctionDef) and not fn.decorator_list:
            return fn
    return None


def _udf_call(node: ast.Call, ctx) -> None:
    parent = ctx.parent(node)
    if isinstance(parent, ast.FunctionDef) and node in parent.decorator_list:
        return  # @udf("string"): seen with the def
    kind = _udf_kind(node.func, ctx, node)
    if kind is None:
        return
    func = _plain_function(arg(node, 0, "f"), ctx)
    if func is None:
        return
    pandas = kind == "pandas_udf"
    if pandas and not _scalar_pandas(arg(node, 2, "functionType"), func):
        return
    ret_node = arg(node, 1, "returnType")
    ret = B.return_type(ret_node, ctx.qualname)
    span = ctx.source.method_span(node) if isinstance(node.func, ast.Attribute) else ctx.source.span(node)
    bound = _assigned_name(node, ctx)
    inline = parent if isinstance(parent, ast.Call) and parent.func is node else None
    label = bound or (func.name if isinstance(func, ast.FunctionDef) else _short(ctx.segment(node)))
    _found(ctx, node, func, ret, ret_node is not None, pandas, span, label, bound, inline, None)


def _decorated(node: ast.FunctionDef, ctx) -> None:
    d = node.decorator_list[0]
    call = d if isinstance(d, ast.Call) else None
    kind = _udf_kind(call.func if call else d, ctx, node)
    if kind is None:
        return
    ret_node = arg(call, 0, "returnType") if call else None
    pandas = kind == "pandas_udf"
    if pandas and not _scalar_pandas(arg(call, 1, "functionType") if call else None, node):
        return
    ret = B.return_type(ret_node, ctx.qualname)
    _found(ctx, node, node, ret, ret_node is not None, pandas, ctx.source.span(d), node.name, node.name, None, None)


def _register(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    if f.attr == "register":
        if not (isinstance(f.value, ast.Attribute) and f.value.attr == "udf"):
            return
    else:  # sqlContext.registerFunction("name", f)
        recv = f.value
        v = ctx.value(recv)
        text = ctx.segment(recv).lower()
        if not (v is not None and v.kind == V.SESSION or "sqlcontext" in text or "spark" in text):
            return
    name_node, fn_node = arg(node, 0, "name"), arg(node, 1, "f")
    if name_node is None or fn_node is None:
        return
    if isinstance(name_node, ast.Constant):
        if not isinstance(name_node.value, str):
            return
        sql_name = name_node.value
    else:
        sql_name = _short(ctx.segment(name_node), 30)
    v = ctx.value(fn_node)
    if v is not None and v.kind == V.UDF:
        return  # registering a UDF made elsewhere: reported where it was made
    func = _plain_function(fn_node, ctx)
    if func is None:
        return
    ret_node = arg(node, 2, "returnType")
    ret = B.return_type(ret_node, ctx.qualname)
    bound = _assigned_name(node, ctx)
    _found(ctx, node, func, ret, ret_node is not None, False, ctx.source.method_span(node), sql_name, bound,
           None, sql_name)


def _assigned_name(node: ast.AST, ctx) -> str | None:
    p = ctx.parent(node)
    if isinstance(p, ast.Assign) and p.value is node and len(p.targets) == 1 and isinstance(p.targets[0], ast.Name):
        return p.targets[0].id
    if isinstance(p, ast.AnnAssign) and p.value is node and isinstance(p.target, ast.Name):
        return p.target.id
    return None


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _found(ctx, node, func, ret, declared, pandas, span, label, bound, inline, sql_name) -> None:
    is_bound = ctx.is_bound
    if _star_imports_functions(_module_of(node, ctx)):
        # `from pyspark.sql.functions import *` rebinds `abs`, `round`, `max`...: not Python's any more
        is_bound = lambda n: n in _STAR_SHADOWED or ctx.is_bound(n)  # noqa: E731
    repl = B.builtin_for(func, return_type=ret, declared=declared, pandas=pandas, is_bound=is_bound,
                         qualname=ctx.qualname)
    if repl is None:
        return
    scope = ctx.enclosing(node, _FUNCS + (ast.ClassDef,))
    maker = None
    if isinstance(node, ast.FunctionDef):
        d = node.decorator_list[0]
        maker = d.func if isinstance(d, ast.Call) else d
    elif not sql_name:
        maker = node.func
    via_f = isinstance(maker, ast.Attribute) and isinstance(maker.value, ast.Name) and maker.value.id == "F"
    found = _Found(repl, span, label, bound, ctx.seq, ctx.unit, scope, _module_of(node, ctx), inline, sql_name, via_f)
    ctx.on_finish(lambda: _report(found, ctx))


# --------------------------------------------------------------------------- how to name the functions
class _Style:
    """How the user's code names pyspark.sql.functions: ``F.upper``, or ``upper`` imported by name."""

    def __init__(self, prefix: str | None, fixable: bool, import_from: ast.ImportFrom | None = None,
                 star: bool = False):
        self.prefix = prefix
        self.fixable = fixable
        self.import_from = import_from  # where missing names can be added
        self.star = star  # `from pyspark.sql.functions import *`: every name is there

    def __call__(self, name: str) -> str:
        return f"{self.prefix}{name}" if self.prefix is not None else name


def _style(found: _Found, ctx) -> _Style:
    imports = ctx.state.imports
    aliases = sorted(n for n, q in imports.items() if q in _FUNCTIONS)
    if aliases:
        a = "F" if "F" in aliases else aliases[0]
        return _Style(f"{a}.", True)
    if _star_imports_functions(found.root):
        return _Style(None, True, star=True)
    by_name = [n for n, q in imports.items() if q.startswith("pyspark.sql.functions.")]
    if by_name:
        imp = next((s for s in getattr(found.root, "body", ()) if isinstance(s, ast.ImportFrom)
                    and s.module in _FUNCTIONS and s.level == 0 and not any(a.name == "*" for a in s.names)), None)
        return _Style(None, True, imp)
    return _Style("F.", found.via_default_f and not ctx.is_bound("F"))


def _missing_imports(names: list[str], style: _Style, ctx) -> list[str] | None:
    """Function names the fix must import (by-name style), or None when it cannot."""
    if style.prefix is not None or style.star:
        return []
    missing = []
    imports = ctx.state.imports
    for n in names:
        q = imports.get(n)
        if q is not None and q.rsplit(".", 1)[0] in _FUNCTIONS and q.rsplit(".", 1)[1] == n:
            continue
        if q is not None or ctx.is_bound(n) or n in B._PY_BUILTINS:
            return None  # importing it would shadow something
        missing.append(n)
    if missing and style.import_from is None:
        return None  # imported inside a function, or in another cell: nowhere sure to add them
    return missing


# --------------------------------------------------------------------------- applications and the report
def _applications(found: _Found, ctx) -> list[ast.Call]:
    apps = []
    if found.inline is not None:
        apps.append(found.inline)
    name = found.bound
    if not name or isinstance(found.scope, ast.ClassDef):
        return apps
    binds = ctx.rebinds_after(name, found.seq)
    limit = binds[1] if len(binds) > 1 else float("inf")
    for load in ctx.loads_after(name, found.seq):
        if load.seq >= limit or load.unit is not found.unit:
            continue
        call = ctx.parent(load.node)
        if not (isinstance(call, ast.Call) and call.func is load.node):
            continue
        if _shadowed(load.node, name, found.scope, ctx):
            continue
        apps.append(call)
    return apps


def _shadowed(node: ast.AST, name: str, scope: ast.AST | None, ctx) -> bool:
    """``name`` at ``node`` is not the UDF: outside its function, or rebound by an inner function."""
    for a in ctx.ancestors(node):
        if a is scope:
            return False
        if isinstance(a, _FUNCS):
            args = a.args
            if any(p.arg == name for p in args.posonlyargs + args.args + args.kwonlyargs):
                return True
            if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(a)):
                return True
    return scope is not None  # the UDF lives in a function the load is not in


_SIMPLE_CALLS = ("col", "column")
# Where an operator expression needs parentheses to stay one operand.
_TIGHT = (ast.Attribute, ast.Subscript, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Await)


def _arg_of(node: ast.AST, source) -> B.Arg | None:
    if isinstance(node, ast.Starred):
        return None
    text = source.segment(node)
    if "\n" in text:
        text = " ".join(text.split())
    name = isinstance(node, ast.Constant) and isinstance(node.value, str)
    atomic = isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant))
    return B.Arg(text, name, atomic)


def _simple(node: ast.AST) -> bool:
    """Repeating it in the rewrite is harmless."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _simple(node.value)
    if isinstance(node, ast.Subscript):
        return _simple(node.value) and isinstance(node.slice, ast.Constant)
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        return name in _SIMPLE_CALLS and all(isinstance(a, ast.Constant) for a in node.args)
    return False


def _headline(repl: B.Replacement, style: _Style, sql: bool) -> str:
    """``is `F.upper``` / ``only calls built-ins (...)`` / ``is a plain column expression``."""
    names = []
    for b in repl.builtins():
        if b.startswith("."):
            names.append(f"`{b[1:]}`" if sql else f"`Column{b}`")
        else:
            names.append(f"`{b}`" if sql else f"`{style(b)}`")
    if not names:
        return "is a plain SQL expression" if sql else "is a plain column expression"
    if len(names) == 1 and repl.expr.op in ("fn", "meth", "when"):
        return "is " + ("the SQL built-in " if sql else "") + names[0]
    return "only calls built-ins (" + ", ".join(names) + ")"


def _clip(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _report(found: _Found, ctx) -> None:
    repl = found.repl
    style = _style(found, ctx)
    source = found.unit.source  # type: ignore[attr-defined]
    uses = repl.param_uses()
    edits: list[Edit] = []
    first_args: list[B.Arg] | None = None
    needed: list[str] = []
    for call in _applications(found, ctx):
        if call.keywords or len(call.args) != len(repl.params):
            continue
        args = [_arg_of(a, source) for a in call.args]
        if any(a is None for a in args):
            continue
        if any(uses.get(i, 0) > 1 and not _simple(call.args[i]) for i in range(len(args))):
            continue
        text = repl.python(style, args)  # type: ignore[arg-type]
        if repl.expr.op not in B.ATOMS and isinstance(ctx.parent(call), _TIGHT):
            text = f"({text})"  # `u(x).alias("y")` -> `(x * 2).alias("y")`
        for n in repl.functions(args):  # type: ignore[arg-type]
            if n not in needed:
                needed.append(n)
        if first_args is None:
            first_args = args  # type: ignore[assignment]
        edits.append(Edit(*source.span(call), text))
    fix = None
    if edits and style.fixable and not repl.ambiguous:
        missing = _missing_imports(needed, style, ctx)
        if missing is not None:
            if missing:
                last = style.import_from.names[-1]  # type: ignore[union-attr]
                _, _, line, col = source.span(last)
                edits.append(Edit(line, col, line, col, "".join(f", {n}" for n in missing)))
            what = repl.builtins()
            desc = f"Replace the UDF `{found.bound or found.label}` with " + (
                f"`{style(what[0])}`" if len(what) == 1 and not what[0].startswith(".")
                else "a column expression" if not what else "built-in expressions")
            fix = ctx.fix(desc, edits, safe=False)
    py = repl.python(style, first_args)
    label = f"`{found.label}`"
    if found.sql_name and first_args is None:
        msg = (f"{label} {_headline(repl, style, True)}: call `{_clip(repl.sql())}` in SQL "
               f"(`{_clip(py)}` with DataFrames) instead of registering a Python UDF — {WHY}")
    elif repl.ambiguous:
        alt = repl.as_array()
        msg = (f"{label} {_headline(repl, style, False)} or {_headline(alt, style, False)[3:]}: use `{_clip(py)}` "
               f"for a string column, `{_clip(alt.python(style, first_args))}` for an array — {WHY}")
    else:
        msg = f"{label} {_headline(repl, style, False)}: use `{_clip(py)}` — {WHY}"
    notes = [n for n in repl.notes if n != B.NOTE_SIZE]
    if notes:
        notes = [n.replace("`trim`", f"`{style('trim')}`").replace("`initcap`", f"`{style('initcap')}`")
                 .replace("like `bround`; `round`", f"like `{style('bround')}`; `{style('round')}`")
                 for n in notes]
        msg += " (" + "; ".join(notes) + ")"
    ctx.report(found.span, msg, fix=fix, unit=found.unit)
