"""## What it does
Checks for `df = df.withColumn(...)` (or `withColumnRenamed`) repeated by a
`for` or `while` loop, each iteration adding a column to the same DataFrame.

## Why is this bad?
Every `withColumn` call adds a projection on top of the logical plan, and each
new plan is analysed again from the root: a loop over tens or hundreds of
columns builds a deep plan whose analysis and optimisation take seconds to
minutes on the driver (and can end in a `StackOverflowError`) before a single
task runs.  One `withColumns({...})` (Spark 3.3+), `withColumnsRenamed({...})`
(Spark 3.4+) or `select` adds all the columns in one projection.

Loops that also transform the DataFrame in other ways (filters, joins, actions
on it), or that rebuild the same column each iteration, are not reported.

## Example
```python
for c in ["price", "qty", "discount"]:
    df = df.withColumn(c, F.col(c).cast("double"))

for c in df.columns:
    df = df.withColumnRenamed(c, c.lower())
```

Use instead:
```python
df = df.withColumns({c: F.col(c).cast("double") for c in ["price", "qty", "discount"]})

df = df.withColumnsRenamed({c: c.lower() for c in df.columns})
```

## Fix safety
The rewrite evaluates every new column against the DataFrame as it was before
the loop, where the loop evaluated each one against the result of the previous
iterations.  It is safe when the loop target is the column written and the new
value reads only that column (`F.col(c)`, `col(c)`, `df[c]`, or functions of
it), or when the iterable is a literal of distinct names the values never read;
renames are safe for literal mappings whose new names are not also old names.
Otherwise the fix is unsafe: a value reading a column written by an earlier
iteration would see the old column, and a name the iterable lists twice
would be transformed once.  The fix also needs Spark 3.3+
(`withColumns`) or 3.4+ (`withColumnsRenamed`), and is unsafe when the loop
variable is read after the loop.
"""

from __future__ import annotations

import ast
import io
import tokenize
import weakref

from ...engine import values as V
from ...engine.astutil import COMPS, FUNCS, dotted, names, walk_scope
from ...findings import Edit
from ...rules.base import python_rule

ONE = {"withColumn": "withColumns", "withColumnRenamed": "withColumnsRenamed"}
# attributes of a DataFrame that read no data (a column reference is any other attribute not called)
META = {"columns", "schema", "dtypes", "isStreaming"}
DATA_ATTRS = {"write", "writeStream", "writeTo", "rdd", "na", "stat", "sparkSession", "sql_ctx"}
# pyspark.sql.functions whose positional string arguments at these indexes are literals, not columns
LITERAL_ARGS = {
    "when": {1}, "regexp_replace": {1, 2}, "regexp_extract": {1, 2}, "date_format": {1}, "to_date": {1},
    "to_timestamp": {1}, "from_unixtime": {1}, "unix_timestamp": {1}, "date_trunc": {0}, "trunc": {1},
    "split": {1, 2}, "concat_ws": {0}, "format_string": {0}, "format_number": {1}, "lpad": {1, 2},
    "rpad": {1, 2}, "translate": {1, 2}, "substring": {1, 2}, "substring_index": {1, 2}, "instr": {1},
    "locate": {0, 2}, "round": {1}, "bround": {1}, "get_json_object": {1}, "from_json": {1, 2},
    "to_json": {1}, "sha2": {1}, "encode": {1}, "decode": {1}, "conv": {1, 2}, "like": {1},
}
NO_COLUMNS = {"current_date", "current_timestamp", "monotonically_increasing_id", "rand", "randn", "now",
              "spark_partition_id", "input_file_name", "uuid", "current_user"}

_REPORTED: "weakref.WeakKeyDictionary[object, set]" = weakref.WeakKeyDictionary()


_key = dotted  # ``df`` -> "df", ``self.df`` -> "self.df"; None otherwise


def _chain(value: ast.AST) -> tuple[ast.AST, list[ast.Call]]:
    """``df.a(...).b(...)`` -> (root ``df``, [a-call, b-call]) following method calls down to the receiver."""
    calls = []
    node = value
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        calls.append(node)
        node = node.func.value
        if _key(node) is not None:
            break
    calls.reverse()
    return node, calls


def _arg(call: ast.Call, i: int, name: str) -> ast.AST | None:
    if len(call.args) > i and not any(isinstance(a, ast.Starred) for a in call.args[: i + 1]):
        return call.args[i]
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _loop_of(stmt: ast.stmt, ctx) -> ast.AST | None:
    """The innermost for/while loop whose body holds ``stmt`` (same function)."""
    child = stmt
    for p in ctx.ancestors(stmt):
        if isinstance(p, FUNCS + (ast.ClassDef,)):
            return None
        if isinstance(p, (ast.For, ast.AsyncFor, ast.While)) and child in p.body:
            return p
        child = p
    return None


_names = names
_walk_scope = walk_scope


def _stored(node: ast.AST) -> list[ast.AST]:
    """Targets bound by a statement or expression node."""
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        return [node.target]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [i.optional_vars for i in node.items if i.optional_vars is not None]
    return []


def _target_keys(target: ast.AST) -> set[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        out = set()
        for e in target.elts:
            out |= _target_keys(e.value if isinstance(e, ast.Starred) else e)
        return out
    k = _key(target)
    return {k} if k else set()


def _is_with_chain(stmt: ast.AST, key: str) -> bool:
    """``key = key.withColumn(...)...``: an assignment back to key whose chain holds withColumn*."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _key(stmt.targets[0]) == key):
        return False
    root, calls = _chain(stmt.value)
    return _key(root) == key and any(c.func.attr in ONE for c in calls)  # type: ignore[union-attr]


def _other_uses(loop: ast.AST, key: str) -> bool:
    """Does the loop do anything with ``key`` beyond rebuilding it with withColumn and reading its columns?"""
    root_name = key.split(".", 1)[0]
    regions = list(loop.body) + ([loop.test] if isinstance(loop, ast.While) else [])
    # the walk has not reached the rest of the loop yet: parents from our own walk
    parents: dict[int, ast.AST] = {}
    for region in regions:
        for n in ast.walk(region):
            for ch in ast.iter_child_nodes(n):
                parents[id(ch)] = n
    chain_roots = set()
    for region in regions:
        for n in ast.walk(region):
            if _is_with_chain(n, key):
                chain_roots.add(id(_chain(n.value)[0]))  # type: ignore[attr-defined]
    for region in regions:
        for n in ast.walk(region):
            if isinstance(n, FUNCS + (ast.ClassDef,)):
                if root_name in _names(n):
                    return True  # a function or class in the loop using df: can't follow
                continue
            for t in _stored(n):
                if key in _target_keys(t) and not _is_with_chain(n, key):
                    return True
            if isinstance(n, (ast.Name, ast.Attribute)) and isinstance(getattr(n, "ctx", None), ast.Load):
                if _key(n) != key or id(n) in chain_roots:
                    continue
                parent = parents.get(id(n))
                if isinstance(parent, ast.Subscript) and parent.value is n:
                    continue  # df["c"]: a column reference
                if isinstance(parent, ast.Attribute) and parent.value is n:
                    grand = parents.get(id(parent))
                    if isinstance(grand, ast.Call) and grand.func is parent:
                        return True  # df.count(), df.filter(...)
                    if parent.attr in DATA_ATTRS:
                        return True
                    continue  # df.columns, df.schema, df.some_col
                return True  # df passed on, stored, compared...
    return False


def _varies(arg0: ast.AST, loop: ast.AST) -> bool:
    """Does the column name change from one iteration to the next?"""
    if isinstance(arg0, ast.Constant):
        return False
    varying = set()
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        varying |= _names(loop.target)
    for n in _walk_scope(loop):
        for t in _stored(n):
            varying |= _names(t)
    return bool(_names(arg0) & varying)


def _dynamic_name(node: ast.AST) -> bool:
    """A column name computed at run time: an f-string, ``"x" + c``, ``"{}".format(c)``."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return any(isinstance(x, ast.Constant) and isinstance(x.value, str) or _dynamic_name(x)
                   for x in (node.left, node.right))
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant))


def _reads_computed_column(value: ast.AST) -> bool:
    """Does the new column's value name another column by a computed name (``F.col(f"c{i - 1}")``)?"""
    skip: set[int] = set()
    for n in ast.walk(value):
        if isinstance(n, ast.Call) and isinstance(n.func, (ast.Attribute, ast.Name)):
            fname = n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id
            if fname in ("lit", "alias", "name", "like", "rlike", "startswith", "endswith", "contains"):
                skip |= {id(x) for a in n.args for x in ast.walk(a)}
    return any(_dynamic_name(n) and id(n) not in skip for n in ast.walk(value))


def _local_to(fn: ast.AST, name: str) -> bool:
    """Is ``name`` a parameter or local variable of the function (or comprehension) ``fn``?"""
    if isinstance(fn, COMPS):
        return any(name in _names(g.target) for g in fn.generators)
    a = fn.args  # type: ignore[attr-defined]
    params = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    params += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    if name in params:
        return True
    if isinstance(fn, ast.Lambda):
        return False
    local = getattr(fn, "_spk504_locals", None)
    if local is None:  # computed once per function: later loads ask about it again and again
        bound: set[str] = set()
        declared: set[str] = set()
        for n in _walk_scope(fn):
            if isinstance(n, (ast.Global, ast.Nonlocal)):
                declared.update(n.names)
            for t in _stored(n):
                bound |= _names(t)
        local = fn._spk504_locals = frozenset(bound - declared)  # type: ignore[attr-defined]
    return name in local


def _read_after(ctx, loop: ast.AST, names: set[str], seq: int) -> bool:
    """Is one of the loop variables read after the loop, before being bound again?"""
    loop_scope = ctx.enclosing(loop, FUNCS)
    for name in names:
        later = []
        for load in ctx.loads_after(name, seq):
            node = load.node
            inside = False
            other_scope = False
            for p in ctx.ancestors(node):
                if p is loop:
                    inside = True
                    break
                if p is loop_scope:
                    break
                if isinstance(p, FUNCS + COMPS) and _local_to(p, name):
                    other_scope = True
                    break
            if not inside and not other_scope:
                later.append(load.seq)
        if not later:
            continue
        binds = ctx.rebinds_after(name, seq)
        if not binds or min(later) < min(binds):
            return True
    return False


class _Reads:
    """Which columns a new column's value may read, for the rewrite's safety."""

    def __init__(self, ctx, var: str, key: str, written: set[str] | None):
        self.ctx = ctx
        self.var = var  # the loop variable naming the column
        self.key = key  # the DataFrame
        self.written = written  # lower-cased literal column names the loop writes, when known
        self.params: set[str] = set()

    def only_own_column(self, node: ast.AST) -> bool:
        return self.ok(node, "lit")

    def _str_ok(self, value: str, pos: str) -> bool:
        if pos == "lit":
            return True
        return self.written is not None and value.lower() not in self.written

    def _fn(self, node: ast.AST) -> str | None:
        q = self.ctx.qualname(node) or ""
        for prefix in ("pyspark.sql.functions.", "pyspark.sql.connect.functions."):
            if q.startswith(prefix):
                return q[len(prefix):]
        return None

    def ok(self, node: ast.AST, pos: str) -> bool:  # noqa: C901 - one small interpreter
        ctx = self.ctx
        if isinstance(node, ast.Constant):
            return not isinstance(node.value, str) or self._str_ok(node.value, pos)
        if isinstance(node, ast.Name):
            if node.id == self.var or node.id in self.params:
                return True
            if pos == "lit" and node.id != self.key:
                v = ctx.value(node)
                return v is not None and v.kind in (V.LOCAL, V.NUMBER)
            return False
        if isinstance(node, ast.JoinedStr):
            return pos == "lit"
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.ok(e, pos) for e in node.elts)
        if isinstance(node, ast.BinOp):
            return self.ok(node.left, "lit") and self.ok(node.right, "lit")
        if isinstance(node, ast.UnaryOp):
            return self.ok(node.operand, "lit")
        if isinstance(node, ast.Compare):
            return self.ok(node.left, "lit") and all(self.ok(c, "lit") for c in node.comparators)
        if isinstance(node, ast.IfExp):
            if self.key.split(".")[0] in _names(node.test) or any(
                    isinstance(n, (ast.Call, ast.NamedExpr, ast.Lambda)) for n in ast.walk(node.test)):
                return False
            return self.ok(node.body, pos) and self.ok(node.orelse, pos)
        if isinstance(node, ast.Subscript):
            if _key(node.value) == self.key:
                return isinstance(node.slice, ast.Name) and node.slice.id == self.var
            if isinstance(node.value, ast.Name) and pos == "lit" and isinstance(node.slice, (ast.Name, ast.Constant)):
                if isinstance(node.slice, ast.Name) and node.slice.id != self.var:
                    return False
                v = ctx.value(node.value)
                return v is not None and v.kind == V.LOCAL  # mapping[c] of plain Python data
            return self.ok(node.value, pos) and self.ok(node.slice, "lit")
        if isinstance(node, ast.Attribute):
            fn = self._fn(node)
            if fn is not None or (ctx.qualname(node) or "").startswith("pyspark."):
                return True
            return False
        if isinstance(node, ast.Lambda):
            saved = set(self.params)
            self.params |= {a.arg for a in node.args.args}
            try:
                return self.ok(node.body, "lit")
            finally:
                self.params = saved
        if isinstance(node, ast.Call):
            return self._call(node, pos)
        return False

    def _call(self, node: ast.Call, pos: str) -> bool:
        ctx = self.ctx
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return False
        f = node.func
        fn = self._fn(f)
        if fn is not None:
            if fn in ("col", "column"):
                return (len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Name)
                        and node.args[0].id == self.var) or (
                    len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str) and self._str_ok(node.args[0].value, "col"))
            if fn == "lit":
                return all(self.ok(a, "lit") for a in node.args)
            if fn in ("expr", "udf", "pandas_udf"):
                return False
            lits = LITERAL_ARGS.get(fn, set())
            for i, a in enumerate(node.args):
                if not self.ok(a, "lit" if i in lits else "col"):
                    return False
            for k in node.keywords:
                if not self.ok(k.value, "col" if (k.arg or "").startswith("col") else "lit"):
                    return False
            return True
        q = ctx.qualname(f) or ""
        if q.startswith("pyspark.sql.types."):
            return all(self.ok(a, "lit") for a in node.args) and all(self.ok(k.value, "lit") for k in node.keywords)
        if isinstance(f, ast.Name):
            v = ctx.value(f) if ctx.is_bound(f.id) else None
            if v is not None and v.kind == V.UDF:
                return all(self.ok(a, "col") for a in node.args) and not node.keywords
            return False
        if isinstance(f, ast.Attribute):
            if f.attr == "over":
                return False  # the window names its own columns
            # a method of a Column (cast, alias, isNull, otherwise, ...) or of a Python str (c.lower())
            if not self.ok(f.value, "lit"):
                return False
            if _key(f.value) == self.key:
                return False  # a DataFrame method
            return all(self.ok(a, "lit") for a in node.args) and all(self.ok(k.value, "lit") for k in node.keywords)
        return False


def _literal_strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts:
        out = []
        for e in node.elts:
            if not (isinstance(e, ast.Constant) and isinstance(e.value, str)):
                return None
            out.append(e.value)
        return out
    return None


def _literal_pairs(node: ast.AST) -> list[tuple[str, str]] | None:
    """``{"a": "x"}.items()`` or ``[("a", "x"), ...]``: the literal (old, new) pairs."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "items"
            and not node.args and isinstance(node.func.value, ast.Dict)):
        d = node.func.value
        pairs = list(zip(d.keys, d.values))
    elif isinstance(node, (ast.List, ast.Tuple)) and node.elts and all(
            isinstance(e, ast.Tuple) and len(e.elts) == 2 for e in node.elts):
        pairs = [tuple(e.elts) for e in node.elts]  # type: ignore[attr-defined]
    else:
        return None
    out = []
    for k, v in pairs:
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str)
                and isinstance(v, ast.Constant) and isinstance(v.value, str)):
            return None
        out.append((k.value, v.value))
    return out


def _has_comment(text: str) -> bool:
    if "#" not in text:
        return False
    try:
        return any(t.type == tokenize.COMMENT for t in tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return True


def _paren(node: ast.AST, text: str, iterable: bool = False) -> str:
    """Parenthesize what cannot stand bare as a dict comprehension's key/value (or its iterable)."""
    bare_not_ok = (ast.Tuple, ast.Lambda, ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Starred)
    if iterable:
        bare_not_ok += (ast.IfExp,)
    if isinstance(node, bare_not_ok) and not (text.startswith("(") and text.endswith(")")):
        return f"({text})"
    return text


def _safety(ctx, loop: ast.For, method: str, a0: ast.AST, a1: ast.AST, key: str) -> bool:
    """Does evaluating every iteration's column against the original DataFrame give the same result?"""
    target = loop.target
    it = loop.iter
    if any(isinstance(n, (ast.GeneratorExp, ast.Lambda)) for n in ast.walk(it)):
        return False  # evaluated lazily, maybe against the changing DataFrame
    if method == "withColumn":
        if not (isinstance(target, ast.Name) and isinstance(a0, ast.Name) and a0.id == target.id):
            return False
        lits = _literal_strings(it)
        written = None
        if lits is not None:
            low = [s.lower() for s in lits]
            if len(set(low)) != len(low):
                return False
            written = set(low)
        return _Reads(ctx, target.id, key, written).only_own_column(a1)
    # renames: only literal mappings whose new names are not old names
    pairs = _literal_pairs(it)
    if pairs is None:
        return False  # new names we cannot see may collide with old ones
    if not (isinstance(target, ast.Tuple) and len(target.elts) == 2
            and all(isinstance(e, ast.Name) for e in target.elts)):
        return False
    old_var, new_var = target.elts[0].id, target.elts[1].id  # type: ignore[attr-defined]
    if not (isinstance(a0, ast.Name) and a0.id == old_var and isinstance(a1, ast.Name) and a1.id == new_var):
        return False
    olds = [o.lower() for o, _ in pairs]
    news = [n.lower() for _, n in pairs]
    if len(set(olds)) != len(olds) or len(set(news)) != len(news):
        return False
    # a new name that is another pair's old name would be renamed again by the loop
    return not any(n in olds and n != o for o, n in zip(olds, news))


_GENERATORS = {"explode", "explode_outer", "posexplode", "posexplode_outer", "inline", "inline_outer", "stack",
               "json_tuple"}


def _has_generator(value: ast.AST) -> bool:
    """Spark allows one generator per select: such columns cannot share one withColumns."""
    for n in ast.walk(value):
        if isinstance(n, ast.Call):
            f = n.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fname in _GENERATORS:
                return True
            if fname == "expr" and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str):
                if any(g + "(" in n.args[0].value.lower().replace(" (", "(") for g in _GENERATORS):
                    return True
    return False


@python_rule("SPK504", "with-column-in-loop", "warning", ast.Assign)
def with_column_in_loop(node: ast.Assign, ctx) -> None:
    value = node.value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return
    if len(node.targets) != 1:
        return
    root, calls = _chain(value)
    withs = [c for c in calls if c.func.attr in ONE]  # type: ignore[union-attr]
    if not withs:
        return
    key = _key(node.targets[0])
    if key is None or _key(root) != key:
        return
    loop = _loop_of(node, ctx)
    if loop is None:
        return
    first = withs[0]
    method = first.func.attr  # type: ignore[union-attr]
    a0 = _arg(first, 0, "colName" if method == "withColumn" else "existing")
    a1 = _arg(first, 1, "col" if method == "withColumn" else "new")
    if a0 is None or a1 is None or not _varies(a0, loop):
        return
    if _has_generator(a1):
        return  # explode() & co: one generator per projection, and the rows multiply anyway
    if method == "withColumn" and _dynamic_name(a0) and _reads_computed_column(a1):
        return  # each column built from one an earlier iteration made: not one projection
    if isinstance(loop, (ast.For, ast.AsyncFor)) and key.split(".", 1)[0] in _names(loop.target):
        return  # a different DataFrame every iteration
    v = ctx.value(root)
    if v is not None and v.kind != V.DATAFRAME:
        return
    if _other_uses(loop, key):
        return
    reported = _REPORTED.setdefault(ctx, set())
    if (id(loop), key) in reported:
        return
    reported.add((id(loop), key))

    src = ctx.source
    unit = ctx.unit
    span = src.method_span(first)
    plural = ONE[method]
    recv = ctx.segment(root)
    loop_kind = "while" if isinstance(loop, ast.While) else "for"
    call = ctx.short(first.func.value, 30) + "." + method + "(" + ctx.short(a0, 20) + ", ...)"

    edit = None
    safe = False
    names: set[str] = set()
    if (isinstance(loop, ast.For) and len(loop.body) == 1 and loop.body[0] is node and not loop.orelse
            and len(calls) == 1 and not first.keywords and len(first.args) == 2 and node.type_comment is None
            and not isinstance(ctx.enclosing(loop, FUNCS + (ast.ClassDef,)), ast.ClassDef)
            and not any(isinstance(n, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await))
                        for x in (a0, a1, loop.iter) for n in ast.walk(x))
            and not _has_comment(src.segment(loop))):
        pair = f"{_paren(a0, ctx.segment(a0))}: {_paren(a1, ctx.segment(a1))}"
        comp = f"{{{pair} for {ctx.segment(loop.target)} in {_paren(loop.iter, ctx.segment(loop.iter), True)}}}"
        text = f"{ctx.segment(node.targets[0])} = {recv}.{plural}({comp})"
        edit = Edit(*src.span(loop)[:2], *src.span(node)[2:], text)
        safe = _safety(ctx, loop, method, a0, a1, key)
        names = _names(loop.target)
        suggestion = " ".join(text.split())
        if len(suggestion) > 140:
            suggestion = suggestion[:139] + "…"
    else:
        what = "new columns" if method == "withColumn" else "renames"
        entry = f"{ctx.short(a0, 20)}: {ctx.short(a1, 40)}"
        suggestion = (f"collect the {what} in a dict in the loop (`{entry}`) and call "
                      f"`{ctx.short(node.targets[0], 20)} = {ctx.short(root, 20)}.{plural}(...)` once after it")
    if edit is not None:
        message = (f"`{call}` in a `{loop_kind}` loop adds one projection to the plan per iteration; "
                   f"build the columns in one call: `{suggestion}`")
    else:
        message = (f"`{call}` in a `{loop_kind}` loop adds one projection to the plan per iteration; "
                   f"{suggestion}")
    if method == "withColumn":
        message += " (or use one `select`)"
    seq = ctx.seq

    def finish() -> None:
        fix = None
        if edit is not None:
            ok = safe and not _read_after(ctx, loop, names, seq)
            fix = ctx.fix(f"Replace the loop with one {plural}({{...}})", [edit], safe=ok)
        ctx.report(span, message, fix=fix, unit=unit)

    ctx.on_finish(finish)
