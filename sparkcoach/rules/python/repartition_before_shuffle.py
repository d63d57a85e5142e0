"""## What it does
Checks for a `repartition(n)` (or `repartition(n, cols)` on other keys) directly
followed by an operation that shuffles the data again: DataFrame `groupBy(...)`,
`join`, `distinct`, `dropDuplicates`, `orderBy`; RDD `reduceByKey`, `groupByKey`,
`aggregateByKey`, `foldByKey`, `combineByKey`, `sortByKey`, `join`, `distinct`.
The repartitioned value may also be held in a variable whose every use is such
a shuffle.

## Why is this bad?
`repartition` is a full shuffle: every row is serialized, sent over the network
and written to shuffle files.  When the next operation shuffles again by its
own keys, the first shuffle's layout is thrown away and its cost is wasted.
Set the number of partitions on the shuffle itself instead (RDD methods take a
`numPartitions` argument; DataFrame shuffles use `spark.sql.shuffle.partitions`
or adaptive query execution).

Left alone: `repartition("k")` followed by a `groupBy`/`join`/`dropDuplicates` on
keys that include `k` (Spark reuses that partitioning instead of shuffling again),
`repartition(cols)` then `distinct()`, a join whose other side is broadcast (by a
hint, or small with a size Spark knows, such as `spark.range(100)`), and
a repartition followed by `mapPartitions`, a write or other narrow work.

## Example
```python
counts = pairs.repartition(100).reduceByKey(lambda a, b: a + b)
totals = df.repartition(200).groupBy("country").agg(F.sum("amount"))
```

Use instead:
```python
counts = pairs.reduceByKey(lambda a, b: a + b, 100)
totals = df.groupBy("country").agg(F.sum("amount"))
```

## Fix safety
The fix is safe: the shuffle after the repartition produces the same rows.  For
a DataFrame it removes `.repartition(...)`; for an RDD it also moves the number
of partitions into the shuffle's `numPartitions` argument (when the shuffle has
none yet).
"""

from __future__ import annotations

import ast
import re

from ...engine import values as V
from ...findings import Edit
from ...rules.base import python_rule
from .sort_before_shuffle import (
    assigned_name,
    auto_broadcast,
    broadcast_side,
    binding_loads,
    drop_call_edit,
    method_of,
    short,
    statement_delete_edit,
)

DF_GROUPS = {"groupBy", "groupby", "rollup", "cube"}
DF_SHUFFLES = DF_GROUPS | {"join", "distinct", "dropDuplicates", "drop_duplicates", "orderBy", "sort"}
DF_ONLY = {"groupBy", "rollup", "cube", "dropDuplicates", "orderBy"}
# RDD shuffle -> position of its numPartitions parameter
RDD_SHUFFLES = {
    "reduceByKey": 1, "groupByKey": 0, "aggregateByKey": 3, "foldByKey": 2, "combineByKey": 3,
    "sortByKey": 1, "sortBy": 2, "join": 1, "leftOuterJoin": 1, "rightOuterJoin": 1, "fullOuterJoin": 1,
    "distinct": 0, "groupBy": 1, "cogroup": 1, "subtractByKey": 1,
}
RDD_ONLY = {"reduceByKey", "groupByKey", "aggregateByKey", "foldByKey", "combineByKey", "sortByKey",
            "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "subtractByKey"}
TRIGGERS = DF_SHUFFLES | set(RDD_SHUFFLES)
# Words in a name that hold a number of partitions (``NUM_PARTITIONS``, ``n_parts``, ``defaultParallelism``).
COUNT_WORDS = {"n", "np", "num", "nums", "number", "count", "cnt", "parts", "nparts", "partitions",
               "parallelism", "slices", "size", "buckets", "shards", "splits"}
COL_FUNCS = {"col", "column"}


def _is_repartition(node: ast.AST) -> bool:
    return method_of(node) == "repartition"


def _count_like(node: ast.AST) -> bool:
    """An expression that is a number of partitions rather than a column."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.BinOp):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "len", "max", "min"):
        return True
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    if name is None:
        return False
    words = {w.lower() for w in re.split(r"_|(?<=[a-z0-9])(?=[A-Z])", name) if w}
    return bool(words & COUNT_WORDS)


def _column_name(ctx, node: ast.AST) -> str | None:
    """``"k"``, ``F.col("k")``, ``col("k")``, ``df.k``, ``df["k"]`` -> "k"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        if name in COL_FUNCS and (ctx.qualname(f) or "").startswith("pyspark"):
            return _column_name(ctx, node.args[0])
        return None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        v = ctx.value(node.value)
        return node.slice.value if v is not None and v.kind == V.DATAFRAME else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        v = ctx.value(node.value)
        return node.attr if v is not None and v.kind == V.DATAFRAME else None
    return None


def _columns(ctx, nodes) -> set[str] | None:
    """Column names of arguments (a list argument is flattened); None if any is not a plain column."""
    out: set[str] = set()
    for n in nodes:
        if isinstance(n, (ast.List, ast.Tuple)):
            sub = _columns(ctx, n.elts)
            if sub is None:
                return None
            out |= sub
            continue
        name = _column_name(ctx, n)
        if name is None:
            return None
        out.add(name)
    return out


def _repartition_parts(ctx, rep: ast.Call, kind: str):
    """(number-of-partitions node or None, column names or None if unknown, has columns)."""
    if any(isinstance(a, ast.Starred) for a in rep.args) or any(k.arg is None for k in rep.keywords):
        return None
    n = None
    cols = list(rep.args)
    for k in rep.keywords:
        if k.arg == "numPartitions":
            n = k.value
        else:
            return None
    if kind == V.RDD:
        if n is None and len(cols) == 1:
            n = cols[0]
        return (n, set(), False) if n is not None and len(rep.args) <= 1 else None
    if n is None and cols and _count_like(cols[0]):
        n, cols = cols[0], cols[1:]
    elif n is None and cols and isinstance(cols[0], (ast.Name, ast.Attribute)) and _column_name(ctx, cols[0]) is None:
        return None  # repartition(x): a count or a column? can't tell
    if not cols:
        return (n, set(), False) if n is not None else None
    names = _columns(ctx, cols)
    return (n, names, True)


def _df_join(call: ast.Call) -> bool:
    """``x.join(other, "k")`` / ``on=...``: a DataFrame join (an RDD join takes a partition count)."""
    if call.func.attr != "join":
        return False
    if any(k.arg in ("on", "how") for k in call.keywords):
        return True
    if len(call.args) >= 2:
        on = call.args[1]
        if isinstance(on, ast.Constant) and isinstance(on.value, str):
            return True
        if isinstance(on, (ast.List, ast.Tuple)) and on.elts and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in on.elts):
            return True
        if isinstance(on, (ast.Compare, ast.BoolOp)) or (isinstance(on, ast.BinOp) and isinstance(on.op, ast.BitAnd)):
            return True
    return False


def verdict(ctx, rep: ast.Call, shuffle: ast.Call):
    """Why ``shuffle`` right after ``rep`` makes the repartition wasted: a dict, or None if it may not.

    Also used by SPK203 so that ``repartition(1)`` is reported once.
    """
    m = shuffle.func.attr
    v = ctx.value(rep)
    base = v.kind if v is not None else None
    if base is not None and base not in V.DISTRIBUTED:
        return None
    if base == V.RDD or (base is None and m in RDD_ONLY):
        kind = V.RDD
        if m not in RDD_SHUFFLES:
            return None
    elif base == V.DATAFRAME or (base is None and (m in DF_ONLY or _df_join(shuffle))):
        kind = V.DATAFRAME
        if m not in DF_SHUFFLES:
            return None
    else:
        return None
    parts = _repartition_parts(ctx, rep, kind)
    if parts is None:
        return None
    n, rep_cols, has_cols = parts
    if kind == V.RDD:
        return {"kind": kind, "n": n, "what": "shuffles again by key" if m not in ("distinct",) else "shuffles again"}
    if has_cols and rep_cols is None:
        return None
    if m in DF_GROUPS:
        if any(isinstance(a, ast.Starred) for a in shuffle.args) or shuffle.keywords:
            return None
        keys = _columns(ctx, shuffle.args)
        if not shuffle.args or keys is None:
            return None  # a global aggregation, or keys we can't read
        if has_cols and rep_cols <= keys:
            return None  # the groupBy reuses the hash partitioning
        return {"kind": kind, "n": n, "what": "shuffles again by its own keys"}
    if m == "join":
        other = shuffle.args[0] if shuffle.args else next((k.value for k in shuffle.keywords if k.arg == "other"), None)
        on = shuffle.args[1] if len(shuffle.args) > 1 else next((k.value for k in shuffle.keywords if k.arg == "on"), None)
        how = shuffle.args[2] if len(shuffle.args) > 2 else next((k.value for k in shuffle.keywords if k.arg == "how"), None)
        if other is None or on is None:
            return None
        if isinstance(how, ast.Constant) and str(how.value).lower() == "cross":
            return None
        if broadcast_side(ctx, other) or auto_broadcast(v):
            return None  # a broadcast join does not shuffle this side
        if has_cols:
            keys = _columns(ctx, [on])
            if keys is None or rep_cols <= keys:
                return None
        return {"kind": kind, "n": n, "what": "shuffles again by the join keys"}
    if m == "distinct" or (m in ("dropDuplicates", "drop_duplicates") and not shuffle.args and not shuffle.keywords):
        if has_cols:
            return None  # hash partitioning on some columns already clusters equal rows
        return {"kind": kind, "n": n, "what": "shuffles again to deduplicate"}
    if m in ("dropDuplicates", "drop_duplicates"):
        if has_cols:
            subset = list(shuffle.args) + [k.value for k in shuffle.keywords if k.arg == "subset"]
            keys = _columns(ctx, subset)
            if keys is None or rep_cols <= keys:
                return None
        return {"kind": kind, "n": n, "what": "shuffles again to deduplicate"}
    if m in ("orderBy", "sort"):
        if m == "sort" and base is None:
            return None
        return {"kind": kind, "n": n, "what": "range-partitions the rows again to sort them"}
    return None


def _num_partitions_edit(src, shuffle: ast.Call, n_text: str) -> tuple[Edit | None, bool]:
    """(edit adding numPartitions to the RDD shuffle call, whether it already has one)."""
    m = shuffle.func.attr
    index = RDD_SHUFFLES[m]
    if any(isinstance(a, ast.Starred) for a in shuffle.args) or any(k.arg is None for k in shuffle.keywords):
        return None, False
    if len(shuffle.args) > index or any(k.arg == "numPartitions" for k in shuffle.keywords):
        return None, True
    items = list(shuffle.args) + [k.value for k in shuffle.keywords]
    if not items:
        _, _, el, ec = src.span(shuffle)
        return Edit(el, ec - 1, el, ec - 1, n_text), False
    if len(shuffle.args) == index and not shuffle.keywords:
        text = f", {n_text}"
    else:
        text = f", numPartitions={n_text}"
    last = max(items, key=lambda a: (a.end_lineno, a.end_col_offset))
    _, _, el, ec = src.span(last)
    return Edit(el, ec, el, ec, text), False


def _rep_text(src, rep: ast.Call) -> str:
    return short(src.between(*src.method_span(rep)), 40)


@python_rule("SPK205", "repartition-before-shuffle", "warning", ast.Call)
def repartition_before_shuffle(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute):
        return
    name = f.attr
    if name == "repartition":
        _schedule_variable(node, ctx)
        return
    if name not in TRIGGERS:
        return
    recv = f.value
    if isinstance(recv, ast.Call):
        if not _is_repartition(recv):
            return
        if not ctx.spark_aware:
            return
        why = verdict(ctx, recv, node)
        if why is None:
            return
        _report_chain(ctx, recv, node, why)
    elif isinstance(recv, ast.Name):
        # a use of ``name = <x>.repartition(...)``: judge it now, with the names as they are here
        v = ctx.lookup(recv.id)
        if v is None or not _is_repartition(v.node):
            return
        why = verdict(ctx, v.node, node)
        recv._spk205 = (node, why)  # type: ignore[attr-defined]


def _report_chain(ctx, rep: ast.Call, shuffle: ast.Call, why: dict) -> None:
    src = ctx.source
    edits = []
    e = drop_call_edit(src, rep)
    safe_fix = e is not None
    if e is not None:
        edits.append(e)
    m = shuffle.func.attr
    rep_t = _rep_text(src, rep)
    sh_t = short(src.between(*src.method_span(shuffle)), 50)
    recv_t = short(ctx.segment(rep.func.value), 30)
    if why["kind"] == V.RDD:
        n_text = ctx.segment(why["n"])
        add, has = _num_partitions_edit(src, shuffle, n_text)
        if add is not None:
            edits.append(add)
            new = short(_apply_preview(src, shuffle, add), 60)
            advice = f"pass the partition count to the shuffle: `{recv_t}.{new}`"
        elif has:
            advice = f"drop it: `{recv_t}.{sh_t}` already sets its number of partitions"
        else:
            safe_fix = False
            advice = f"pass `{n_text}` as the `numPartitions` of `{m}` instead"
    else:
        advice = f"drop it: `{recv_t}.{sh_t}`"
    fix = ctx.fix(f"Remove `{rep_t}`" + (" and pass its partition count to the shuffle" if len(edits) > 1 else ""),
                  edits) if safe_fix and edits else None
    ctx.report(src.method_span(rep),
               f"`{rep_t}` is a full shuffle wasted by `{sh_t}`, which {why['what']} right after it; {advice}",
               fix=fix)


def _apply_preview(src, call: ast.Call, edit: Edit) -> str:
    """The call's method text after inserting ``edit`` (for the message)."""
    line, col, el, ec = src.method_span(call)
    start = src.offset(line, col)
    text = src.between(line, col, el, ec)
    at = src.offset(edit.line, edit.column) - start
    return text[:at] + edit.replacement + text[at:]


def _schedule_variable(rep: ast.Call, ctx) -> None:
    named = assigned_name(ctx, rep)
    if named is None or not ctx.spark_aware:
        return
    bound, stmt = named
    unit, seq = ctx.unit, ctx.seq

    def finish() -> None:
        loads = binding_loads(ctx, bound, seq, stmt)
        if not loads:
            return
        uses = []
        for ld in loads:
            judged = getattr(ld.node, "_spk205", None)
            if judged is None or judged[1] is None:
                return
            uses.append((ld, judged[0], judged[1]))
        _report_variable(ctx, rep, stmt, bound, unit, uses)

    ctx.on_finish(finish)


def _report_variable(ctx, rep, stmt, bound, unit, uses) -> None:
    src = unit.source
    why = uses[0][2]
    first = uses[0][1]
    rep_t = _rep_text(src, rep)
    usrc = uses[0][0].unit.source
    sh_t = short(usrc.between(*usrc.method_span(first)), 50)
    more = f" (and {len(uses) - 1} more use{'s' if len(uses) > 2 else ''})" if len(uses) > 1 else ""
    edits = []
    # an RDD fix also edits the shuffles: only when they are in the same file / cell
    fixable = why["kind"] != V.RDD or all(ld.unit is unit for ld, _, _ in uses)
    e = None
    if isinstance(rep.func.value, ast.Name) and rep.func.value.id == bound:
        e = statement_delete_edit(src, stmt, ctx.parent(stmt))
    if e is None:
        e = drop_call_edit(src, rep)
    if e is None:
        fixable = False
    else:
        edits.append(e)
    if why["kind"] == V.RDD:
        n = why["n"]
        if not (isinstance(n, ast.Constant) and type(n.value) is int):
            fixable = False  # the count may mean something else where the shuffles are
        else:
            for _, shuffle, _ in uses:
                add, has = _num_partitions_edit(src, shuffle, src.segment(n))
                if add is not None:
                    edits.append(add)
                elif not has:
                    fixable = False
        advice = f"pass `{src.segment(n)}` as the `numPartitions` of the shuffle instead"
    else:
        advice = f"drop it and let `{short(usrc.between(*usrc.method_span(first)), 40)}` do the one shuffle"
    fix = ctx.fix(f"Remove `{rep_t}`", edits) if fixable and edits else None
    ctx.report(src.method_span(rep),
               f"`{rep_t}` is a full shuffle wasted by `{bound}.{sh_t}`{more}, which {why['what']}; {advice}",
               fix=fix, unit=unit)
