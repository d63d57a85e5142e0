"""## What it does
Checks physical plans for global sorts whose order a later shuffle throws away.
Reported: a `Sort [...], true` over an `Exchange rangepartitioning` (what `orderBy` / `sort`
plan to) whose output reaches another shuffle, through projections, filters
and partial aggregations only: the shuffle of an aggregation, a join, a window
on other keys, a `repartition`, or a broadcast.

## Why is this bad?
A global sort is one of the most expensive things Spark does: it samples the
data, range-partitions every row across the cluster and sorts each partition.
The shuffle that follows redistributes the rows by hash, so the order is gone
and the sort's work is wasted.  Code that sorts before `groupBy(...).agg(
collect_list(...))` or `first(...)` expecting ordered results gets no such
guarantee: the shuffle fetches map outputs in any order.

Recent Spark versions usually drop such sorts in the optimizer; plans from older
versions, or where the optimizer could not see through (an opaque operator),
keep them.  Left alone: a sort used by what follows (a limit, a sort aggregate
on the sort keys, the streamed side of a broadcast join, the output itself).

## Example
```python
totals = events.orderBy("ts").groupBy("user").agg(F.sum("amount"))
paths = events.orderBy("ts").groupBy("user").agg(F.collect_list("page"))
```

Use instead:
```python
totals = events.groupBy("user").agg(F.sum("amount"))
paths = events.groupBy("user").agg(
    F.array_sort(F.collect_list(F.struct("ts", "page"))).getField("page").alias("pages"))
```
"""

from __future__ import annotations

import re

from ...rules.base import plan_rule
from ._plan import (AGGREGATES, HEAVY_NARROW, aggregate_parts, bare, describe_consumer, ident, kids, op,
                    partitioning, plan_name, sort_is_global, sort_keys, static_at, up)

_ORDER_USERS = frozenset({"GlobalLimit", "CollectLimit", "TakeOrderedAndProject", "CollectTail", "LocalLimit",
                          "Window", "WindowGroupLimit", "SortAggregate", "SortMergeJoin", "Union"})


def _passes(node) -> bool:
    """Whether the sorted rows flow through ``node`` to a later shuffle without the order being used."""
    name = op(node)
    if name in ("Project", "Filter", "Sample", "Generate", "SerializeFromObject", "DeserializeToObject",
                "Expand") or name in HEAVY_NARROW:
        return True
    if name == "Sort":
        return not sort_is_global(node)
    if name in ("HashAggregate", "ObjectHashAggregate"):
        _, functions = aggregate_parts(node)
        return bool(functions) and all(f.startswith("partial_") for f in functions)
    return False


def _order_keys(node) -> str:
    keys = [re.sub(r"\s+NULLS (FIRST|LAST)$", "", bare(k)) for k in sort_keys(node)]
    keys = [k[:-4] if k.endswith(" ASC") else k for k in keys]
    return ", ".join(f"`{k}`" for k in keys)


@plan_rule("SPK251", "wasted-global-sort", "warning", "Sort")
def wasted_global_sort(node, ctx) -> None:
    if not sort_is_global(node):
        return
    below = list(kids(node))
    if len(below) != 1 or op(below[0]) != "Exchange" or partitioning(below[0])[0] != "range":
        return
    p = up(node, ctx)
    while p is not None and op(p) not in ("Exchange", "BroadcastExchange"):
        if op(p) in _ORDER_USERS or not _passes(p):
            return
        p = up(p, ctx)
    if p is None:
        return
    if static_at(ctx, "SPK202"):
        return  # the static sort-before-shuffle finding already says it
    then = describe_consumer(p, ctx)
    keys = _order_keys(node)
    advice = "drop the `orderBy`/`sort`, or sort the (smaller) result afterwards if it needs an order"
    functions = _consumer_functions(p, ctx)
    if any(f.startswith(("collect_list", "array_agg")) for f in functions):
        advice = ("the shuffle does not keep the order, so `collect_list` is not sorted either: drop the sort and "
                  "sort inside the aggregation, e.g. `F.array_sort(F.collect_list(F.struct(<order cols>, <value>)))`")
    elif any(f.startswith(("first(", "last(")) for f in functions):
        advice = ("the shuffle does not keep the order, so `first`/`last` pick an arbitrary row: drop the sort and "
                  "use `F.max_by(value, order)` / `F.min_by(...)` or a `row_number()` window")
    ctx.report(f"{plan_name(ctx)} sorts globally by {keys or 'its sort keys'} (a range shuffle and a sort) and then "
               f"shuffles again for {then}, which loses the order: {advice}", key=ident(node))


def _consumer_functions(exchange, ctx) -> list[str]:
    p = up(exchange, ctx)
    if p is not None and op(p) in AGGREGATES:
        return aggregate_parts(p)[1]
    return []
