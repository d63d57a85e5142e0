"""## What it does
Checks physical plans for shuffles that are shuffled again before use.  A
shuffle's output re-partitioned on other keys before anything uses its
partitioning is reported: a `repartition(n)` or
`repartition("col")` followed (through projections, filters and partial
aggregations only) by the shuffle of a `groupBy`, `join`, window or another
`repartition`, or by a broadcast.

## Why is this bad?
Every `Exchange` in a plan is a full shuffle: each row is serialized, written to
local disk and fetched over the network.  When the next operator re-partitions
the rows by its own keys, the first shuffle's layout is thrown away and all of
its cost is wasted.  Set the number of partitions on the shuffle that matters
instead (`spark.sql.shuffle.partitions`, or let adaptive query execution size
it), or repartition by the keys the next operation groups or joins on.

Left alone: a repartition whose layout an operator uses (an aggregation or join
on the same keys), one that spreads expensive narrow work (a Python UDF,
`mapInPandas`, `explode`) over more tasks before the next shuffle, a
repartition right before a write, and shuffles below a cached DataFrame.

## Example
```python
totals = events.repartition(200).groupBy("country").agg(F.sum("amount"))
joined = orders.repartition("order_id").join(customers, "customer_id")
```

Use instead:
```python
totals = events.groupBy("country").agg(F.sum("amount"))
joined = orders.join(customers, "customer_id")
```
"""

from __future__ import annotations

import re

from ...rules.base import plan_rule
from ._plan import (AGGREGATES, HEAVY_NARROW, aggregate_parts, arguments, bare, describe_consumer, ident, op,
                    partitioning, plan_name, sort_is_global, static_at, up)


def repartition_call(exchange, ctx=None) -> str | None:
    """The user's call that made an exchange: ``repartition(8)`` / ``repartition("k")`` (with the number of
    partitions when it is not spark.sql.shuffle.partitions); None for shuffles that Spark added itself."""
    kind, keys, count, origin = partitioning(exchange)
    if origin == "REPARTITION_BY_NUM":
        return f"repartition({count})" if count is not None else "repartition(...)"
    if origin == "REPARTITION_BY_COL":
        cols = ", ".join('"' + bare(k) + '"' if re.fullmatch(r"[\w.]+", bare(k)) else f"F.expr({bare(k)!r})"
                         for k in keys)
        default = str(ctx.conf.get("spark.sql.shuffle.partitions", "")) if ctx is not None else ""
        if count is not None and default.isdigit() and int(default) != count:
            cols = f"{count}, {cols}"
        return f"repartition({cols})"
    return None


# ----------------------------------------------------------------------------------------------------- the rule
def _uses_partitioning(node, below, ctx) -> bool:
    """Whether ``node`` (on the way up from the exchange ``below``) needs the rows partitioned as they are."""
    name = op(node)
    if name in ("Project", "Filter", "Sample", "SerializeFromObject", "DeserializeToObject", "LocalLimit",
                "Expand", "Coalesce"):
        return False
    if name == "Sort":
        return sort_is_global(node)
    if name == "WindowGroupLimit":  # a per-partition top-k before the window's shuffle ("Partial" mode)
        return not re.search(r"\bPartial\s*$", arguments(node))
    if name in AGGREGATES:
        keys, functions = aggregate_parts(node)
        if functions:
            return not all(f.startswith("partial_") for f in functions)
        kind, pkeys, _, _ = partitioning(below)
        # A grouping without functions (distinct): the final one sits on a shuffle by its own keys.
        return kind in ("hash", "single") and all(k in keys for k in pkeys)
    return True


@plan_rule("SPK250", "redundant-exchange", "warning", "Exchange")
def redundant_exchange(node, ctx) -> None:
    kind, keys, count, origin = partitioning(node)
    if kind not in ("hash", "roundrobin") or origin.startswith("REBALANCE"):
        return
    p = up(node, ctx)
    while p is not None and op(p) not in ("Exchange", "BroadcastExchange"):
        if op(p) in HEAVY_NARROW or _uses_partitioning(p, node, ctx):
            return
        p = up(p, ctx)
    if p is None:
        return
    if op(p) == "Exchange":
        kind2, keys2, _, _ = partitioning(p)
        if kind2 == kind == "hash" and keys2 == keys:
            return
    if static_at(ctx, "SPK205"):
        return  # the static repartition-before-shuffle finding already says it
    call = repartition_call(node, ctx)
    if call is None:
        return  # a shuffle Spark added for an operator uses its layout by construction
    then = describe_consumer(p, ctx)
    _, keys2, _, origin2 = partitioning(p) if op(p) == "Exchange" else ("", [], None, "")
    advice = (f"drop `.{call}` (the shuffle of {then} sets the partitions: size it with "
              f"`spark.sql.shuffle.partitions` or adaptive execution)")
    if keys2 and origin2 == "ENSURE_REQUIREMENTS" and count is not None and origin == "REPARTITION_BY_NUM":
        cols = ", ".join(f'"{bare(k)}"' for k in keys2)
        advice += f", or use `repartition({count}, {cols})`, whose layout {then} reuses"
    ctx.report(f"{plan_name(ctx)} shuffles twice: the rows `{call}` shuffled are shuffled again for {then} "
               f"before anything uses that layout; {advice}", key=(ident(node), ident(p)))
