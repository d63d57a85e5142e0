"""Which Spark built-in a Python UDF body computes (used by SPK405, reusable by SPK450).

:func:`builtin_for` takes the ``lambda``/``def`` of a UDF and returns a
:class:`Replacement` when the body only applies operations Spark has built in
(``s.upper()`` -> ``upper``, ``len(s)`` -> ``length``, ``a + " " + b`` ->
``concat``, ``x if x is not None else 0`` -> ``coalesce``, if/elif chains ->
``when``...), or ``None`` when the body does anything else: a call we do not
know, a name that is not a parameter (closures), a loop, a ``try``.  The usual
null guards (``if s is None: return None``, ``s.upper() if s else None``,
``s and s.upper()``) are folded away when the built-in already returns null
for a null input.

The replacement is a small expression tree rendered on demand, as Python
(``F.upper(F.col("name"))``, with the caller's way of naming the functions
module) or as Spark SQL (``upper(name)``)::

    ret = return_type(udf_call_return_type_node, ctx.qualname)   # "string", "int", ... or None
    repl = builtin_for(def_or_lambda, return_type=ret, is_bound=ctx.is_bound, qualname=ctx.qualname)
    if repl is not None:
        repl.python(lambda n: f"F.{n}", [Arg('F.col("name")')])  # -> 'F.upper(F.col("name"))'
        repl.sql(["name"])                                       # -> 'upper(name)'
        repl.builtins(), repl.notes, repl.ambiguous
"""

from __future__ import annotations

import ast
import builtins
import string
from dataclasses import dataclass, field
from typing import Callable, Sequence

_PY_BUILTINS = frozenset(dir(builtins))

INTEGRAL = ("int", "bigint", "smallint", "tinyint")
FLOATING = ("double", "float")

# DDL / DataType spellings of the return types we compare against.
_DDL = {
    "string": "string", "str": "string", "varchar": "string",
    "int": "int", "integer": "int", "bigint": "bigint", "long": "bigint",
    "smallint": "smallint", "short": "smallint", "tinyint": "tinyint", "byte": "tinyint",
    "double": "double", "float": "float", "real": "float",
    "boolean": "boolean", "bool": "boolean", "date": "date", "timestamp": "timestamp",
}
_TYPE_CLASSES = {
    "StringType": "string", "IntegerType": "int", "LongType": "bigint", "ShortType": "smallint",
    "ByteType": "tinyint", "DoubleType": "double", "FloatType": "float", "BooleanType": "boolean",
    "DateType": "date", "TimestampType": "timestamp",
}


def return_type(node: ast.AST | None, qualname: Callable[[ast.AST], str | None] = lambda n: None) -> str | None:
    """Normalised DDL name of a UDF's declared return type (``None`` when unknown); no type is ``string``."""
    if node is None:
        return "string"
    if isinstance(node, ast.Constant):
        if node.value is None:
            return "string"
        if isinstance(node.value, str):
            text = node.value.strip().lower().replace(" ", "")
            if text.startswith("array<") and text.endswith(">"):
                inner = _DDL.get(text[6:-1])
                return f"array<{inner}>" if inner else None
            return _DDL.get(text)
        return None
    if isinstance(node, ast.Call):
        f = node.func
        name = qualname(f) or (f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
        last = name.rsplit(".", 1)[-1]
        if last in _TYPE_CLASSES and not node.args:
            return _TYPE_CLASSES[last]
        if last == "ArrayType" and node.args:
            inner = return_type(node.args[0], qualname)
            return f"array<{inner}>" if inner and not inner.startswith("array") else None
    return None


# --------------------------------------------------------------------------- the expression tree
class X:
    """One node of the replacement: ``op`` is param, lit, raw, fn, meth, bin, neg, cmp, not, and, or, when."""

    __slots__ = ("op", "args", "val", "kind")

    def __init__(self, op: str, args: tuple = (), val=None, kind: str = "any"):
        self.op = op
        self.args = args
        self.val = val
        self.kind = kind  # str, int, num, float, bool, arr, any, null

    def walk(self):
        yield self
        stack = list(self.args)
        while stack:
            a = stack.pop(0)
            if isinstance(a, X):
                yield from a.walk()
            elif isinstance(a, tuple):
                stack[:0] = list(a)

    def __repr__(self) -> str:  # debugging aid
        return f"X({self.op}, {self.val!r}, {self.args!r})"


def _param(i: int, kind: str = "any") -> X:
    return X("param", (), i, kind)


def _lit(v) -> X:
    if v is None:
        return X("lit", (), None, "null")
    if isinstance(v, bool):
        return X("lit", (), v, "bool")
    if isinstance(v, int):
        return X("lit", (), v, "int")
    if isinstance(v, float):
        return X("lit", (), v, "float")
    return X("lit", (), v, "str")


def _raw(v) -> X:
    return X("raw", (), v, "raw")


def _fn(name: str, *args: X, kind: str) -> X:
    return X("fn", tuple(args), name, kind)


def _meth(name: str, recv: X, *args: X, kind: str) -> X:
    return X("meth", (recv,) + tuple(args), name, kind)


_NULL = _lit(None)

# Functions that return null when any column argument is null (not `size`: -1 for null before ANSI).
_NULL_PROPAGATING = frozenset({
    "upper", "lower", "trim", "ltrim", "rtrim", "initcap", "length", "abs", "bround", "concat",
    "split", "regexp_replace", "substring", "md5", "sha1", "sha2", "year", "month", "dayofmonth",
    "hour", "minute", "second", "element_at",
})
# ... and that never return null for non-null input.
_TOTAL = frozenset({
    "upper", "lower", "trim", "ltrim", "rtrim", "initcap", "length", "size", "abs", "bround", "concat",
    "concat_ws", "split", "regexp_replace", "substring", "md5", "sha1", "sha2", "year", "month",
    "dayofmonth", "hour", "minute", "second", "coalesce", "greatest", "least",
})


def _is_null(x: X) -> bool:
    return x.op == "lit" and x.val is None


def strict(x: X, p: int) -> bool:
    """The value is null whenever parameter ``p`` is null."""
    if x.op == "param":
        return x.val == p
    if x.op == "fn":
        return x.val in _NULL_PROPAGATING and any(strict(a, p) for a in x.args if a.op != "raw")
    if x.op == "meth":
        return x.val not in ("isNull", "isNotNull") and strict(x.args[0], p)
    if x.op in ("bin", "cmp", "neg", "not"):
        return any(strict(a, p) for a in x.args)
    return False


def total(x: X) -> bool:
    """Never null when the parameters are not null."""
    if x.op in ("param", "raw"):
        return True
    if x.op == "lit":
        return x.val is not None
    if x.op == "fn":
        return x.val in _TOTAL and all(total(a) for a in x.args)
    if x.op == "meth":
        return x.val in ("isNull", "isNotNull", "startswith", "endswith", "contains", "isin") and total(x.args[0])
    if x.op in ("neg", "cmp", "not", "and", "or"):
        return all(total(a) for a in x.args)
    if x.op == "bin":
        return x.val != "/" and all(total(a) for a in x.args)
    if x.op == "when":
        pairs, other = x.args
        return other is not None and total(other) and all(total(v) for _, v in pairs)
    return False


def _null_params(cond: X, negated: bool) -> set[int] | None:
    """Parameters P when ``cond`` means "one of P is null" (or, ``negated``, "all of P are set")."""
    if cond.op == "meth" and cond.args[0].op == "param":
        if cond.val == ("isNotNull" if negated else "isNull"):
            return {cond.args[0].val}
        return None
    if cond.op == ("and" if negated else "or"):
        out: set[int] = set()
        for a in cond.args:
            s = _null_params(a, negated)
            if s is None:
                return None
            out |= s
        return out
    return None


def _negate(cond: X) -> X:
    if cond.op == "meth" and cond.val in ("isNull", "isNotNull"):
        return _meth("isNotNull" if cond.val == "isNull" else "isNull", cond.args[0], kind=cond.kind)
    if cond.op == "not":
        return cond.args[0]
    return X("not", (cond,), None, "bool")


def _coalesce(value: X, default: X) -> X:
    return _fn("coalesce", value, default, kind=value.kind if value.kind not in ("any", "null") else default.kind)


def make_when(cond: X, then: X, other: X) -> X:
    """``then if cond else other``, simplified where the condition is only a null guard."""
    for c, t, o in ((cond, then, other), (_negate(cond), other, then)):
        nulls = _null_params(c, negated=False)  # c: "some p in P is null"
        if not nulls:
            continue
        # `t` is what the UDF returns for a null input.  When it is null (or would be null anyway)
        # and the other branch already gives null for a null input, the guard is redundant.
        if _is_null(t) or (len(nulls) == 1 and strict(t, next(iter(nulls)))):
            if all(strict(o, p) for p in nulls):
                return o
            if o.op == "when":  # when(p is null, None).when(...)...
                return X("when", (((c, _NULL),) + o.args[0], o.args[1]), None, o.kind)
            return X("when", (((_negate(c), o),), None), None, o.kind)
        if len(nulls) == 1 and t.op == "lit" and strict(o, next(iter(nulls))) and total(o):
            return _coalesce(o, t)
    # else: a when chain
    pairs = ((cond, then),)
    if other.op == "when":
        pairs = pairs + other.args[0]
        other = other.args[1]
    elif _is_null(other):
        other = None
    kinds = {v.kind for _, v in pairs} | ({other.kind} if other is not None else set())
    kinds.discard("null")
    kind = kinds.pop() if len(kinds) == 1 else ("num" if kinds <= {"int", "num", "float"} and kinds else "any")
    return X("when", (pairs, other), None, kind)


# --------------------------------------------------------------------------- rendering
@dataclass(frozen=True)
class Arg:
    """How a UDF argument is written at the call site."""

    text: str
    name: bool = False  # a string literal: a column name, not a Column
    atomic: bool = True  # safe as a method receiver / operand without parentheses


def _py_str(s: str) -> str:
    if "\\" in s and '"' not in s and not s.endswith("\\") and s.isprintable():
        return f'r"{s}"'
    r = repr(s)
    if r.startswith("'") and '"' not in s:
        r = '"' + r[1:-1].replace("\\'", "'") + '"'
    return r


def _py_lit(v) -> str:
    return _py_str(v) if isinstance(v, str) else repr(v)


def _sql_lit(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(v)


_ATOMS = ATOMS = ("param", "lit", "raw", "fn", "meth", "when")
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


class _Py:
    def __init__(self, fn: Callable[[str], str], args: Sequence[Arg]):
        self.fn = fn
        self.args = args

    def col(self, x: X) -> str:
        """A Column is required (receiver, operand, when value)."""
        if x.op == "param":
            a = self.args[x.val]
            if a.name:
                return f"{self.fn('col')}({a.text})"
            return a.text if a.atomic else f"({a.text})"
        if x.op == "lit":
            return _py_lit(x.val)
        return self.expr(x)

    def arg(self, x: X) -> str:
        """A function argument: a column name or Column; literals need lit()."""
        if x.op == "param":
            a = self.args[x.val]
            return a.text
        if x.op == "lit":
            return f"{self.fn('lit')}({_py_lit(x.val)})"
        if x.op == "raw":
            return _py_lit(x.val)
        return self.expr(x)

    def operand(self, x: X) -> str:
        s = self.col(x)
        return s if x.op in _ATOMS else f"({s})"

    def expr(self, x: X) -> str:
        op = x.op
        if op in ("param", "lit"):
            return self.col(x)
        if op == "raw":
            return _py_lit(x.val)
        if op == "fn":
            return f"{self.fn(x.val)}({', '.join(self.arg(a) for a in x.args)})"
        if op == "meth":
            recv, rest = x.args[0], x.args[1:]
            r = self.col(recv) if recv.op in _ATOMS else f"({self.expr(recv)})"
            return f"{r}.{x.val}({', '.join(_py_lit(a.val) for a in rest)})"
        if op == "bin" or op == "cmp":
            sides = []
            for i, side in enumerate(x.args):
                if side.op in _ATOMS:
                    sides.append(self.col(side))
                elif op == "cmp" and side.op in ("bin", "neg"):
                    sides.append(self.expr(side))  # arithmetic binds tighter than a comparison
                elif op == "bin" and side.op == "bin" and (
                        _PREC[side.val] > _PREC[x.val] or (i == 0 and _PREC[side.val] == _PREC[x.val])):
                    sides.append(self.expr(side))
                else:
                    sides.append(f"({self.expr(side)})")
            return f"{sides[0]} {x.val} {sides[1]}"
        if op == "neg":
            return f"-{self.operand(x.args[0])}"
        if op == "not":
            return f"~{self.operand(x.args[0])}"
        if op in ("and", "or"):
            sym = " & " if op == "and" else " | "
            return sym.join(self.operand(a) for a in x.args)
        if op == "when":
            pairs, other = x.args
            c0, v0 = pairs[0]
            out = f"{self.fn('when')}({self.col(c0)}, {self.col(v0)})"
            for c, v in pairs[1:]:
                out += f".when({self.col(c)}, {self.col(v)})"
            if other is not None:
                out += f".otherwise({self.col(other)})"
            return out
        raise ValueError(op)


class _Sql:
    def __init__(self, args: Sequence[str]):
        self.args = args

    def operand(self, x: X) -> str:
        s = self.expr(x)
        return s if x.op in ("param", "lit", "raw", "fn", "when") or x.val == "getItem" else f"({s})"

    def expr(self, x: X) -> str:
        op = x.op
        if op == "param":
            return self.args[x.val]
        if op in ("lit", "raw"):
            return _sql_lit(x.val)
        if op == "fn":
            return f"{x.val}({', '.join(self.expr(a) for a in x.args)})"
        if op == "meth":
            recv, rest = x.args[0], x.args[1:]
            r = self.operand(recv)
            m = x.val
            if m == "isNull":
                return f"{r} IS NULL"
            if m == "isNotNull":
                return f"{r} IS NOT NULL"
            if m == "cast":
                return f"CAST({self.expr(recv)} AS {rest[0].val.upper()})"
            if m == "isin":
                return f"{r} IN ({', '.join(_sql_lit(a.val) for a in rest)})"
            if m == "getItem":
                return f"{r}[{rest[0].val}]"
            return f"{m}({self.expr(recv)}, {', '.join(_sql_lit(a.val) for a in rest)})"
        if op in ("bin", "cmp"):
            sym = {"==": "=", "!=": "<>"}.get(x.val, x.val)
            return f"{self.operand(x.args[0])} {sym} {self.operand(x.args[1])}"
        if op == "neg":
            return f"-{self.operand(x.args[0])}"
        if op == "not":
            return f"NOT {self.operand(x.args[0])}"
        if op in ("and", "or"):
            return f" {op.upper()} ".join(self.operand(a) for a in x.args)
        if op == "when":
            pairs, other = x.args
            out = "CASE" + "".join(f" WHEN {self.expr(c)} THEN {self.expr(v)}" for c, v in pairs)
            if other is not None:
                out += f" ELSE {self.expr(other)}"
            return out + " END"
        raise ValueError(op)


@dataclass
class Replacement:
    """What a UDF body computes, as Spark built-ins."""

    expr: X
    params: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    def as_array(self) -> "Replacement":
        """The reading where the ``len`` argument is an array column: ``size`` for ``length``."""

        def swap(x: X) -> X:
            if x.op == "fn" and x.val == "length" and x.args[0].op == "param":
                return _fn("size", *x.args, kind="int")
            if x.op == "when":
                pairs, other = x.args
                return X("when", (tuple((swap(c), swap(v)) for c, v in pairs), swap(other) if other else None),
                         None, x.kind)
            return X(x.op, tuple(swap(a) for a in x.args), x.val, x.kind) if x.args else x

        return Replacement(swap(self.expr), self.params, [n for n in self.notes if n != NOTE_SIZE])

    @property
    def ambiguous(self) -> bool:
        """``len(s)`` of a parameter of unknown type: ``length`` for a string, ``size`` for an array."""
        return NOTE_SIZE in self.notes

    def python(self, fn: Callable[[str], str] = lambda n: f"F.{n}", args: Sequence[Arg] | None = None) -> str:
        """The replacement as PySpark code; ``fn`` names a function (``upper`` -> ``F.upper``)."""
        if args is None:
            args = self.placeholders()
        return _Py(fn, args).expr(self.expr)

    def sql(self, args: Sequence[str] | None = None) -> str:
        if args is None:
            args = [a.text for a in self.placeholders()]
        return _Sql(args).expr(self.expr)

    def placeholders(self) -> list[Arg]:
        if len(self.params) == 1:
            return [Arg("col")]
        return [Arg(p) for p in self.params]

    def functions(self, args: Sequence[Arg] | None = None) -> list[str]:
        """The functions-module names the Python rendering uses (``col``/``lit`` included)."""
        used: list[str] = []

        def rec(n: str) -> str:
            if n not in used:
                used.append(n)
            return n

        self.python(rec, args)
        return used

    def builtins(self) -> list[str]:
        """The built-ins used, for the message: function names and ``Column`` methods."""
        out: list[str] = []
        for x in self.expr.walk():
            name = None
            if x.op == "fn":
                name = x.val
            elif x.op == "meth" and x.val != "getItem":
                name = "." + x.val
            elif x.op == "when":
                name = "when"
            if name and name not in out:
                out.append(name)
        return out

    def param_uses(self) -> dict[int, int]:
        uses: dict[int, int] = {}
        for x in self.expr.walk():
            if x.op == "param":
                uses[x.val] = uses.get(x.val, 0) + 1
        return uses


# --------------------------------------------------------------------------- the body converter
class _No(Exception):
    """The body does something we do not map to a built-in."""


_JAVA_REGEX_SPECIAL = frozenset("\\^$.|?*+()[]{}")
_STR_KINDS = ("str", "any")
_NUM_KINDS = ("int", "num", "float", "any")
_DATE_PARTS = {"year": "year", "month": "month", "day": "dayofmonth", "hour": "hour", "minute": "minute",
               "second": "second"}
_HASHES = {"md5": ("md5", None), "sha1": ("sha1", None), "sha224": ("sha2", 224), "sha256": ("sha2", 256),
           "sha384": ("sha2", 384), "sha512": ("sha2", 512)}

NOTE_TRIM = "`trim` strips spaces only, Python's `strip()` also tabs and newlines"
NOTE_INITCAP = "`initcap` capitalises after spaces only, `str.title()` after any non-letter"
NOTE_ROUND = "Python's `round` rounds halves to even like `bround`; `round` rounds them up"
NOTE_TRUTHY = "the UDF's truthiness test also returned None for \"\" and 0; the built-in does so only for null"
NOTE_SIZE = "`size` if it is an array column"
MAX_OPERATIONS = 5
TRUTHY = "truthy"  # kind of a null test that came from `if s:`; must fold away as a guard


def java_regex_escape(s: str) -> str:
    return "".join("\\" + c if c in _JAVA_REGEX_SPECIAL else c for c in s)


def java_replacement_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("$", "\\$")


def _const_int(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int):
        return -node.operand.value
    return None


def _const_str(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


_ANN_KINDS = {"str": "str", "int": "int", "float": "num", "bool": "bool", "list": "arr", "List": "arr"}


class _Conv:
    def __init__(self, params: list[str], kinds: list[str], ret: str, is_bound, qualname, pandas: bool):
        self.env: dict[str, X] = {p: _param(i, k) for i, (p, k) in enumerate(zip(params, kinds))}
        self.ret = ret
        self.is_bound = is_bound
        self.qualname = qualname
        self.pandas = pandas
        self.notes: list[str] = []
        self.budget = 200
        self.declared = True

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _builtin(self, node: ast.AST, env) -> str | None:
        if isinstance(node, ast.Name) and node.id not in env and not self.is_bound(node.id) and node.id in _PY_BUILTINS:
            return node.id
        return None

    def when(self, cond: X, then: X, other: X) -> X:
        # `if s` returning None for a falsy s: "" and 0 now give the built-in's value instead.
        if (cond.kind == TRUTHY and _is_null(other)) or (cond.op == "meth" and cond.val == "isNull"
                                                         and cond.kind == TRUTHY and _is_null(then)):
            self.note(NOTE_TRUTHY)
        elif any(n.kind == TRUTHY for n in cond.walk()) and (_is_null(then) or _is_null(other)):
            self.note(NOTE_TRUTHY)
        return make_when(cond, then, other)

    # statements ---------------------------------------------------------------
    def block(self, stmts: list, env: dict) -> X:
        self.budget -= 1
        if self.budget < 0:
            raise _No
        for i, st in enumerate(stmts):
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
                continue
            if isinstance(st, ast.Pass):
                continue
            if isinstance(st, (ast.Assign, ast.AnnAssign)):
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                if st.value is None or len(targets) != 1 or not isinstance(targets[0], ast.Name):
                    raise _No
                env = {**env, targets[0].id: self.expr(st.value, env)}
                continue
            if isinstance(st, ast.Return):
                return self.expr(st.value, env) if st.value is not None else _NULL
            if isinstance(st, ast.If):
                rest = stmts[i + 1:]
                cond = self.cond(st.test, env)
                then = self.block(st.body + rest, env)
                other = self.block(st.orelse + rest, env)
                return self.when(cond, then, other)
            raise _No
        return _NULL

    # expressions --------------------------------------------------------------
    def cond(self, node: ast.AST, env) -> X:
        """A boolean context: a bare parameter's truthiness reads as a null test."""
        if isinstance(node, ast.Name) and node.id in env and env[node.id].op == "param":
            # Only acceptable as a null guard that folds away (see builtin_for): tagged "truthy".
            return _meth("isNotNull", env[node.id], kind=TRUTHY)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _negate(self.cond(node.operand, env))
        if isinstance(node, ast.BoolOp):
            parts = tuple(self.cond(v, env) for v in node.values)
            return X("and" if isinstance(node.op, ast.And) else "or", parts, None, "bool")
        x = self.expr(node, env)
        if x.kind not in ("bool", TRUTHY):
            raise _No
        return x

    def expr(self, node: ast.AST, env) -> X:
        if self.pandas:
            return self.pexpr(node, env)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, int, float, bool)) or node.value is None:
                return _lit(node.value)
            raise _No
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            raise _No
        if isinstance(node, ast.JoinedStr):
            return self.concat(self.fstring(node, env))
        if isinstance(node, ast.BinOp):
            return self.binop(node, env)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _negate(self.cond(node.operand, env))
            if isinstance(node.op, ast.USub):
                v = self.expr(node.operand, env)
                if v.op == "lit" and v.kind in ("int", "float"):
                    return _lit(-v.val)
                if v.kind not in _NUM_KINDS:
                    raise _No
                return X("neg", (v,), None, v.kind)
            raise _No
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, env)
        if isinstance(node, ast.Compare):
            return self.compare(node, env)
        if isinstance(node, ast.IfExp):
            return self.when(self.cond(node.test, env), self.expr(node.body, env), self.expr(node.orelse, env))
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.Attribute) and node.attr in _DATE_PARTS:
            v = self.expr(node.value, env)
            if v.op != "param" or v.kind != "any":
                raise _No
            return _fn(_DATE_PARTS[node.attr], v, kind="int")
        raise _No

    def str_operand(self, node: ast.AST, env) -> X:
        v = self.expr(node, env)
        if v.kind not in _STR_KINDS:
            raise _No
        return v

    def num_operand(self, node: ast.AST, env) -> X:
        v = self.expr(node, env)
        if v.kind not in _NUM_KINDS:
            raise _No
        return v

    # strings ------------------------------------------------------------------
    def fstring(self, node: ast.JoinedStr, env) -> list[X]:
        parts: list[X] = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(_lit(v.value))
            elif isinstance(v, ast.FormattedValue) and v.format_spec is None and v.conversion in (-1, 115):
                parts.append(self.expr(v.value, env))
            else:
                raise _No
        return parts

    def concat(self, parts: list[X]) -> X:
        merged: list[X] = []
        for p in parts:
            if p.op == "fn" and p.val == "concat":
                merged.extend(p.args)
            elif p.op == "lit" and p.kind == "str" and merged and merged[-1].op == "lit":
                merged[-1] = _lit(merged[-1].val + p.val)
            elif p.op == "lit" and p.kind == "str" and p.val == "":
                continue
            elif p.op == "lit" and p.kind != "str":
                raise _No
            elif p.kind in ("arr", "null"):
                raise _No
            else:
                merged.append(p)
        cols = []
        for p in merged:
            if p.kind not in ("str", "any") and p.op != "lit":
                p = _meth("cast", p, _raw("string"), kind="str")
            cols.append(p)
        if not any(p.op != "lit" for p in cols):
            raise _No
        if len(cols) == 1:
            return cols[0] if cols[0].kind == "str" else _meth("cast", cols[0], _raw("string"), kind="str")
        return _fn("concat", *cols, kind="str")

    def percent_format(self, fmt: str, values: list[X]) -> list[X]:
        pieces = fmt.split("%s")
        if any("%" in p.replace("%%", "") for p in pieces) or len(pieces) - 1 != len(values):
            raise _No
        parts: list[X] = []
        for i, p in enumerate(pieces):
            if p:
                parts.append(_lit(p.replace("%%", "%")))
            if i < len(values):
                parts.append(values[i])
        return parts

    def brace_format(self, fmt: str, args: list[X], kwargs: dict[str, X]) -> list[X]:
        parts: list[X] = []
        auto = 0
        try:
            parsed = list(string.Formatter().parse(fmt))
        except ValueError:
            raise _No
        for literal, field_name, spec, conv in parsed:
            if literal:
                parts.append(_lit(literal))
            if field_name is None:
                continue
            if spec or conv not in (None, "s"):
                raise _No
            if field_name == "":
                if auto >= len(args):
                    raise _No
                parts.append(args[auto])
                auto += 1
            elif field_name.isdigit() and int(field_name) < len(args):
                parts.append(args[int(field_name)])
            elif field_name in kwargs:
                parts.append(kwargs[field_name])
            else:
                raise _No
        return parts

    # operators ----------------------------------------------------------------
    def binop(self, node: ast.BinOp, env) -> X:
        op = node.op
        if isinstance(op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            right = node.right
            elts = right.elts if isinstance(right, ast.Tuple) else [right]
            values = [self.expr(e, env) for e in elts]
            return self.concat(self.percent_format(node.left.value, values))
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if isinstance(op, ast.Add):
            kinds = {left.kind, right.kind}
            if "str" in kinds:
                if not kinds <= {"str", "any"}:
                    raise _No
                return self.concat([left, right])
            if kinds == {"any"}:  # `a + b`: strings or numbers?  Only the declared type tells
                if self.ret == "string" and self.declared:
                    return self.concat([left, right])
                if self.ret not in INTEGRAL + FLOATING:
                    raise _No
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            raise _No
        if left.kind not in _NUM_KINDS or right.kind not in _NUM_KINDS:
            raise _No
        if left.op == "lit" and right.op == "lit":
            raise _No
        sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(op)]
        if sym == "/":
            kind = "float"
        elif left.kind == right.kind == "int":
            kind = "int"
        elif "float" in (left.kind, right.kind):
            kind = "float"
        else:
            kind = "num"
        return X("bin", (left, right), sym, kind)

    def boolop(self, node: ast.BoolOp, env) -> X:
        values = node.values
        if len(values) == 2 and isinstance(values[0], ast.Name) and values[0].id in env \
                and env[values[0].id].op == "param" and env[values[0].id].kind != "bool":
            p = env[values[0].id]
            if isinstance(node.op, ast.And):  # `s and s.upper()`: a null guard
                then = self.expr(values[1], env)
                if then.kind == "bool":
                    raise _No
                return make_when(_meth("isNotNull", p, kind=TRUTHY), then, _NULL)  # "" and 0 give themselves
            default = self.expr(values[1], env)  # `s or "n/a"`, `x or 0`
            if default.op != "lit" or not (default.kind == "str" and p.kind in ("str", "any")
                                           or default.kind == "int" and default.val == 0 and p.kind in _NUM_KINDS):
                raise _No
            self.note(NOTE_TRUTHY)
            return _coalesce(p, default)
        parts = tuple(self.cond(v, env) for v in values)
        return X("and" if isinstance(node.op, ast.And) else "or", parts, None, "bool")

    def compare(self, node: ast.Compare, env) -> X:
        out: list[X] = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators):
            out.append(self.compare1(left_node, op, right_node, env))
            left_node = right_node
        return out[0] if len(out) == 1 else X("and", tuple(out), None, "bool")

    def compare1(self, left_node, op, right_node, env) -> X:
        is_none = lambda n: isinstance(n, ast.Constant) and n.value is None  # noqa: E731
        if isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)) and (is_none(left_node) or is_none(right_node)):
            other = right_node if is_none(left_node) else left_node
            v = self.expr(other, env)
            if v.op == "lit":
                raise _No
            null = isinstance(op, (ast.Is, ast.Eq))
            return _meth("isNull" if null else "isNotNull", v, kind="bool")
        if isinstance(op, (ast.Is, ast.IsNot)):
            raise _No
        if isinstance(op, (ast.In, ast.NotIn)):
            if isinstance(right_node, (ast.Tuple, ast.List, ast.Set)):
                values = [e.value for e in right_node.elts if isinstance(e, ast.Constant)]
                if len(values) != len(right_node.elts) or not values or any(v is None for v in values):
                    raise _No
                if len({type(v) for v in values}) != 1:
                    raise _No
                v = self.expr(left_node, env)
                if v.op == "lit" or v.kind in ("arr", "bool"):
                    raise _No
                x = _meth("isin", v, *(_raw(e) for e in values), kind="bool")
            else:
                needle = _const_str(left_node)
                if needle is None:
                    raise _No
                hay = self.str_operand(right_node, env)
                x = _meth("contains", hay, _raw(needle), kind="bool")
            return _negate(x) if isinstance(op, ast.NotIn) else x
        syms = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
        sym = syms.get(type(op))
        if sym is None:
            raise _No
        left, right = self.expr(left_node, env), self.expr(right_node, env)
        if left.op == "lit" and right.op == "lit":
            raise _No
        if "arr" in (left.kind, right.kind) or "null" in (left.kind, right.kind):
            raise _No
        if left.op == "lit":  # 5 < x  ->  x > 5: a Column on the left
            flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
            left, right, sym = right, left, flip[sym]
        return X("cmp", (left, right), sym, "bool")

    # calls --------------------------------------------------------------------
    def call(self, node: ast.Call, env) -> X:
        f = node.func
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _No
        name = self._builtin(f, env)
        if name is not None:
            return self.builtin_call(name, node, env)
        if not isinstance(f, ast.Attribute):
            raise _No
        q = self.qualname(f) or ""
        if q == "re.sub":
            return self.re_sub(node, env)
        if node.keywords:
            raise _No
        m, recv_node, args = f.attr, f.value, node.args
        if m == "hexdigest" and not args:
            return self.hexdigest(recv_node, env)
        if m == "join":
            sep = _const_str(recv_node)
            if sep is None or len(args) != 1 or not isinstance(args[0], (ast.List, ast.Tuple)):
                raise _No
            parts = [self.str_operand(e, env) for e in args[0].elts]
            if len(parts) < 2:
                raise _No
            if sep == "":
                return self.concat(parts)
            return _fn("concat_ws", _raw(sep), *parts, kind="str")
        if m == "format":
            fmt = _const_str(recv_node)
            if fmt is None:
                raise _No
            return self.concat(self.brace_format(fmt, [self.expr(a, env) for a in args], {}))
        recv = self.expr(recv_node, env)
        if recv.kind not in _STR_KINDS:
            raise _No
        if m in ("upper", "lower") and not args:
            return _fn(m, recv, kind="str")
        if m == "title" and not args:
            self.note(NOTE_INITCAP)
            return _fn("initcap", recv, kind="str")
        if m in ("strip", "lstrip", "rstrip"):
            fname = {"strip": "trim", "lstrip": "ltrim", "rstrip": "rtrim"}[m]
            if not args:
                self.note(NOTE_TRIM)
            elif not (len(args) == 1 and _const_str(args[0]) == " "):
                raise _No
            return _fn(fname, recv, kind="str")
        if m in ("startswith", "endswith"):
            s = _const_str(args[0]) if len(args) == 1 else None
            if s is None:
                raise _No
            return _meth(m, recv, _raw(s), kind="bool")
        if m == "split":
            sep = _const_str(args[0]) if args else None
            if not sep or len(args) > 2:
                raise _No
            extra = ()
            if len(args) == 2:
                n = _const_int(args[1])
                if n is None or n < 0:
                    raise _No
                if n > 0:
                    extra = (_raw(n + 1),)
            return _fn("split", recv, _raw(java_regex_escape(sep)), *extra, kind="arr")
        if m == "replace":
            if len(args) != 2:
                raise _No
            a, b = _const_str(args[0]), _const_str(args[1])
            if not a or b is None:
                raise _No
            return _fn("regexp_replace", recv, _raw(java_regex_escape(a)), _raw(java_replacement_escape(b)),
                       kind="str")
        raise _No

    def builtin_call(self, name: str, node: ast.Call, env) -> X:
        args = node.args
        if node.keywords:
            raise _No
        if name == "len" and len(args) == 1:
            v = self.expr(args[0], env)
            if v.kind == "arr":
                return _fn("size", v, kind="int")
            if v.kind not in _STR_KINDS:
                raise _No
            if v.kind == "any":
                self.note(NOTE_SIZE)
            return _fn("length", v, kind="int")
        if name == "abs" and len(args) == 1:
            v = self.num_operand(args[0], env)
            if v.op == "lit":
                raise _No
            return _fn("abs", v, kind=v.kind if v.kind != "any" else "num")
        if name == "round" and len(args) == 2:
            v = self.num_operand(args[0], env)
            n = _const_int(args[1])
            if n is None or v.op == "lit":
                raise _No
            self.note(NOTE_ROUND)
            return _fn("bround", v, _raw(n), kind="float")
        if name in ("str", "int", "float") and len(args) == 1:
            v = self.expr(args[0], env)
            if v.op == "lit" or v.kind in ("arr", "null"):
                raise _No
            if name == "str":
                if v.kind == "str":
                    return v
                return _meth("cast", v, _raw("string"), kind="str")
            if name == "int":
                if v.kind not in ("str", "any", "int", "num", "float"):
                    raise _No
                target = self.ret if self.ret in INTEGRAL else "bigint"
                return _meth("cast", v, _raw(target), kind="int")
            if v.kind not in ("str", "any", "int", "num", "float"):
                raise _No
            target = self.ret if self.ret in FLOATING else "double"
            return _meth("cast", v, _raw(target), kind="float")
        if name in ("max", "min") and len(args) >= 2:
            vals = [self.expr(a, env) for a in args]
            if all(v.op == "lit" for v in vals) or any(v.kind in ("arr", "null", "bool") for v in vals):
                raise _No
            kinds = {v.kind for v in vals}
            kind = kinds.pop() if len(kinds) == 1 else ("num" if kinds <= set(_NUM_KINDS) else "any")
            return _fn("greatest" if name == "max" else "least", *vals, kind=kind)
        raise _No

    def re_sub(self, node: ast.Call, env) -> X:
        if len(node.args) != 3 or node.keywords:
            raise _No
        pat, repl = _const_str(node.args[0]), _const_str(node.args[1])
        if not pat or repl is None:
            raise _No
        if "(?P" in pat or "\\Z" in pat or "(?(" in pat or "\\g" in repl:
            raise _No
        # Python group references \1 become Java's $1; other backslashes are not mapped.
        out, i = [], 0
        while i < len(repl):
            c = repl[i]
            if c == "\\":
                if i + 1 < len(repl) and repl[i + 1].isdigit():
                    out.append("$" + repl[i + 1])
                    i += 2
                    continue
                raise _No
            out.append("\\$" if c == "$" else c)
            i += 1
        s = self.str_operand(node.args[2], env)
        return _fn("regexp_replace", s, _raw(pat), _raw("".join(out)), kind="str")

    def hexdigest(self, recv_node: ast.AST, env) -> X:
        if not (isinstance(recv_node, ast.Call) and len(recv_node.args) == 1 and not recv_node.keywords):
            raise _No
        q = self.qualname(recv_node.func) or ""
        if not q.startswith("hashlib.") or q[8:] not in _HASHES:
            raise _No
        enc = recv_node.args[0]
        if not (isinstance(enc, ast.Call) and isinstance(enc.func, ast.Attribute) and enc.func.attr == "encode"
                and not enc.keywords and len(enc.args) <= 1):
            raise _No
        if enc.args and (_const_str(enc.args[0]) or "").lower().replace("-", "") not in ("utf8",):
            raise _No
        v = self.str_operand(enc.func.value, env)
        fname, bits = _HASHES[q[8:]]
        return _fn(fname, v, _raw(bits), kind="str") if bits else _fn(fname, v, kind="str")

    def subscript(self, node: ast.Subscript, env) -> X:
        v = self.expr(node.value, env)
        sl = node.slice
        if isinstance(sl, ast.Slice):
            if sl.step is not None or not (v.kind == "str" or (v.kind == "any" and self.ret == "string")):
                raise _No
            lo = _const_int(sl.lower) if sl.lower is not None else 0
            hi = _const_int(sl.upper) if sl.upper is not None else None
            if lo is None:
                raise _No
            if sl.upper is None:
                if lo < 0:
                    return _fn("substring", v, _raw(lo), _raw(-lo), kind="str")
                raise _No
            if hi is None or lo < 0 or hi <= lo:
                raise _No
            return _fn("substring", v, _raw(lo + 1), _raw(hi - lo), kind="str")
        i = _const_int(sl)
        if i is None:
            raise _No
        if v.kind == "arr":
            item_kind = "str"
            if i >= 0:
                return _meth("getItem", v, _raw(i), kind=item_kind)
            return _fn("element_at", v, _raw(i), kind=item_kind)
        if v.kind == "str" and i >= 0:
            return _fn("substring", v, _raw(i + 1), _raw(1), kind="str")
        raise _No

    # pandas_udf bodies ----------------------------------------------------------
    def pexpr(self, node: ast.AST, env) -> X:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, int, float, bool)):
                return _lit(node.value)
            raise _No
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            raise _No
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
                l, r = self.pexpr(node.left, env), self.pexpr(node.right, env)
                if l.kind != "bool" or r.kind != "bool":
                    raise _No
                return X("and" if isinstance(node.op, ast.BitAnd) else "or", (l, r), None, "bool")
            return self.binop(node, env)
        if isinstance(node, ast.UnaryOp):
            v = self.pexpr(node.operand, env)
            if isinstance(node.op, ast.Invert) and v.kind == "bool":
                return _negate(v)
            if isinstance(node.op, ast.USub) and v.kind in _NUM_KINDS and v.op != "lit":
                return X("neg", (v,), None, v.kind)
            raise _No
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            if isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.In, ast.NotIn)):
                raise _No
            right = node.comparators[0]
            if isinstance(right, ast.Constant) and right.value is None:
                raise _No
            return self.compare1(node.left, node.ops[0], right, env)
        if isinstance(node, ast.Subscript) and _is_str_accessor(node.value):
            base = self.pexpr(node.value.value, env)
            if base.op != "param" and base.kind != "str":
                raise _No
            sl = node.slice
            if not isinstance(sl, ast.Slice) or sl.step is not None or sl.lower is not None or sl.upper is None:
                raise _No
            n = _const_int(sl.upper)
            if n is None or n <= 0:
                raise _No
            return _fn("substring", base, _raw(1), _raw(n), kind="str")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return self.pcall(node, env)
        raise _No

    def pcall(self, node: ast.Call, env) -> X:
        f = node.func
        m, args, kw = f.attr, node.args, {k.arg: k.value for k in node.keywords}
        if None in kw:
            raise _No
        if _is_str_accessor(f.value):
            v = self.pexpr(f.value.value, env)
            if v.kind not in _STR_KINDS:
                raise _No
            if m in ("upper", "lower") and not args and not kw:
                return _fn(m, v, kind="str")
            if m == "title" and not args and not kw:
                self.note(NOTE_INITCAP)
                return _fn("initcap", v, kind="str")
            if m in ("strip", "lstrip", "rstrip") and not kw:
                if not args:
                    self.note(NOTE_TRIM)
                elif not (len(args) == 1 and _const_str(args[0]) == " "):
                    raise _No
                return _fn({"strip": "trim", "lstrip": "ltrim", "rstrip": "rtrim"}[m], v, kind="str")
            if m == "len" and not args and not kw:
                return _fn("length", v, kind="int")
            if m in ("startswith", "endswith") and len(args) == 1 and not kw and _const_str(args[0]) is not None:
                return _meth(m, v, _raw(_const_str(args[0])), kind="bool")
            if m == "contains" and len(args) == 1 and set(kw) <= {"regex"}:
                s = _const_str(args[0])
                plain = s is not None and not (set(s) & _JAVA_REGEX_SPECIAL)
                no_regex = "regex" in kw and isinstance(kw["regex"], ast.Constant) and kw["regex"].value is False
                if s is None or not (plain or no_regex):
                    raise _No
                return _meth("contains", v, _raw(s), kind="bool")
            if m == "replace" and len(args) == 2 and set(kw) <= {"regex"}:
                a, b = _const_str(args[0]), _const_str(args[1])
                plain = a is not None and not (set(a) & _JAVA_REGEX_SPECIAL) and b is not None and "\\" not in b
                no_regex = "regex" in kw and isinstance(kw["regex"], ast.Constant) and kw["regex"].value is False
                if not a or b is None or not (plain or no_regex):
                    raise _No
                return _fn("regexp_replace", v, _raw(java_regex_escape(a)), _raw(java_replacement_escape(b)),
                           kind="str")
            raise _No
        v = self.pexpr(f.value, env)
        if v.op == "lit":
            raise _No
        if m == "abs" and not args and not kw and v.kind in _NUM_KINDS:
            return _fn("abs", v, kind=v.kind if v.kind != "any" else "num")
        if m == "round" and len(args) == 1 and not kw and v.kind in _NUM_KINDS:
            n = _const_int(args[0])
            if n is None:
                raise _No
            self.note(NOTE_ROUND)
            return _fn("bround", v, _raw(n), kind="float")
        if m in ("isna", "isnull", "notna", "notnull") and not args and not kw:
            return _meth("isNull" if m in ("isna", "isnull") else "isNotNull", v, kind="bool")
        if m == "fillna" and len(args) == 1 and not kw:
            d = self.pexpr(args[0], env)
            if d.op != "lit":
                raise _No
            return _coalesce(v, d)
        raise _No


def _is_str_accessor(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "str"


def _param_kind(arg: ast.arg) -> str:
    a = arg.annotation
    if a is None:
        return "any"
    name = a.id if isinstance(a, ast.Name) else a.attr if isinstance(a, ast.Attribute) else None
    if isinstance(a, ast.Subscript):
        base = a.value
        name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else None
    return _ANN_KINDS.get(name or "", "any")


def _fits(x: X, ret: str) -> X | None:
    """The built-in expression cast to what the UDF declared it returns, or None when they disagree."""
    k = x.kind
    if ret == "string":
        if k in ("str", "any"):
            return x
        if x.op in ("bin", "neg"):
            return None  # `s * 2` into a string: repetition or arithmetic?  Not sure enough
        if k in ("int", "num", "float", "bool"):
            return _meth("cast", x, _raw("string"), kind="str")
        return None
    if ret in INTEGRAL:
        return x if k in ("int", "num", "any") else None
    if ret in FLOATING:
        return x if k in ("float", "num", "any") else None
    if ret == "boolean":
        return x if k in ("bool", "any") and x.op != "param" else None
    if ret == "array<string>":
        return x if k == "arr" else None
    return None


def builtin_for(func: ast.AST, *, return_type: str | None = "string", declared: bool = True, pandas: bool = False,
                is_bound: Callable[[str], bool] = lambda n: False,
                qualname: Callable[[ast.AST], str | None] = lambda n: None) -> Replacement | None:
    """The built-in a UDF's ``lambda`` or ``def`` computes, or ``None``.

    ``return_type`` is the declared type as :func:`return_type` normalises it
    (``None`` when unknown: then nothing is claimed), ``declared`` whether the
    code spelled it out (``udf(f)`` defaults to string); ``pandas`` reads the body
    as a vectorised ``pandas_udf`` over Series; ``is_bound`` tells whether a
    name like ``len`` is rebound in the enclosing code, ``qualname`` resolves
    ``re.sub`` / ``hashlib.md5`` through the imports.
    """
    if return_type is None:
        return None
    if isinstance(func, ast.Lambda):
        args, body = func.args, None
    elif isinstance(func, ast.FunctionDef):
        args, body = func.args, func.body
        if len(body) > 25 or any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal))
                                 for n in ast.walk(func)):
            return None
    else:
        return None
    if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.kw_defaults:
        return None
    params = [a.arg for a in args.posonlyargs + args.args]
    if not params or len(set(params)) != len(params):
        return None
    kinds = ["any" if pandas else _param_kind(a) for a in args.posonlyargs + args.args]
    conv = _Conv(params, kinds, return_type, is_bound, qualname, pandas)
    conv.declared = declared
    try:
        if body is None:
            x = conv.expr(func.body, conv.env)  # type: ignore[union-attr]
        elif pandas:
            stmts = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            if len(stmts) != 1 or not isinstance(stmts[0], ast.Return) or stmts[0].value is None:
                return None
            x = conv.expr(stmts[0].value, conv.env)
        else:
            x = conv.block(body, conv.env)
    except (_No, RecursionError):
        return None
    if x.op in ("param", "lit") or not any(n.op == "param" for n in x.walk()):
        return None
    if any(n.kind == TRUTHY for n in x.walk()):
        return None  # `"Y" if flag else "N"`: truthiness is the logic, not a null guard
    if sum(n.op not in ("param", "lit", "raw") for n in x.walk()) > MAX_OPERATIONS:
        return None  # multi-step logic: the rewrite would be no clearer than the UDF
    fitted = _fits(x, return_type)
    if fitted is None:
        return None
    if NOTE_SIZE in conv.notes and not any(n.op == "fn" and n.val == "length" for n in fitted.walk()):
        conv.notes.remove(NOTE_SIZE)
    return Replacement(fitted, tuple(params), conv.notes)
