"""## What it does
Checks the stages a cell ran for task skew: a stage whose longest task ran for
several seconds and many times longer than its median task (by default over 5 s
and over 10 times the median).

## Why is this bad?
A stage ends when its last task ends: when one partition holds far more rows than
the others (a hot key in a join or a `groupBy`), one core works while the rest of
the cluster waits, and that one task may spill or run out of memory.  Adaptive
query execution splits skewed partitions of sort-merge joins only (with
`spark.sql.adaptive.skewJoin.enabled`, and only partitions over
`spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes`); it never splits
the partitions of an aggregation, a window or an RDD shuffle.

## Example
```python
# one customer has most of the orders
per_customer = orders.groupBy("customer_id").agg(F.sum("amount").alias("total"))
```

Use instead:
```python
# salt the hot key: aggregate per (key, salt), then per key
salted = orders.withColumn("salt", (F.rand() * 16).cast("int"))
partial = salted.groupBy("customer_id", "salt").agg(F.sum("amount").alias("part"))
per_customer = partial.groupBy("customer_id").agg(F.sum("part").alias("total"))
```

For a join with a small side, broadcast it (`orders.join(F.broadcast(customers), "customer_id")`);
for a sort-merge join, let AQE split the skewed partitions (`spark.sql.adaptive.skewJoin.enabled`).
"""

from __future__ import annotations

from ...rules.base import runtime_rule
from ._plan import AGGREGATES

SHUFFLED_JOINS = ("SortMergeJoin", "ShuffledHashJoin")  # the joins AQE's skew join splits


def _seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


def _label(stage) -> str:
    name = "" if stage.name.startswith("Spark Connect") else stage.name  # Connect names a stage by its plan
    return f"stage {stage.stage_id}" + (f" ({name})" if name else "")


def _on(conf: dict, key: str, default: bool = True) -> bool:
    value = conf.get(key)
    return default if value is None else str(value).strip().lower() == "true"


def _what_ran(ctx) -> tuple[list, bool]:
    """The shuffled joins in the cell's captured plans, and whether it aggregated or windowed."""
    joins, grouped = [], False
    for plan in ctx.run.plans:
        for node in plan.root.walk():
            op = node.operator
            if op.startswith(SHUFFLED_JOINS):  # "SortMergeJoin(skew=true)" too
                joins.append(node)
            elif op.startswith(tuple(AGGREGATES)) or op == "Window":
                grouped = True
    return joins, grouped


def _split_by_aqe(node) -> bool:
    text = f"{node.operator} {node.args}".lower().replace(" ", "")
    return "skew=true" in text or "isskewjoin=true" in text


def _advice(ctx) -> str:
    conf = ctx.run.conf
    aqe_skew = _on(conf, "spark.sql.adaptive.enabled") and _on(conf, "spark.sql.adaptive.skewJoin.enabled")
    joins, grouped = _what_ran(ctx)
    parts = []
    if joins:
        if aqe_skew and any(_split_by_aqe(j) for j in joins):
            parts.append("AQE's skew join already split this cell's skewed join partitions, yet a task still ran "
                         "long: broadcast the small side (`F.broadcast(small)`) or salt the join key")
        elif aqe_skew:
            parts.append("AQE's skew join is on but split nothing (it only splits a partition over "
                         "`spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes`, 256 MB by default, and "
                         "`skewedPartitionFactor` times the median): for a join, broadcast the small side "
                         "(`F.broadcast(small)`), lower that threshold, or salt the join key")
        else:
            parts.append("for a join, set `spark.sql.adaptive.enabled` and `spark.sql.adaptive.skewJoin.enabled` "
                         "so AQE splits skewed sort-merge join partitions, or broadcast the small side "
                         "(`F.broadcast(small)`)")
    if grouped:
        parts.append("AQE does not split skewed aggregation or window partitions: salt the key (group by key and "
                     "a random salt, then by key)")
    if not parts:
        parts.append("salt the hot key (add a random salt to spread it, then combine), broadcast the small side of "
                     "a join, or let AQE split skewed sort-merge joins (`spark.sql.adaptive.skewJoin.enabled`)")
    return "; ".join(parts)


@runtime_rule("SPK260", "task-skew", "warning")
def task_skew(stage, ctx) -> None:
    settings = ctx.settings
    longest, median = stage.task_max_s, stage.task_median_s
    if longest is None or median is None or stage.tasks < 2:
        return  # no task times captured (status tracker only), or nothing to compare
    if longest <= settings.skew_min_task_s or longest <= settings.skew_ratio * median:
        return
    if median > 0:
        versus = f"{longest / median:.0f}x the median task ({_seconds(median)})"
    else:
        versus = "while the median task took under 1 ms"
    ctx.report(
        f"{_label(stage)}: its longest task ran {_seconds(longest)}, {versus}, of {stage.tasks} tasks: "
        f"one partition holds much more data than the others; {_advice(ctx)}",
        key=("skew", stage.stage_id, stage.attempt),
    )
