"""## What it does
Checks physical plans for heavy work funnelled through a single partition.
Reported: an `Exchange SinglePartition` that feeds a window without `partitionBy`, a
`repartition(1)` or `coalesce(1)` followed by an aggregation, join, window or
other heavy work, or a grouped Python function with no grouping key, when the
data moved there is larger than one partition's worth (64 MB by Spark's
estimate, or `spark.sql.adaptive.advisoryPartitionSizeInBytes`).

## Why is this bad?
One partition is one task on one core, however big the cluster: everything
after the single-partition exchange runs serially, and a large partition
spills to disk or runs out of memory.  A window without a partition key makes
Spark log "No Partition Defined for Window operation! Moving all data to a
single partition".

Left alone, as the normal plans they are: limits (`limit`, `take`, `first`,
`orderBy(...).limit(n)`), whose single-partition exchange carries at most `n`
rows per task; a global aggregate (`df.agg(F.sum(...))`, `count()`), whose
partial aggregation already shrank the data to one row per task; a
`repartition(1)` or `coalesce(1)` right before a write or a collect; small
inputs, and inputs whose size Spark does not know.

## Example
```python
ranked = events.withColumn("rank", F.row_number().over(Window.orderBy("ts")))
daily = events.coalesce(1).groupBy("day").count()
```

Use instead:
```python
ranked = events.withColumn("rank", F.row_number().over(Window.partitionBy("user").orderBy("ts")))
daily = events.groupBy("day").count().coalesce(1)
```
"""

from __future__ import annotations

from ...rules.base import plan_rule
from ._plan import (AGGREGATES, LIMITS, aggregate_parts, estimate_here, human, human_setting, ident, kids, op,
                    parse_bytes, partitioning, plan_name, sort_is_global, static_at, up, work_name)

DEFAULT_PARTITION_BYTES = 64 * 1024 * 1024
_LIGHT = frozenset({"Project", "Filter", "LocalLimit", "Sample", "SerializeFromObject", "DeserializeToObject",
                    "ColumnarToRow", "AQEShuffleRead"}) | LIMITS
# Operators that need all rows in one place, and the user's wording for them.
_GLOBAL_GROUPED = {"FlatMapGroupsInPandas": "`groupBy().applyInPandas(...)` without a key",
                   "FlatMapGroupsInArrow": "`groupBy().applyInArrow(...)` without a key",
                   "AggregateInPandas": "a grouped pandas UDF aggregate without a key",
                   "ArrowAggregatePython": "a grouped pandas UDF aggregate without a key"}


def partition_bytes(ctx) -> int:
    v = parse_bytes(ctx.conf.get("spark.sql.adaptive.advisoryPartitionSizeInBytes"))
    return v if v and v > 0 else ctx.settings.extra.get("single_partition_bytes", DEFAULT_PARTITION_BYTES)


def _consumer(node, ctx):
    """The first operator above ``node`` that is not a local sort (a window's or a sort aggregate's)."""
    p = up(node, ctx)
    while p is not None and op(p) == "Sort" and not sort_is_global(p):
        p = up(p, ctx)
    return p


def _heavy_above(node, ctx):
    """The first heavy operator above ``node`` before the next shuffle (None: only light work follows)."""
    p = up(node, ctx)
    while p is not None:
        name = op(p)
        if name in ("Exchange", "BroadcastExchange"):
            return None  # work after the next shuffle runs in parallel again
        if name not in _LIGHT and not (name == "Sort" and not sort_is_global(p)):
            return p
        p = up(p, ctx)
    return None


@plan_rule("SPK252", "single-partition-exchange", "warning", "Exchange", "Coalesce")
def single_partition_exchange(node, ctx) -> None:
    name = op(node)
    if name == "Coalesce":
        n = (node.details or {}).get("Partitions")
        if n is None and (node.args or "").strip().isdigit():
            n = int(node.args.strip())
        if n != 1:
            return
        made = "`coalesce(1)`"
    else:
        kind, _, _, origin = partitioning(node)
        if kind != "single":
            return
        made = "`repartition(1)`" if origin == "REPARTITION_BY_NUM" else None
    consumer = _consumer(node, ctx)
    if consumer is None:
        return  # the single partition is the output (a write, a collect)
    cname = op(consumer)
    if cname in LIMITS:
        return
    if cname in AGGREGATES:
        keys, _ = aggregate_parts(consumer)
        if not keys and made is None:
            return  # a global aggregate: the partial aggregation below already shrank the data
    if made is not None:
        heavy = _heavy_above(node, ctx)
        if heavy is None:
            return
        what = work_name(heavy)
    elif cname in ("Window", "WindowGroupLimit"):
        what = None
    elif cname in _GLOBAL_GROUPED:
        what = _GLOBAL_GROUPED[cname]
    else:
        return  # some other operator Spark planned on one partition: not ours to judge
    size = estimate_here(next(iter(kids(node)), node), ctx)
    limit = partition_bytes(ctx)
    if size is None or size <= limit:
        return
    if static_at(ctx, "SPK203"):
        return  # the static single-partition finding already says it
    if made is not None:
        msg = (f"funnels ~{human(size)} through one task with {made} before {what}, so that work runs "
               f"serially: move {made} after it (right before the write), or drop it")
    elif what is None:
        msg = (f"computes a window without `partitionBy`: all ~{human(size)} move to one partition and one task; "
               f"partition the window by a key (`Window.partitionBy(<key>).orderBy(...)`), or compute it per "
               f"group and combine")
    else:
        msg = (f"runs {what}: all ~{human(size)} move to one partition and one Python worker; group by a key")
    ctx.report(f"{plan_name(ctx)} {msg} (over {human_setting(limit)}, one partition's worth)", key=ident(node))
