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
from ._plan import (attrs, bare, best_size, describe_side, human_setting, ident, join_sides, join_type, op,
                    parse_bytes, plan_name)

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
    sides = join_sides(node)
    if sides is None:
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
