"""## What it does
Checks for sort-merge joins whose one side is small enough to broadcast.  A
`SortMergeJoin` (or `ShuffledHashJoin`) in the plan of a DataFrame whose
estimated size on one side is under the broadcast threshold (100 MB by default)
is reported, with the `broadcast()` rewrite, when that side can be broadcast
for the join type: either side of an inner join, the right side of a left
outer, semi or anti join, the left side of a right outer join (never a full
outer join).

## Why is this bad?
A sort-merge join shuffles both sides across the network and sorts them; when
one side is small, broadcasting it to every executor lets Spark join the large
side where it lies, without shuffling or sorting it.  Spark only broadcasts on
its own below `spark.sql.autoBroadcastJoinThreshold` (10 MB by default, `-1`
turns it off), and its size estimate is often conservative.

Adaptive query execution is taken into account: in an initial adaptive plan, a
side whose estimate is under AQE's broadcast threshold
(`spark.sql.adaptive.autoBroadcastJoinThreshold`, by default the same as
`spark.sql.autoBroadcastJoinThreshold`) is left alone, since AQE turns the join
into a broadcast join at runtime when the shuffled side is really that small.
In AQE's final plan (after the job ran) a sort-merge join that is still there
was not switched, and is reported.

## Example
```python
orders = spark.read.parquet("orders")
countries = spark.read.parquet("countries")  # 30 MB
joined = orders.join(countries, "country_code")
```

Use instead:
```python
from pyspark.sql.functions import broadcast

joined = orders.join(broadcast(countries), "country_code")
```
"""

from __future__ import annotations

import re

from ...rules.base import plan_rule
from .redundant_exchange import (AGGREGATES, JOINS, attrs, bare, best_size, filter_condition, human, human_setting,
                                 ident, is_inner, kids, leaf_key, leaves, op, parse_bytes, plan_name, rows_of,
                                 split_top)

DEFAULT_AUTO_BROADCAST = 10 * 1024 * 1024
BROADCASTABLE = {  # join type -> the sides a broadcast hash join can build
    "Inner": ("left", "right"),
    "Cross": ("left", "right"),
    "LeftOuter": ("right",),
    "LeftSemi": ("right",),
    "LeftAnti": ("right",),
    "ExistenceJoin": ("right",),
    "RightOuter": ("left",),
    "FullOuter": (),
}


def join_type(node) -> str:
    """"Inner", "LeftOuter", ... ("ExistenceJoin" for ``ExistenceJoin(exists#1)``); "Inner" when unstated."""
    t = str((node.details or {}).get("Join type") or "")
    if not t:
        m = re.search(r"\b(Inner|Cross|LeftOuter|RightOuter|FullOuter|LeftSemi|LeftAnti|ExistenceJoin)\b", node.args)
        t = m.group(1) if m else "Inner"
    return "ExistenceJoin" if t.startswith("ExistenceJoin") else t


def aqe_enabled(ctx) -> bool:
    if ctx.plan is not None and ctx.plan.adaptive:
        return True
    return str(ctx.conf.get("spark.sql.adaptive.enabled", "")).strip().lower() == "true"


def aqe_broadcast_threshold(ctx) -> int:
    """AQE's own threshold (falls back to spark.sql.autoBroadcastJoinThreshold, then Spark's 10 MB)."""
    for key in ("spark.sql.adaptive.autoBroadcastJoinThreshold", "spark.sql.autoBroadcastJoinThreshold"):
        v = parse_bytes(ctx.conf.get(key))
        if v is not None:
            return v
    return DEFAULT_AUTO_BROADCAST


# ------------------------------------------------------------------ naming a join side as in the user's code
def _shape(node) -> tuple:
    """A comparable digest of a subtree: leaf keys, filters (without inferred isnotnull), joins, aggregates."""
    found, filters, ops = [], set(), []
    stack = [node]
    while stack:
        n = stack.pop()
        cs = list(kids(n))
        name = op(n)
        if not cs:
            found.append(leaf_key(n))
        if name == "Filter":
            filters.update(c for c in split_top(filter_condition(n), "AND") if not c.startswith("isnotnull("))
        elif name in JOINS or name in AGGREGATES or name in ("Window", "Generate", "Union", "Expand"):
            ops.append(name if name not in AGGREGATES else "Aggregate")
        stack.extend(cs)
    return found, filters, sorted(ops)


def _matches(side_shape, shape) -> bool:
    mine, filters, ops = side_shape
    theirs, filters2, ops2 = shape
    if len(mine) != len(theirs) or filters != filters2 or ops != ops2:
        return False
    rest = list(theirs)
    for k in mine:
        hit = next((x for x in rest if x == k or (x[0] == k[0] and isinstance(k[1], frozenset)
                                                 and isinstance(x[1], frozenset) and k[1] <= x[1])), None)
        if hit is None:
            return False
        rest.remove(hit)
    return True


def side_name(side, other, ctx) -> str | None:
    """The user's name of the DataFrame a join side reads, when exactly one other captured DataFrame of the cell
    has the same data and operations (and does not also match the join's other side)."""
    if ctx.plan is None:
        return None
    mine, theirs = _shape(side), _shape(other)
    found = []
    for p in ctx.run.plans:
        if p is ctx.plan or not p.name or not re.fullmatch(r"[A-Za-z_]\w*", p.name):
            continue
        root = p.root
        while op(root) in ("Exchange", "Sort", "BroadcastExchange") and len(list(kids(root))) == 1:
            root = next(kids(root))
        shape = _shape(root)
        if _matches(mine, shape) and not _matches(theirs, shape):
            found.append(p.name)
    return found[0] if len(set(found)) == 1 else None


def table_of(side) -> str | None:
    """The table a join side scans, when it scans exactly one named table."""
    found = leaves(side)
    if len(found) != 1:
        return None
    d = found[0].details or {}
    t = d.get("Table")
    if t:
        return str(t)
    m = re.match(r"\s*\w+\s+([\w.`]+)\[", found[0].args or "")  # FileScan parquet spark_catalog.db.t[...]
    if m and "." in m.group(1):
        return m.group(1)
    return None


def describe_side(which: str, side, other, size: int, ctx, real: bool = False) -> tuple[str, str]:
    """(how the message names the side, the broadcast rewrite)."""
    name = side_name(side, other, ctx)
    rows = None if real else rows_of(side)
    est = (f"{human(size)} measured" if real else f"~{human(size)}") + (f", {rows:,} rows" if rows is not None
                                                                       else "")
    if name:
        return f"`{name}` ({est})", f"join with `broadcast({name})` (`from pyspark.sql.functions import broadcast`)"
    table = table_of(side)
    where = f"the {which} side" + (f" (table `{table}`, {est})" if table else f" ({est})")
    return where, (f"wrap the {which}-hand DataFrame of the join in `broadcast(...)` "
                   f"(`from pyspark.sql.functions import broadcast`)")


def join_keys(node) -> str:
    d = node.details or {}
    keys = d.get("Left keys")
    if not keys:
        m = re.match(r"\s*(\[[^\]]*\])", node.args or "")
        keys = m.group(1) if m else ""
    names = [bare(k) for k in attrs(str(keys))]
    return ", ".join(f"`{k}`" for k in names)


@plan_rule("SPK350", "sort-merge-join-small-side", "warning", "SortMergeJoin", "ShuffledHashJoin")
def sort_merge_join_small_side(node, ctx) -> None:
    sides = [c for c in node.children if not is_inner(c)]
    if len(sides) != 2:
        return
    jt = join_type(node)
    candidates = []
    for which in BROADCASTABLE.get(jt, ()):
        side = sides[0] if which == "left" else sides[1]
        size, real = best_size(side)
        if size is not None and size < ctx.settings.broadcast_threshold:
            candidates.append((size, real, which, side))
    if not candidates:
        return
    size, real, which, side = min(candidates, key=lambda c: c[0])
    other = sides[1] if which == "left" else sides[0]
    final = bool(ctx.plan and ctx.plan.final)
    adaptive = aqe_enabled(ctx)
    aqe_limit = aqe_broadcast_threshold(ctx)
    if adaptive and not final and not real and 0 <= aqe_limit and size < aqe_limit:
        return  # AQE switches it to a broadcast join at runtime when the side really is this small
    what = "sort-merge joins" if op(node) == "SortMergeJoin" else "shuffle-hash joins"
    named, rewrite = describe_side(which, side, other, size, ctx, real)
    on = join_keys(node)
    why = "shuffling and sorting both sides" if op(node) == "SortMergeJoin" else "shuffling both sides"
    if final:
        note = "; adaptive execution did not switch it to a broadcast join at runtime"
    elif adaptive:
        note = ("; adaptive execution will not switch it by itself (its broadcast threshold is off: -1)"
                if aqe_limit < 0 else
                f"; adaptive execution is unlikely to switch it at runtime (the estimate is over its "
                f"{human_setting(aqe_limit)} broadcast threshold)")
    else:
        note = ""
    ctx.report(f"{plan_name(ctx)} {what} {named}{' on ' + on if on else ''}, {why}; that side is small enough "
               f"to broadcast (under {human_setting(ctx.settings.broadcast_threshold)}): {rewrite}{note}",
               key=(ident(node), which))



