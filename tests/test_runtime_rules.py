"""Runtime rules SPK260 (task skew), SPK261 (spill), SPK262 (tiny tasks): on stages captured from real
jobs on the local session (thresholds lowered so the jobs stay small), and at their thresholds."""

from __future__ import annotations

import time

import pytest

from sparkcoach import registry
from sparkcoach.capture.jobs import JobCapture
from sparkcoach.capture.model import CapturedPlan, CellRun, JobMetrics, PlanNode, StageMetrics
from sparkcoach.engine.plan import PlanSettings, check_run

RULES = [registry.get(c) for c in ("SPK260", "SPK261", "SPK262")]


def run_cell(spark, cell):
    capture = JobCapture(rest=False)  # the status store: full figures, no dependence on the UI's speed
    capture.start(spark)
    try:
        cell(spark)
    finally:
        jobs, sources, notes = capture.stop()
    assert jobs, notes
    return jobs


def findings(jobs, settings=None, conf=None, plans=()):
    run = CellRun(wall_s=1.0, jobs=tuple(jobs), plans=tuple(plans), conf=dict(conf or {}))
    return check_run(run, RULES, settings=settings or PlanSettings())


def codes(found):
    return [f.code for f in found]


# ---------------------------------------------------------------- real jobs


@pytest.fixture(scope="module")
def python_workers(spark):
    """Start the Python workers before timing Python tasks (the first task would pay for it)."""
    spark.sparkContext.parallelize(range(4), 2).map(lambda x: x).count()


SKEW = PlanSettings(skew_min_task_s=0.2, skew_ratio=3)


def test_skew_one_slow_partition(spark, python_workers):
    def cell(spark):
        def work(index, rows):
            if index == 0:
                time.sleep(1.5)
            return rows

        spark.sparkContext.parallelize(range(16), 8).mapPartitionsWithIndex(work).count()

    jobs = run_cell(spark, cell)
    stage = jobs[0].stages[0]
    assert stage.task_max_s >= 1.4 and stage.task_max_s > 3 * stage.task_median_s
    found = findings(jobs, SKEW)
    assert codes(found) == ["SPK260"]
    f = found[0]
    assert f.line == 1 and f"stage {stage.stage_id}" in f.message and "8 tasks" in f.message
    assert "salt" in f.message
    assert findings(jobs) == []  # the default thresholds (5 s, 10x) are not reached


def test_balanced_stage_is_silent(spark, python_workers):
    def cell(spark):
        def work(rows):
            time.sleep(0.4)
            return rows

        spark.sparkContext.parallelize(range(16), 4).mapPartitions(work).count()

    jobs = run_cell(spark, cell)
    stage = jobs[0].stages[0]
    assert stage.task_max_s >= 0.35
    assert findings(jobs, SKEW) == []


def test_spill_is_reported(spark):
    settings = {"spark.sql.windowExec.buffer.in.memory.threshold": "1000",
                "spark.sql.windowExec.buffer.spill.threshold": "1000"}
    old = {k: spark.conf.get(k) for k in settings}
    query = "SELECT k, sum(id) OVER (PARTITION BY k) AS s FROM (SELECT id, id % 3 AS k FROM range(6000))"

    def cell(spark):
        try:
            for k, v in settings.items():
                spark.conf.set(k, v)
            spark.sql(query).write.format("noop").mode("overwrite").save()
        finally:
            for k, v in old.items():
                spark.conf.set(k, v)

    jobs = run_cell(spark, cell)
    found = findings(jobs)
    assert codes(found) == ["SPK261"]
    assert "spilled" in found[0].message and "MiB" in found[0].message and "partitions" in found[0].message
    assert "spark.executor.memory" in found[0].message
    local = check_run(CellRun(wall_s=1.0, jobs=tuple(jobs), spark="classic local"), RULES)
    assert "give the driver more memory (`spark.driver.memory`)" in local[0].message
    # the same query without the forced spill: silent
    quiet = run_cell(spark, lambda s: s.sql(query).write.format("noop").mode("overwrite").save())
    assert findings(quiet) == []


def test_tiny_tasks_are_reported(spark):
    jobs = run_cell(spark, lambda s: s.range(0, 240, 1, 240).write.format("noop").mode("overwrite").save())
    stage = jobs[0].stages[0]
    assert stage.tasks == 240 and stage.task_median_s < 0.1
    settings = PlanSettings(tiny_task_count=200)
    found = findings(jobs, settings)
    assert codes(found) == ["SPK262"]
    assert "240 tasks" in found[0].message and "coalesce" in found[0].message
    assert findings(jobs) == []  # under the default 2000 tasks


def test_few_tasks_are_silent(spark):
    jobs = run_cell(spark, lambda s: s.range(0, 1000, 1, 4).selectExpr("id % 7 AS k").groupBy("k").count().collect())
    # (the skew thresholds stay at their defaults: with lowered ones, a task that happens to compile code
    # or wait for a busy machine could look skewed in a job this short)
    assert findings(jobs, PlanSettings(tiny_task_count=200)) == []


# ---------------------------------------------------------------- thresholds and messages


def stage(**kw):
    base = dict(stage_id=3, attempt=0, name="count at <cell>:4", tasks=200, duration_s=30.0, task_max_s=1.0,
                task_median_s=0.5, shuffle_read_bytes=0, shuffle_write_bytes=0, memory_spilled_bytes=0,
                disk_spilled_bytes=0)
    base.update(kw)
    return StageMetrics(**base)


def job(*stages):
    return JobMetrics(job_id=7, status="SUCCEEDED", stages=tuple(stages))


@pytest.mark.parametrize("longest, median, expected", [
    (5.0, 0.1, []),  # at the minimum: not over it
    (5.1, 0.51, []),  # exactly 10x
    (5.1, 0.5, ["SPK260"]),
    (60.0, 0.0, ["SPK260"]),
    (4.0, 0.01, []),  # very uneven but short: not worth a finding
    (60.0, 10.0, []),  # long tasks, evenly long
])
def test_skew_thresholds(longest, median, expected):
    assert codes(findings([job(stage(task_max_s=longest, task_median_s=median))])) == expected


def test_skew_message_has_the_figures():
    (f,) = findings([job(stage(task_max_s=12.0, task_median_s=0.5))])
    assert f.message.startswith("stage 3 (count at <cell>:4): its longest task ran 12.0 s, 24x the median task "
                                "(500 ms), of 200 tasks")


def test_no_task_times_no_findings():
    s = stage(task_max_s=None, task_median_s=None, memory_spilled_bytes=None, disk_spilled_bytes=None, tasks=5000)
    assert findings([job(s)], PlanSettings(skew_min_task_s=0, skew_ratio=1, tiny_task_count=1)) == []


def plan(*ops):
    node = None
    for op, args in reversed(ops):
        node = PlanNode(op, args, (node,) if node else ())
    return CapturedPlan("df", 2, node, "jvm", adaptive=True, final=True)


SKEWED = [job(stage(task_max_s=30.0, task_median_s=1.0))]


def test_skew_advice_for_an_aggregation():
    (f,) = findings(SKEWED, plans=[plan(("HashAggregate", "(keys=[k])"), ("Exchange", "hashpartitioning(k, 4)"),
                                        ("Range", "(0, 10)"))])
    assert "AQE does not split skewed aggregation" in f.message and "salt the key" in f.message


def test_skew_advice_for_a_join_under_aqe():
    smj = plan(("SortMergeJoin", "[k], [k], Inner"), ("Range", "(0, 10)"))
    (f,) = findings(SKEWED, conf={"spark.sql.adaptive.enabled": "true",
                                  "spark.sql.adaptive.skewJoin.enabled": "true"}, plans=[smj])
    assert "AQE's skew join is on but split nothing" in f.message and "broadcast the small side" in f.message
    split = plan(("SortMergeJoin", "(skew=true) [k], [k], Inner"), ("Range", "(0, 10)"))
    (f,) = findings(SKEWED, plans=[split])
    assert "already split" in f.message
    (f,) = findings(SKEWED, conf={"spark.sql.adaptive.skewJoin.enabled": "false"}, plans=[smj])
    assert "set `spark.sql.adaptive.enabled` and `spark.sql.adaptive.skewJoin.enabled`" in f.message


@pytest.mark.parametrize("memory, disk, expected", [
    (0, 0, None),
    (None, None, None),
    (25 * 1024 * 1024, 16 * 1024, "spilled 25.0 MiB of in-memory data (16.0 KiB written to disk)"),
    (0, 3 * 1024 ** 3, "spilled 3.0 GiB to disk"),
    (512, 0, "spilled 512 bytes of in-memory data"),
])
def test_spill_amounts(memory, disk, expected):
    found = findings([job(stage(memory_spilled_bytes=memory, disk_spilled_bytes=disk))])
    if expected is None:
        assert found == []
    else:
        assert codes(found) == ["SPK261"] and expected in found[0].message


def test_spill_floor_setting():
    s = stage(memory_spilled_bytes=4096, disk_spilled_bytes=1024)
    assert findings([job(s)], PlanSettings(extra={"spill_min_bytes": 1 << 20})) == []


@pytest.mark.parametrize("tasks, median, expected", [
    (2000, 0.05, ["SPK262"]),
    (1999, 0.05, []),
    (5000, 0.1, []),  # at the median limit: not under it
    (5000, 0.099, ["SPK262"]),
])
def test_tiny_task_thresholds(tasks, median, expected):
    s = stage(tasks=tasks, task_median_s=median, task_max_s=median)
    assert codes(findings([job(s)])) == expected


def test_tiny_tasks_advice_follows_what_the_stage_read():
    after_shuffle = stage(tasks=4000, task_median_s=0.02, task_max_s=0.05, shuffle_read_bytes=1 << 20)
    (f,) = findings([job(after_shuffle)], conf={"spark.sql.shuffle.partitions": "4000",
                                                "spark.sql.adaptive.enabled": "false"})
    assert "`spark.sql.shuffle.partitions` (now 4000)" in f.message and "turning on AQE" in f.message
    scan = stage(tasks=4000, task_median_s=0.02, task_max_s=0.05, input_bytes=1 << 30)
    (f,) = findings([job(scan)])
    assert "fewer, larger input files" in f.message and "shuffle.partitions" not in f.message


def test_each_stage_is_reported_once():
    s = stage(memory_spilled_bytes=1 << 20, disk_spilled_bytes=1 << 10)
    found = findings([job(s), JobMetrics(8, "SUCCEEDED", (s,))])
    assert codes(found) == ["SPK261"]


def test_a_spark_connect_stage_is_named_by_its_id():
    s = stage(name='Spark Connect - session_id: "28127bb8"', memory_spilled_bytes=1 << 20)
    (f,) = findings([job(s)])
    assert f.message.startswith("stage 3 spilled 1.0 MiB")
