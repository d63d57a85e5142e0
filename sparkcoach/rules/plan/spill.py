"""## What it does
Checks the stages a cell ran for spill: tasks that ran out of execution memory
and wrote their sort, aggregation, join or window buffers to local disk.

## Why is this bad?
Spilling serializes the in-memory data, writes it to disk and reads it back,
often several times per task: a stage that spills runs many times slower than
one that fits, and heavy spill is the step before tasks fail with out-of-memory
errors.  Spill means each task holds too much data for its share of executor
memory: too few partitions for the data, a skewed key, too little memory per
core, or a wide operation that need not be there.

## Example
```python
spark.conf.set("spark.sql.shuffle.partitions", "8")  # far too few for the data
daily = events.groupBy("user_id", "day").agg(F.collect_list("event").alias("events"))
```

Use instead:
```python
spark.conf.set("spark.sql.shuffle.partitions", "400")  # or let AQE size them
daily = events.groupBy("user_id", "day").agg(F.count("event").alias("events"))
```
"""

from __future__ import annotations

from ...rules.base import runtime_rule


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


def _label(stage) -> str:
    name = "" if stage.name.startswith("Spark Connect") else stage.name  # Connect names a stage by its plan
    return f"stage {stage.stage_id}" + (f" ({name})" if name else "")


@runtime_rule("SPK261", "spill", "warning")
def spill(stage, ctx) -> None:
    memory, disk = stage.memory_spilled_bytes or 0, stage.disk_spilled_bytes or 0
    floor = int(ctx.settings.extra.get("spill_min_bytes", 0))
    if max(memory, disk) <= floor:
        return  # no spill, or no figures (status tracker only)
    if memory and disk:
        how = f"spilled {_size(memory)} of in-memory data ({_size(disk)} written to disk)"
    elif disk:
        how = f"spilled {_size(disk)} to disk"
    else:
        how = f"spilled {_size(memory)} of in-memory data"
    per_task = f", {_size(max(memory, disk) // stage.tasks)} per task on average" if stage.tasks > 1 else ""
    partitions = ctx.run.conf.get("spark.sql.shuffle.partitions")
    more = ("more partitions (`repartition(n)`, a higher `spark.sql.shuffle.partitions`"
            + (f", now {partitions}" if partitions else "") + ")")
    local = ctx.run.spark == "classic local"  # local mode: the tasks run in the driver
    where, memory_key = ("the driver", "spark.driver.memory") if local else ("executors", "spark.executor.memory")
    ctx.report(
        f"{_label(stage)} {how} over {stage.tasks} task{'s' if stage.tasks != 1 else ''}{per_task}: its tasks ran "
        f"out of execution memory; give each task less data with {more}, give {where} more memory "
        f"(`{memory_key}`), or avoid the wide operation (broadcast the small side of a join, combine "
        f"before shuffling)",
        key=("spill", stage.stage_id, stage.attempt),
    )
