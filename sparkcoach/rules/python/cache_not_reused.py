"""## What it does
Checks for `cache()` / `persist()` on a DataFrame or RDD that is used at most
once afterwards: `df = spark.read.parquet(p).cache()` followed by a single
write, `df.cache()` before one `count()`, `expr.cache().collect()`.

## Why is this bad?
Caching pays off only when the data is read again: the first action computes
the data *and* writes it to executor memory (and disk), taking memory from
joins and aggregations and possibly evicting data that is reused.  Data read
once is cheaper to compute on the fly, and the cache stays allocated until
`unpersist()` or the end of the application.

Uses in a loop, in a function body, in later notebook cells, through
DataFrames derived from the cached one, and through temporary views all
count as reuse; a cached value that is returned, stored in a container or an
attribute, or passed to a function (which may iterate over it, like
`model.fit`) is never reported.

## Example
```python
orders = spark.read.parquet("s3://lake/orders").cache()
orders.write.mode("overwrite").parquet("s3://lake/orders_copy")
```

Use instead:
```python
orders = spark.read.parquet("s3://lake/orders")
orders.write.mode("overwrite").parquet("s3://lake/orders_copy")
```

## Fix safety
The fix (dropping `.cache()` / `.persist(...)`, or the standalone `df.cache()`
statement) is unsafe: a reuse the analysis cannot see (a view registered by
another module, data re-read by an identical plan) would lose its cache, and
a source that changes between reads (a table overwritten later) is then read
in its new state.
"""

from __future__ import annotations

import ast
import weakref

from ...engine import values as V
from ...engine.astutil import COMPS, FUNCS, names, walk_scope
from ...engine.dataflow import DF_TO_DF, DF_TO_GROUPED, GROUPED_TO_DF, RDD_TO_RDD, name_hint_value
from ...findings import Edit
from ...rules.base import python_rule

MANY = 99  # "used again and again": in a loop, in a function body, escaping
NOT_SPARK = ("dask", "polars", "ray", "modin", "cudf", "vaex")

ACTIONS = {
    "count", "collect", "show", "take", "first", "head", "tail", "toPandas", "toArrow", "toLocalIterator",
    "foreach", "foreachPartition", "reduce", "fold", "aggregate", "treeReduce", "treeAggregate", "isEmpty",
    "collectAsMap", "countByKey", "countByValue", "top", "takeOrdered", "takeSample", "lookup", "sum", "mean",
    "max", "min", "stats", "stdev", "variance", "sampleStdev", "sampleVariance", "histogram", "countApprox",
    "countApproxDistinct", "saveAsTextFile", "saveAsPickleFile", "saveAsHadoopFile", "saveAsNewAPIHadoopFile",
    "saveAsSequenceFile", "saveAsHadoopDataset", "saveAsNewAPIHadoopDataset", "writeTo", "display",
}
# no data read: metadata, plans, the cache itself
NO_USE = {
    "unpersist", "explain", "printSchema", "getStorageLevel", "getNumPartitions", "isLocal", "inputFiles",
    "toDebugString", "id", "name", "sameSemantics", "semanticHash", "isStreaming",
}
NO_USE_ATTRS = {"columns", "schema", "dtypes", "is_cached", "storageLevel", "isStreaming", "sparkSession",
                "sql_ctx", "context", "rdd_id"}
# the data goes where we cannot follow it: a view, a checkpoint, pandas-on-Spark, a split into many
ESCAPES = {"createOrReplaceTempView", "createTempView", "createGlobalTempView", "createOrReplaceGlobalTempView",
           "registerTempTable", "checkpoint", "localCheckpoint", "pandas_api", "to_pandas_on_spark", "to_koalas",
           "randomSplit", "alias"}
TRANSFORMS = (set(DF_TO_DF) | {k for k, v in RDD_TO_RDD.items() if v is not None} | {"toDF", "toJSON"}) - NO_USE - ESCAPES
BINARY = {"join", "union", "unionAll", "unionByName", "crossJoin", "intersect", "intersectAll", "subtract",
          "exceptAll", "zip", "cartesian", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "cogroup",
          "groupWith", "subtractByKey", "lateralJoin"}
STAT_ACTIONS = {"approxQuantile", "corr", "cov"}
HARMLESS_CALLS = {"print", "repr", "str", "type", "id", "isinstance"}


class _State:
    """What the rule gathers over one analysis (a file, or all of a notebook's cells)."""

    def __init__(self):
        self.stores: dict[str, list[tuple[int, ast.stmt]]] = {}
        # spark.sql(...) / spark.table(...) calls: (seq, their lower-cased text, the call)
        self.catalog_reads: list[tuple[int, str, ast.Call]] = []


_STATES: "weakref.WeakKeyDictionary[object, _State]" = weakref.WeakKeyDictionary()


def _state(ctx) -> _State:
    st = _STATES.get(ctx)
    if st is None:
        st = _STATES[ctx] = _State()
    return st


_names = names


def _walk_scope(node: ast.AST):
    return walk_scope(node, comprehensions=False)


def _stored(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [i.optional_vars for i in node.items if i.optional_vars is not None]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [ast.Name((a.asname or a.name).split(".")[0], ast.Store()) for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [ast.Name(node.name, ast.Store())]
    return []


def _declared(fn: ast.AST, name: str) -> bool:
    """``global name`` / ``nonlocal name`` in the function."""
    return any(isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names for n in _walk_scope(fn))


def _local_to(fn: ast.AST, name: str) -> bool:
    """Is ``name`` a parameter or local variable of the function (or a comprehension's own target)?"""
    if isinstance(fn, COMPS):
        return any(name in _names(g.target) for g in fn.generators)
    if isinstance(fn, ast.ClassDef):
        return any(name in _names(t) for n in _walk_scope(fn) for t in _stored(n))
    a = fn.args  # type: ignore[attr-defined]
    params = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    params += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    if name in params:
        return True
    if isinstance(fn, ast.Lambda) or _declared(fn, name):
        return False
    return any(name in _names(t) for n in _walk_scope(fn) for t in _stored(n))


def _scope_of(node: ast.AST, ctx) -> ast.AST | None:
    return ctx.enclosing(node, FUNCS)


def _module_of(node: ast.AST, ctx) -> ast.AST | None:
    for p in ctx.ancestors(node):
        if isinstance(p, ast.Module):
            return p
    return None


def _body_of(stmt: ast.stmt, ctx) -> list | None:
    parent = ctx.parent(stmt)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(s is stmt for s in block):
            return block
    return None


class _Uses:
    """Counts how often cached data is read after the cache() call, following derived names."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.seen: set[int] = set()
        self.first_use: ast.AST | None = None

    # -- one position -------------------------------------------------------------
    def at(self, node: ast.AST, depth: int = 0) -> int:
        """Reads of the data held by the expression ``node``, from where it sits in its statement."""
        ctx = self.ctx
        kind = "data"
        while True:
            parent = ctx.parent(node)
            if isinstance(parent, ast.keyword):
                parent = ctx.parent(parent)
                arg_of_call = True
            else:
                arg_of_call = isinstance(parent, ast.Call) and node is not parent.func
            if isinstance(parent, ast.Attribute) and parent.value is node:
                grand = ctx.parent(parent)
                called = isinstance(grand, ast.Call) and grand.func is parent
                attr = parent.attr
                if not called:
                    if kind != "data":
                        return MANY
                    if attr in NO_USE_ATTRS:
                        return 0
                    if attr in ("write", "writeStream"):
                        return self._one(parent)
                    if attr == "rdd":
                        node = parent
                        continue
                    if attr in ("na", "stat"):
                        node, kind = parent, attr
                        continue
                    return 0  # df.some_column: a column reference
                if kind == "grouped":
                    if attr in GROUPED_TO_DF:
                        node, kind = grand, "data"
                        continue
                    if attr == "pivot":
                        if len(grand.args) < 2 and not grand.keywords:
                            return MANY  # pivot values found by a job of their own: a second read
                        node = grand
                        continue
                    return MANY
                if kind == "na":
                    node, kind = grand, "data"
                    continue
                if kind == "stat":
                    if attr in STAT_ACTIONS:
                        return self._one(grand)
                    node, kind = grand, "data"
                    continue
                if attr in NO_USE:
                    return 0
                if attr in ESCAPES:
                    return MANY
                if attr in ACTIONS:
                    return self._one(grand)
                if attr in DF_TO_GROUPED:
                    node, kind = grand, "grouped"
                    continue
                if attr in TRANSFORMS:
                    node = grand
                    continue
                return MANY  # a method we do not know
            if kind != "data":
                return MANY
            if isinstance(parent, ast.Subscript) and parent.value is node:
                s = parent.slice
                if isinstance(s, (ast.Constant, ast.Name)):
                    return 0  # df["col"]: a column reference
                node = parent  # df[["a", "b"]], df[df.x > 1]: a projection or a filter
                continue
            if arg_of_call:
                f = parent.func
                if isinstance(f, ast.Attribute) and f.attr in BINARY:
                    node = parent
                    continue
                q = ctx.qualname(f) or ""
                if q.endswith("functions.broadcast"):
                    node = parent
                    continue
                if isinstance(f, ast.Name) and f.id in HARMLESS_CALLS and not ctx.is_bound(f.id):
                    return 0
                if isinstance(f, ast.Name) and f.id == "display":
                    return self._one(parent)
                return MANY  # passed to a function: it may read it many times (model.fit)
            if isinstance(parent, ast.Assign) and parent.value is node:
                if len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
                    return self.name(parent.targets[0].id, parent, depth + 1)
                return MANY
            if isinstance(parent, ast.AnnAssign) and parent.value is node:
                if isinstance(parent.target, ast.Name):
                    return self.name(parent.target.id, parent, depth + 1)
                return MANY
            if isinstance(parent, ast.Expr):
                return 0  # a transformation whose result is dropped
            if isinstance(parent, ast.Compare) and all(isinstance(o, (ast.Is, ast.IsNot)) for o in parent.ops):
                return 0  # df is None
            return MANY

    def _one(self, node: ast.AST) -> int:
        if self.first_use is None:
            self.first_use = node
        return 1

    # -- a name ----------------------------------------------------------------------
    def name(self, name: str, origin: ast.stmt, depth: int, after_seq: int | None = None) -> int:
        """Reads of ``name`` after the statement ``origin`` bound it (or cached it), until it is rebound."""
        ctx = self.ctx
        if depth > 8:
            return MANY
        scope = _scope_of(origin, ctx)
        if scope is not None and _declared(scope, name):
            return MANY
        seq = after_seq if after_seq is not None else self._seq_of(origin)
        loop = self._loop_around(origin, scope)
        all_loads = ctx.state.loads.get(name, ())
        # rebound later in the same block (or an enclosing one): the window ends there
        cut_seq, cut_stmt = None, None
        origin_chain = {id(origin)} | {id(p) for p in ctx.ancestors(origin)}
        for s_seq, stmt in _state(ctx).stores.get(name, ()):
            if s_seq <= seq or stmt is origin or _scope_of(stmt, ctx) is not scope:
                continue
            # it always runs after the origin: in the same statement list as the origin (or as a
            # statement enclosing it), or at the top level of a later notebook cell
            block = _body_of(stmt, ctx)
            same_block = block is not None and any(id(x) in origin_chain for x in block)
            later_cell = scope is None and isinstance(ctx.parent(stmt), ast.Module) and not same_block and (
                ctx.parent(stmt) is not _module_of(origin, ctx))
            if same_block or later_cell:
                if cut_seq is None or s_seq < cut_seq:
                    cut_seq, cut_stmt = s_seq, stmt
        total = 0
        for load in all_loads:
            node = load.node
            stmt = ctx.statement(node)
            if load.seq <= seq or stmt is origin:
                if loop is not None and self._inside(node, loop):
                    return MANY  # read again by the next iteration
                if stmt is not origin and self._in_other_function(node, origin, scope, name):
                    return MANY  # a function defined earlier that reads it when called later
                continue
            if cut_seq is not None and load.seq > cut_seq and stmt is not cut_stmt:
                continue
            if id(node) in self.seen:
                continue
            rel = self._relation(node, scope, name, origin)
            if rel is None:
                continue
            self.seen.add(id(node))
            if rel == MANY:
                return MANY
            total += self.at(node, depth)
            if total >= 2:
                return total
        return total

    def _seq_of(self, stmt: ast.stmt) -> int:
        return getattr(stmt, "_spk501_seq", 0)

    def _loop_around(self, origin: ast.stmt, scope) -> ast.AST | None:
        child = origin
        for p in self.ctx.ancestors(origin):
            if p is scope:
                return None
            if isinstance(p, (ast.For, ast.AsyncFor)) and any(s is child for s in p.body):
                return p
            if isinstance(p, ast.While) and any(s is child for s in p.body):
                return p
            child = p
        return None

    def _in_other_function(self, node: ast.AST, origin: ast.stmt, scope, name: str) -> bool:
        origin_anc = {id(p) for p in self.ctx.ancestors(origin)}
        for p in self.ctx.ancestors(node):
            if id(p) in origin_anc:
                return False
            if isinstance(p, FUNCS):
                return self._relation(node, scope, name, origin) == MANY
        return False

    def _inside(self, node: ast.AST, outer: ast.AST) -> bool:
        return any(p is outer for p in self.ctx.ancestors(node))

    def _relation(self, node: ast.AST, scope, name: str, origin: ast.stmt):
        """None: another variable of the same name; MANY: read repeatedly; 1: an ordinary read."""
        ctx = self.ctx
        origin_anc = {id(p) for p in ctx.ancestors(origin)}
        child = node
        reached = scope is None
        repeated = False
        for p in ctx.ancestors(node):
            if scope is not None and p is scope:
                reached = True
                break
            if isinstance(p, FUNCS + (ast.ClassDef,)):
                if _local_to(p, name):
                    return None
                repeated = True  # a function body (called how often?) or a closure
            elif isinstance(p, COMPS):
                if _local_to(p, name):
                    return None
                if child is not p.generators[0].iter:
                    repeated = True
            elif isinstance(p, (ast.For, ast.AsyncFor)):
                if any(s is child for s in p.body) and id(p) not in origin_anc:
                    repeated = True
            elif isinstance(p, ast.While):
                if (any(s is child for s in p.body) or child is p.test) and id(p) not in origin_anc:
                    repeated = True
            child = p
        if not reached:
            return None  # outside the function that cached it: another variable
        return MANY if repeated else 1

    def earlier_derivations(self, name: str, origin: ast.stmt, seq: int) -> bool:
        """Was ``name`` used to build other DataFrames before it was cached (they read the cache too)?"""
        ctx = self.ctx
        scope = _scope_of(origin, ctx)
        last_store, last_stmt = max(((s, st) for s, st in _state(ctx).stores.get(name, ())
                                     if s < seq and _scope_of(st, ctx) is scope),
                                    default=(-1, None), key=lambda t: t[0])
        for load in ctx.state.loads.get(name, ()):
            if not (last_store < load.seq < seq) or ctx.statement(load.node) in (origin, last_stmt):
                continue
            if self._relation(load.node, scope, name, origin) is None:
                continue
            stmt = ctx.statement(load.node)
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)):
                return True
        return False


def _made_here(name: str, stmt: ast.stmt, scope, ctx) -> bool:
    """Was ``name`` last bound, in this scope, by an assignment that builds new data (a call)?"""
    last = None
    for s_seq, st in _state(ctx).stores.get(name, ()):
        if _scope_of(st, ctx) is scope and st is not stmt:
            last = st
    if last is None:
        return False  # a parameter, a loop target, a with target, a global
    for p in ctx.ancestors(stmt):
        if p is scope:
            break
        if isinstance(p, (ast.For, ast.AsyncFor)) and name in _names(p.target):
            return False
    value = last.value
    return isinstance(value, ast.Call)


SESSION_NAMES = {"spark", "spark_session", "sparkSession", "ss", "sqlContext", "sql_context"}
CONTEXT_NAMES = {"sc", "spark_context", "sparkContext"}
SESSION_MAKES = {"read", "table", "sql", "range", "createDataFrame"}
CONTEXT_MAKES = {"textFile", "parallelize", "wholeTextFiles", "range", "binaryFiles", "pickleFile"}


def _receiver_ok(recv: ast.AST, ctx) -> bool:
    """Is the receiver a Spark DataFrame or RDD (and not, say, a Dask or Polars frame)?"""
    if any(i.split(".", 1)[0] in NOT_SPARK for i in ctx.state.imports.values()):
        v = ctx.value(recv)
        return v is not None and v.kind in V.DISTRIBUTED and v.node is not None
    v = ctx.value(recv)
    if v is not None:
        return v.kind in V.DISTRIBUTED
    if not ctx.spark_aware:
        return False
    # bound to something we cannot see (spark = build_session(); df = load()): the chain's root by name
    node, first = recv, None
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute):
            first = node.attr
            node = node.value
        else:
            node = node.func
    name = node.id if isinstance(node, ast.Name) else None
    if name is None or (ctx.is_bound(name) and ctx.lookup(name) is not None):
        return False
    if name in SESSION_NAMES:
        return first in SESSION_MAKES
    if name in CONTEXT_NAMES:
        return first in CONTEXT_MAKES
    hint = name_hint_value(name)
    return hint is not None and hint.kind in V.DISTRIBUTED


def _drop_call_edit(call: ast.Call, src) -> Edit | None:
    """Remove ``.cache()`` / ``.persist(...)`` from a chain, keeping comments before it."""
    recv = call.func.value  # type: ignore[attr-defined]
    _, _, r_line, r_col = src.span(recv)
    a_line, a_col, _, _ = src.attr_span(call.func)
    _, _, end_line, end_col = src.span(call)
    between = src.between(r_line, r_col, a_line, a_col)
    if between.strip() == ".":
        return Edit(r_line, r_col, end_line, end_col, "")
    # a comment between the receiver and the call: remove from the dot, on the call's own line
    line_text = src.line_text(a_line)
    dot = line_text.rfind(".", 0, a_col - 1)
    if dot < 0 or line_text[dot + 1: a_col - 1].strip():
        return None
    rest = src.line_text(end_line)[end_col - 1:]
    if end_line == a_line and not line_text[:dot].strip() and not rest.strip():
        return Edit(a_line, 1, a_line + 1, 1, "")  # the call was alone on its line
    return Edit(a_line, dot + 1, end_line, end_col, "")


def _delete_statement_edit(stmt: ast.stmt, ctx) -> Edit | None:
    src = ctx.source
    block = _body_of(stmt, ctx)
    if block is None or len(block) < 2:
        return None  # the block would be empty
    line, col, end_line, end_col = src.span(stmt)
    before = src.line_text(line)[: col - 1]
    after = src.line_text(end_line)[end_col - 1:]
    if before.strip() or (after.strip() and not after.strip().startswith("#")):
        return None  # shares its line with other code
    return Edit(line, 1, end_line + 1, 1, "")


@python_rule("SPK501", "cache-not-reused", "warning", ast.Call, ast.Assign, ast.AnnAssign)
def cache_not_reused(node, ctx) -> None:
    if not isinstance(node, ast.Call):
        # remember where names are rebound (the walk's own record has no statements)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        node._spk501_seq = ctx.seq  # type: ignore[attr-defined]
        st = None
        for t in targets:
            for n in ([t] if isinstance(t, ast.Name) else ast.walk(t) if isinstance(t, (ast.Tuple, ast.List)) else ()):
                if isinstance(n, ast.Name):
                    if st is None:
                        st = _state(ctx)
                    st.stores.setdefault(n.id, []).append((ctx.seq, node))
        return
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    if f.attr in ("sql", "table"):
        if node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
            _state(ctx).catalog_reads.append((ctx.seq, ctx.segment(node.args[0]).lower(), node))
        return
    if f.attr not in ("cache", "persist"):
        return
    if f.attr == "cache" and (node.args or node.keywords):
        return
    recv = f.value
    if not _receiver_ok(recv, ctx):
        return
    stmt = ctx.statement(node)
    if stmt is None:
        return
    scope = _scope_of(stmt, ctx)
    recv_name = recv.id if isinstance(recv, ast.Name) else None
    if recv_name is None and not isinstance(recv, ast.Call):
        return  # self.df.cache(), frames[0].cache(): held elsewhere too, anyone may read it
    if recv_name is not None and not _made_here(recv_name, stmt, scope, ctx):
        return  # a loop variable, an alias of another name: the same data is reachable otherwise
    if recv_name is not None and scope is not None and not _local_to(scope, recv_name):
        return  # a global, or the caller's DataFrame
    if recv_name is not None and scope is not None and isinstance(scope, FUNCS):
        a = scope.args
        if recv_name in [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]:
            return  # the caller's DataFrame: cached for the caller too
    seq = ctx.seq
    stmt._spk501_seq = seq  # type: ignore[attr-defined]
    unit = ctx.unit
    src = ctx.source
    span = src.method_span(node)
    # the fix, from the user's text
    self_assign = (isinstance(stmt, ast.Assign) and stmt.value is node and len(stmt.targets) == 1
                   and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == recv_name)
    if isinstance(stmt, ast.Expr) and stmt.value is node or self_assign:
        edit = _delete_statement_edit(stmt, ctx)  # df.cache() / df = df.cache(): the whole line
        fix_desc = f"Remove `{ctx.short(stmt, 40)}`"
    else:
        edit = _drop_call_edit(node, src)
        fix_desc = f"Drop `.{f.attr}(...)`" if node.args or node.keywords else f"Drop `.{f.attr}()`"
        if edit is None:
            fix_desc = ""
    bound = None
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is node:
        t = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        if isinstance(t, ast.Name):
            bound = t.id
    recv_text = ctx.short(recv, 40)
    cache_text = _short_text(src.between(*span), 40)
    catalog = _catalog_name(recv)
    recv_seg = ctx.segment(recv) if recv_name is None else None
    # the text after the statement, to the end of its function (or of the file / cell)
    _, _, s_end_line, s_end_col = src.span(stmt)
    if scope is not None:
        _, _, f_end_line, f_end_col = src.span(scope)
        later_text = src.between(s_end_line, s_end_col, f_end_line, f_end_col)
    else:
        later_text = src.text[src.offset(s_end_line, s_end_col):]

    def finish() -> None:
        uses = _Uses(ctx)
        if recv_name is not None and uses.earlier_derivations(recv_name, stmt, seq):
            return
        total = uses.at(node)
        if total < 2 and recv_name is not None:
            total += uses.name(recv_name, stmt, 0, after_seq=seq)
        if total >= 2:
            return
        if catalog and any(s > seq and catalog in text and ctx.statement(n) is not stmt
                           for s, text, n in _state(ctx).catalog_reads):
            return  # a later query over the same table may hit this cache
        if recv_seg is not None and recv_seg in later_text:
            return  # the same plan is built again later: it would read this cache
        if total == 0 and (scope is None or recv_name is None and bound is None):
            return  # never read here: at module level maybe for an importer (or %run) to use
        subject = f"`{bound}`" if bound else f"`{recv_text}`"
        if total == 1 and uses.first_use is not None:
            use = uses.first_use
            use_stmt = ctx.statement(use)
            if use_stmt is stmt:  # in the same chain: what follows the cache call
                _, _, line, col = unit.source.span(node)
                _, _, end_line, end_col = unit.source.span(use)
                text = unit.source.between(line, col, end_line, end_col)
            else:
                text = unit.source.segment(use_stmt if isinstance(use_stmt, (ast.Expr, ast.Assign)) else use)
            how = f"is read only once afterwards (`{_short_text(text, 60)}`)"
        else:
            how = "is never read afterwards"
        message = (f"{subject} is cached with `.{cache_text}` but {how}: a cache that is never reused costs "
                   f"executor memory and a full materialization for nothing; drop `.{cache_text}`")
        fix = ctx.fix(fix_desc, [edit], safe=False) if edit is not None else None
        ctx.report(span, message, fix=fix, unit=unit)

    ctx.on_finish(finish)


def _catalog_name(recv: ast.AST) -> str | None:
    """``spark.table("t")`` / ``spark.read.table("t")`` / ``spark.sql("...")``: the table name or query text."""
    if (isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute) and recv.func.attr in ("table", "sql")
            and recv.args and isinstance(recv.args[0], ast.Constant) and isinstance(recv.args[0].value, str)):
        text = recv.args[0].value.lower()
        return text.strip("`") if recv.func.attr == "table" else text
    return None


def _short_text(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


