"""## What it does
Checks the stages a cell ran for tiny tasks: thousands of tasks (2000 by default)
whose median task took under 100 ms.

## Why is this bad?
Every task costs the scheduler, the network and the executor a fixed overhead
(scheduling, shipping the task, deserializing it, one shuffle block or output
file per task), so when tasks do almost no work that overhead is the stage's run
time.  Thousands of tiny tasks come from too many partitions: a high
`spark.sql.shuffle.partitions` for small data, many small input files, or a
`repartition(n)` with a large `n`; a write of such a stage also leaves thousands of
small files behind.

## Example
```python
spark.conf.set("spark.sql.adaptive.enabled", "false")
spark.conf.set("spark.sql.shuffle.partitions", "5000")
totals = small.groupBy("country").count()
```

Use instead:
```python
spark.conf.set("spark.sql.adaptive.enabled", "true")  # AQE coalesces small shuffle partitions
spark.conf.set("spark.sql.shuffle.partitions", "200")
totals = small.groupBy("country").count()
```
"""

from __future__ import annotations

from ...rules.base import runtime_rule


def _label(stage) -> str:
    name = "" if stage.name.startswith("Spark Connect") else stage.name  # Connect names a stage by its plan
    return f"stage {stage.stage_id}" + (f" ({name})" if name else "")


@runtime_rule("SPK262", "tiny-tasks", "warning")
def tiny_tasks(stage, ctx) -> None:
    settings = ctx.settings
    median = stage.task_median_s
    if median is None or stage.tasks < settings.tiny_task_count or median >= settings.tiny_task_median_s:
        return  # few tasks, long enough tasks, or no task times captured (status tracker only)
    conf = ctx.run.conf
    hints = []
    if stage.shuffle_read_bytes:  # a stage after a shuffle: spark.sql.shuffle.partitions (or a numPartitions)
        partitions = conf.get("spark.sql.shuffle.partitions")
        now = f" (now {partitions})" if partitions else ""
        hints.append(f"a lower `spark.sql.shuffle.partitions`{now} or numPartitions of the wide operation")
        if str(conf.get("spark.sql.adaptive.enabled", "true")).strip().lower() == "true":
            hints.append("AQE coalescing (`spark.sql.adaptive.coalescePartitions.enabled`)")
        else:
            hints.append("turning on AQE (`spark.sql.adaptive.enabled`), which coalesces small shuffle partitions")
    elif stage.input_bytes:  # a scan: one task per file split
        hints.append("fewer, larger input files (or a higher `spark.sql.files.maxPartitionBytes`)")
    else:
        hints.append("fewer partitions where the data is made (`parallelize(data, n)`, `repartition(n)`)")
    hints.append("`coalesce(n)` before the action or write")
    ms = f"{median * 1000:.0f} ms" if median >= 0.001 else "under 1 ms"
    ctx.report(
        f"{_label(stage)} ran {stage.tasks} tasks with a median task time of {ms}: per-task overhead "
        f"outweighs the work; use fewer partitions: {', '.join(hints)}",
        key=("tiny", stage.stage_id, stage.attempt),
    )
