"""## What it does
Checks for broadcasts too large for the driver.  Reported: a `BroadcastExchange`
whose size (measured when the stage ran, else Spark's estimate) is over 1 GB or over a
quarter of the driver's memory (`spark.driver.memory`, 1g by default).

## Why is this bad?
A broadcast is collected on the driver, built into a hash table there and then
copied to every executor, which keeps it in memory for the whole join.  A large
broadcast side fails the job with an `OutOfMemoryError` on the driver or the
executors, or a broadcast timeout, and even when it fits it costs more than the
shuffle it was meant to avoid.  It comes from a `broadcast()` hint on a large
DataFrame, a raised `spark.sql.autoBroadcastJoinThreshold`, or a nested-loop join
(which must broadcast one side).

## Example
```python
from pyspark.sql.functions import broadcast

joined = events.join(broadcast(users), "user_id")  # users: 3 GB
```

Use instead:
```python
joined = events.join(users.select("user_id", "country"), "user_id")
```
"""

from __future__ import annotations

from ...rules.base import plan_rule
from ._plan import JOINS, best_size, describe_side, human, human_setting, ident, kids, op, parse_bytes, plan_name, up

DEFAULT_DRIVER_MEMORY = "1g"


def driver_memory(ctx) -> tuple[int | None, str, bool]:
    """(bytes, as configured, stated?): spark.driver.memory (a plain number means MiB), else Spark's 1g."""
    value = ctx.conf.get("spark.driver.memory")
    stated = value is not None
    value = str(value if stated else DEFAULT_DRIVER_MEMORY).strip()
    return parse_bytes(value, default_unit="m"), value, stated


@plan_rule("SPK352", "broadcast-too-large", "warning", "BroadcastExchange")
def broadcast_too_large(node, ctx) -> None:
    size, real = best_size(node)
    if size is None:
        return
    mem, mem_text, stated = driver_memory(ctx)
    limits = [(ctx.settings.broadcast_too_large, f"over {human_setting(ctx.settings.broadcast_too_large)}")]
    if mem:
        share = ctx.settings.broadcast_driver_share
        limits.append((int(mem * share), f"over {share:.0%} of the driver's {mem_text} memory"
                                          f" (spark.driver.memory{'' if stated else ', the default'})"))
    over = [why for limit, why in limits if size > limit]
    if not over:
        return
    join = up(node, ctx)
    sides = list(kids(join)) if join is not None and op(join) in JOINS else []
    if len(sides) == 2 and any(s is node for s in sides):
        which = "left" if sides[0] is node else "right"
        named, _ = describe_side(which, node, sides[1] if which == "left" else sides[0], size, ctx, real)
    else:  # a broadcast for something other than a join (e.g. a dynamic partition pruning subquery)
        named = f"{human(size)} measured" if real else f"~{human(size)}"
    if join is not None and op(join) == "BroadcastNestedLoopJoin":
        advice = ("a nested-loop join must broadcast one side: add an equality to the join condition so Spark "
                  "can sort-merge join instead")
    else:
        threshold = parse_bytes(ctx.conf.get("spark.sql.autoBroadcastJoinThreshold"))
        raised = threshold is not None and threshold >= size
        advice = ("drop the `broadcast()` hint" + (
            f" and lower spark.sql.autoBroadcastJoinThreshold (now {human_setting(threshold)})" if raised else "")
            + " so Spark shuffles both sides, or broadcast only the columns and rows the join needs")
    ctx.report(f"{plan_name(ctx)} broadcasts {named}, {' and '.join(over)}: the driver collects it and every "
               f"executor keeps a copy, so the job risks out-of-memory errors or a broadcast timeout; {advice}",
               key=ident(node))
