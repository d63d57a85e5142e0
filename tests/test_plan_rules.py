"""Plan and lineage rules (SPK250-253, SPK350-352, SPK450, SPK550) over REAL plans and lineages.

Every plan is built on the shared local SparkSession and captured the way the
notebook captures it (``plan_of``: ``executedPlan`` and logical statistics, no
job); RDD lineages with ``lineage_of`` (``toDebugString``, no job).  The data are
small, or never materialized: ``spark.range(10**9)`` only gives an estimate.
Settings changed for a test are put back afterwards (the session is shared).
"""

from __future__ import annotations

import dataclasses
import importlib
import linecache
import re
import sys
import textwrap

import pytest

from sparkcoach import registry
from sparkcoach.capture.model import CapturedPlan, CellRun
from helpers import spark_conf  # noqa: E402
from sparkcoach.engine.plan import Marks, PlanSettings, check_run
from sparkcoach.findings import Finding

PLAN_CODES = ("SPK250", "SPK251", "SPK252", "SPK253", "SPK350", "SPK351", "SPK352", "SPK450", "SPK550")
KEEP_SORTS = "org.apache.spark.sql.catalyst.optimizer.EliminateSorts"  # see the SPK251 tests


# ------------------------------------------------------------------------------------------------ helpers
def capture(df, name: str, line: int = 1) -> CapturedPlan:
    """The DataFrame's plan as the notebook captures it (never runs a job)."""
    from sparkcoach.capture.plan import plan_of

    return plan_of(df, name, line, text=False)


def capture_explain(df, name: str, line: int = 1) -> CapturedPlan:
    """The same plan through the Spark Connect path: ``explain`` text (formatted + cost) parsed."""
    from sparkcoach.capture import plan as capture_plan

    return capture_plan._plan_of_connect(df, name, line)


def conf(spark, **settings):
    """Session settings for one test (``spark__sql__x="1"`` sets ``spark.sql.x``), put back afterwards."""
    return spark_conf(spark, {k.replace("__", "."): v for k, v in settings.items()})


def session_conf(spark) -> dict:
    """What the magic records in ``CellRun.conf`` (the settings the plan rules read)."""
    from sparkcoach.capture.session import describe_session, session_conf as recorded

    return recorded(describe_session(spark))


def check(code: str, *plans: CapturedPlan, conf: dict | None = None, static=(), lineages=(),
          settings: PlanSettings | None = None) -> list[Finding]:
    run = CellRun(wall_s=0, plans=tuple(plans), lineages=tuple(lineages), conf=dict(conf or {}))
    return check_run(run, [registry.get(code)], settings=settings, static=static)


def local_data(spark):
    """A DataFrame made from local data (id, k, v): Spark does not know its size."""
    return spark.createDataFrame([(i, i % 10, i * 2) for i in range(5)], ["id", "k", "v"])


def static(code: str, line: int, message: str = "") -> Finding:
    return Finding(code, registry.get(code).name, "warning", message, "<cell>", line, 1, line, 1)


def lines(found) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in found]


@pytest.fixture(scope="module")
def data(spark):
    from pyspark.sql import functions as F

    a = spark.range(1000).withColumn("k", F.col("id") % 10).withColumn("v", F.col("id") * 2)  # ~16 KB
    b = spark.range(100).withColumn("k", F.col("id") % 10).withColumn("w", F.col("id") * 3)  # ~1.6 KB
    mid = spark.range(3_000_000).withColumn("k", F.col("id") % 10)  # ~36 MB, never materialized
    big = spark.range(50_000_000).withColumn("k", F.col("id") % 10)  # ~600 MB, never materialized
    return a, b, mid, big


@pytest.fixture(scope="module")
def files(spark, tmp_path_factory, data):
    """Small CSV, JSON and Parquet copies of ``a`` (the only jobs these tests run, besides two tiny joins)."""
    from pyspark.sql import functions as F

    a = data[0]
    root = tmp_path_factory.mktemp("scans")
    a.write.csv(str(root / "sales.csv"), header=True)
    a.write.json(str(root / "sales.json"))
    a.withColumn("day", F.date_add(F.lit("2024-01-01").cast("date"), (F.col("id") % 400).cast("int"))) \
        .write.parquet(str(root / "sales.parquet"))
    return root


def test_rules_are_registered_as_preview_plan_rules():
    for code in PLAN_CODES:
        rule = registry.get(code)
        assert registry.status(code) == "preview"
        assert rule.kind == ("lineage" if code == "SPK253" else "plan")
        assert rule.doc.startswith("## What it does") and rule.summary.startswith("Checks")


def test_every_plan_rule_module_is_registered_and_the_helpers_are_not():
    from pathlib import Path

    from sparkcoach.rules.base import Rule
    from sparkcoach.rules.plan import _plan

    folder = Path(_plan.__file__).parent
    modules = {f"plan.{f.stem}" for f in folder.glob("*.py") if not f.stem.startswith("_")}
    assert modules == {m for m, _ in registry.RULES.values() if m.startswith("plan.")}
    assert not any(isinstance(v, Rule) for v in vars(_plan).values())


def test_importing_the_rules_imports_no_pyspark():
    import subprocess

    code = ("import sys\nfrom sparkcoach import registry\n"
            f"[registry.get(c) for c in {PLAN_CODES!r}]\n"
            "assert not any(m.startswith(('pyspark', 'py4j')) for m in sys.modules), 'pyspark imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------- SPK250 redundant-exchange
def test_spk250_repartition_then_group_by(data):
    from pyspark.sql import functions as F

    a = data[0]
    found = check("SPK250", capture(a.repartition(8).groupBy("k").agg(F.sum("v")), "totals", 3))
    assert lines(found) == [("SPK250", 3)]
    msg = found[0].message
    assert msg.startswith("`totals` shuffles twice: the rows `repartition(8)` shuffled")
    assert "the aggregation on `k`" in msg and "drop `.repartition(8)`" in msg and '`repartition(8, "k")`' in msg


def test_spk250_repartition_by_column_then_join(spark, data):
    a, b = data[:2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1"):
        plan = capture(a.repartition("id").join(b, "k"), "joined", 2)
    found = check("SPK250", plan)
    assert lines(found) == [("SPK250", 2)]
    assert '`repartition("id")`' in found[0].message and "the join on `k`" in found[0].message


def test_spk250_repartition_then_distinct_and_broadcast(data):
    a, b = data[:2]
    assert len(check("SPK250", capture(a.repartition(8).select("k").distinct(), "ks"))) == 1
    found = check("SPK250", capture(a.join(b.repartition(3), "k"), "joined"))
    assert len(found) == 1 and "the broadcast of this side of a join" in found[0].message


def test_spk250_repartition_then_a_window_on_other_keys(data):
    from pyspark.sql import Window, functions as F

    a = data[0]
    w = Window.partitionBy("k").orderBy("v")
    firsts = a.repartition(8).withColumn("r", F.row_number().over(w)).filter("r = 1")  # a partial top-k in between
    found = check("SPK250", capture(firsts, "firsts"))
    assert len(found) == 1 and "the window partitioned by `k`" in found[0].message


def test_spk250_good_cases(data):
    from pyspark.sql import Window, functions as F

    a, b = data[:2]
    slow = F.udf(lambda x: str(x), "string")
    good = {
        "same keys": a.repartition("k").groupBy("k").count(),
        "same keys, more partitions": a.repartition(8, "k").groupBy("k").agg(F.sum("v")),
        "plain groupBy": a.groupBy("k").count(),
        "count distinct": a.select(F.countDistinct("k")),
        "groupBy then groupBy": a.groupBy("k", "v").count().groupBy("k").count(),
        "distinct then repartition": a.select("k").distinct().repartition(3),
        "repartition before a write": a.repartition(8),
        "repartition spreads a UDF": a.repartition(8).withColumn("s", slow("v")).groupBy("k").agg(F.max("s")),
        "broadcast join": a.join(b, "k"),
        "repartition by the window's key": a.repartition("k").withColumn(
            "r", F.row_number().over(Window.partitionBy("k").orderBy("v"))),
    }
    for name, df in good.items():
        assert check("SPK250", capture(df, "df")) == [], name


def test_spk250_defers_to_the_static_finding(data):
    from pyspark.sql import functions as F

    plan = capture(data[0].repartition(8).groupBy("k").agg(F.sum("v")), "totals", 3)
    assert check("SPK250", plan, static=[static("SPK205", 3)]) == []
    assert len(check("SPK250", plan, static=[static("SPK205", 4)])) == 1


# ------------------------------------------------------------------------------------- SPK251 wasted-global-sort
# Spark 4 removes a sort before a shuffle in its optimizer (EliminateSorts); Spark 3.x keeps it before order-
# sensitive aggregates such as collect_list/first.  Turning that one optimizer rule off gives the real plan
# older versions (and their explain text) show.
def test_spk251_sort_then_collect_list(spark, data):
    from pyspark.sql import functions as F

    with conf(spark, spark__sql__optimizer__excludedRules=KEEP_SORTS):
        plan = capture(data[0].orderBy("v").groupBy("k").agg(F.collect_list("v")), "paths", 4)
    found = check("SPK251", plan)
    assert lines(found) == [("SPK251", 4)]
    msg = found[0].message
    assert msg.startswith("`paths` sorts globally by `v`") and "the aggregation on `k`" in msg
    assert "F.array_sort(F.collect_list(F.struct(" in msg


def test_spk251_sort_then_sum_and_join(spark, data):
    from pyspark.sql import functions as F

    a, b = data[:2]
    with conf(spark, spark__sql__optimizer__excludedRules=KEEP_SORTS):
        totals = capture(a.orderBy(F.desc("v")).groupBy("k").agg(F.sum("v")), "totals")
        with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1"):
            joined = capture(a.orderBy(F.desc("v")).join(b, "k"), "joined")
    found = check("SPK251", totals)
    assert len(found) == 1 and "sorts globally by `v DESC`" in found[0].message
    assert "drop the `orderBy`/`sort`" in found[0].message
    found = check("SPK251", joined)
    assert len(found) == 1 and "the join on `k`" in found[0].message


def test_spk251_good_cases(spark, data):
    from pyspark.sql import functions as F

    a, b = data[:2]
    with conf(spark, spark__sql__optimizer__excludedRules=KEEP_SORTS):
        good = {
            "sort aggregate on the sort key": a.orderBy("k").groupBy("k").count(),
            "top-n": a.orderBy("v").limit(5),
            "plain sort": a.orderBy("v"),
            "sort, then a limit, then a groupBy": a.orderBy("v").limit(50).groupBy("k").count(),
            "streamed side of a broadcast join": a.orderBy("v").join(F.broadcast(b), "k"),
            "sortWithinPartitions": a.sortWithinPartitions("v").groupBy("k").count(),
        }
        plans = {name: capture(df, "df") for name, df in good.items()}
    for name, plan in plans.items():
        assert check("SPK251", plan) == [], name


def test_spk251_defers_to_the_static_finding(spark, data):
    from pyspark.sql import functions as F

    with conf(spark, spark__sql__optimizer__excludedRules=KEEP_SORTS):
        plan = capture(data[0].orderBy("v").groupBy("k").agg(F.sum("v")), "totals", 2)
    assert check("SPK251", plan, static=[static("SPK202", 2)]) == []


# ------------------------------------------------------------------------------ SPK252 single-partition-exchange
def test_spk252_global_window_on_large_data(data):
    from pyspark.sql import Window, functions as F

    big = data[3]
    found = check("SPK252", capture(big.withColumn("r", F.row_number().over(Window.orderBy("id"))), "ranked", 2))
    assert lines(found) == [("SPK252", 2)]
    assert found[0].message.startswith("`ranked` computes a window without `partitionBy`: all ~")
    assert "Window.partitionBy(<key>)" in found[0].message


def test_spk252_repartition_1_before_heavy_work(data):
    from pyspark.sql import Window, functions as F

    big = data[3]
    w = Window.partitionBy("k").orderBy("id")
    found = check("SPK252", capture(big.repartition(1).withColumn("r", F.row_number().over(w)), "ranked"))
    assert len(found) == 1
    assert "one task with `repartition(1)` before a window" in found[0].message


def test_spk252_coalesce_1_before_heavy_work(data):
    from pyspark.sql import Window, functions as F

    big = data[3]
    w = Window.partitionBy("k").orderBy("id")
    found = check("SPK252", capture(big.coalesce(1).withColumn("r", F.row_number().over(w)), "ranked", 4))
    assert lines(found) == [("SPK252", 4)]
    assert "one task with `coalesce(1)` before a window" in found[0].message


def test_spk252_coalesce_1_before_a_group_by(data):
    """The docstring's example: the size of what moves is the coalesce's input (estimated on every node)."""
    big = data[3]
    found = check("SPK252", capture(big.coalesce(1).groupBy("k").count(), "daily", 3))
    assert lines(found) == [("SPK252", 3)]
    assert found[0].message.startswith("`daily` funnels ~400 MB through one task with `coalesce(1)` before an "
                                       "aggregation")


def test_spk252_states_the_size_of_what_the_exchange_moves(data):
    from pyspark.sql import Window, functions as F

    big = data[3]  # the window's output adds `k` and the rank to the 400 MB of ids the exchange moves
    found = check("SPK252", capture(big.withColumn("r", F.row_number().over(Window.orderBy("id"))), "ranked"))
    assert len(found) == 1 and "all ~400 MB move to one partition" in found[0].message


def test_spk252_good_cases(data):
    from pyspark.sql import Window, functions as F

    a, b, mid, big = data
    good = {
        "limit": big.limit(10),
        "limit then groupBy": big.limit(10).groupBy("k").count(),
        "top-n": big.orderBy("id").limit(10),
        "global aggregate": big.agg(F.sum("id")),
        "count distinct": big.select(F.countDistinct("k")),
        "global window on small data": a.withColumn("r", F.row_number().over(Window.orderBy("id"))),
        "partitioned window": big.withColumn("r", F.row_number().over(Window.partitionBy("k").orderBy("id"))),
        "repartition(1) before a write": big.repartition(1),
        "coalesce(1) before a write": big.coalesce(1),
        "repartition(1) then a projection": big.repartition(1).withColumn("x", F.col("id") + 1),
        "global window on data of unknown size": local_data(a.sparkSession).select("k").withColumn(
            "r", F.row_number().over(Window.orderBy("k"))),
    }
    for name, df in good.items():
        assert check("SPK252", capture(df, "df")) == [], name


def test_spk252_defers_to_the_static_finding(data):
    from pyspark.sql import Window, functions as F

    plan = capture(data[3].withColumn("r", F.row_number().over(Window.orderBy("id"))), "ranked", 2)
    assert check("SPK252", plan, static=[static("SPK203", 2)]) == []


# ---------------------------------------------------------------------------------- SPK253 lineage-group-by-key
HELPERS = '''\
def totals(pairs):
    return pairs.groupByKey().mapValues(sum)


def groups(pairs):
    return pairs.groupByKey().mapValues(list)
'''


@pytest.fixture(scope="module")
def helpers_module(tmp_path_factory):
    root = tmp_path_factory.mktemp("helpers")
    (root / "spk253_helpers.py").write_text(HELPERS, encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("spk253_helpers")
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("spk253_helpers", None)


def lineage(rdd, name: str, line: int):
    from sparkcoach.capture.lineage import lineage_of

    return lineage_of(rdd, name, line)


def test_spk253_group_by_key_in_an_imported_module(sc, helpers_module):
    pairs = sc.parallelize([(i % 3, i) for i in range(30)], 2)
    lin = lineage(helpers_module.totals(pairs), "counts", 2)
    assert any(n.call.startswith("groupByKey at ") and n.file == helpers_module.__file__ for n in lin.nodes)
    marks = Marks()
    found = check_run(CellRun(wall_s=0, lineages=(lin,)), [registry.get("SPK253")], marks=marks)
    assert lines(found) == [("SPK253", 2)]
    flagged = [n for n in lin.nodes if n.id in marks.lineages[0]]  # the view marks the groupByKey RDD
    assert flagged and all(n.call.startswith("groupByKey at ") for n in flagged)
    msg = found[0].message
    assert msg.startswith("`counts` is built with a `groupByKey` shuffle at ")
    assert "spk253_helpers.py:2: " in msg and "reduceByKey(lambda a, b: a + b)" in msg


def test_spk253_group_by_key_in_an_earlier_cell(sc):
    cell = "def totals(pairs):\n    return pairs.groupByKey().mapValues(len)\n"
    filename = "/tmp/ipykernel_4242/1234567.py"  # how ipykernel names a cell's code
    linecache.cache[filename] = (len(cell), None, cell.splitlines(keepends=True), filename)
    try:
        ns: dict = {}
        exec(compile(cell, filename, "exec"), ns)
        lin = lineage(ns["totals"](sc.parallelize([(1, 2), (1, 3)], 2)), "sizes", 5)
        found = check("SPK253", lineages=[lin])
    finally:
        linecache.cache.pop(filename, None)
    assert lines(found) == [("SPK253", 5)]
    assert "at an earlier cell, line 2: " in found[0].message


def test_spk253_good_cases(sc, helpers_module):
    pairs = sc.parallelize([(i % 3, i) for i in range(30)], 2)
    kept = lineage(helpers_module.groups(pairs), "groups", 1)  # groups kept whole: mapValues(list)
    reduced = lineage(pairs.reduceByKey(lambda x, y: x + y), "counts", 2)
    # the cell's own code (coach maps the cell's file to "<cell>"): the static SPK201 has the say there
    in_cell = lineage(helpers_module.totals(pairs), "counts", 3)
    in_cell = dataclasses.replace(in_cell, nodes=tuple(
        dataclasses.replace(n, file="<cell>", line=3) if n.file else n for n in in_cell.nodes))
    unreadable = lineage(helpers_module.totals(pairs), "counts", 4)
    unreadable = dataclasses.replace(unreadable, nodes=tuple(
        dataclasses.replace(n, file="/nonexistent/helpers.py") if n.file else n for n in unreadable.nodes))
    for lin in (kept, reduced, in_cell, unreadable):
        assert check("SPK253", lineages=[lin]) == [], lin.name


# ------------------------------------------------------------------------------ SPK350 sort-merge-join-small-side
def test_spk350_side_under_the_broadcast_threshold_named(spark, data):
    a, _, mid, big = data
    plans = (capture(big, "big", 1), capture(mid, "mid", 2), capture(big.join(mid, "k"), "joined", 3))
    found = check("SPK350", *plans, conf=session_conf(spark))
    assert lines(found) == [("SPK350", 3)]
    msg = found[0].message
    assert msg.startswith("`joined` sort-merge joins `mid` (~36.0 MB") and " on `k`, shuffling and sorting" in msg
    assert "join with `broadcast(mid)`" in msg
    assert "adaptive execution is unlikely to switch it at runtime (the estimate is over its 10 MiB" in msg


def test_spk350_unnamed_side_and_disabled_broadcasts(spark, data):
    a, b = data[:2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1"):
        plan = capture(a.join(b.filter("w > 3"), "k", "left"), "joined", 2)
        cfg = session_conf(spark)
    found = check("SPK350", plan, conf=cfg)
    assert lines(found) == [("SPK350", 2)]
    msg = found[0].message
    assert "sort-merge joins the right side (~1.6 KB" in msg
    assert "wrap the right-hand DataFrame of the join in `broadcast(...)`" in msg
    assert "its broadcast threshold is off: -1" in msg


def test_spk350_adaptive_execution_will_switch_it(spark, data):
    a, b = data[:2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1",
              spark__sql__adaptive__autoBroadcastJoinThreshold="10MB"):
        plan = capture(a.join(b, "k"), "joined")
        cfg = session_conf(spark)
    assert plan.adaptive and not plan.final
    assert check("SPK350", plan, conf=cfg) == []


def test_spk350_final_plan_that_did_not_switch(spark, data):
    a, b = data[:2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1",
              spark__sql__adaptive__autoBroadcastJoinThreshold="-1"):
        joined = a.join(b, "k")
        joined.collect()  # the user's cell ran it: AQE's final plan
        plan = capture(joined, "joined", 2)
        cfg = session_conf(spark)
    assert plan.final
    found = check("SPK350", plan, conf=cfg)
    assert len(found) == 1 and "adaptive execution did not switch it to a broadcast join at runtime" in \
        found[0].message


def test_spk350_final_plan_that_switched(spark, data):
    a, b = data[:2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1",
              spark__sql__adaptive__autoBroadcastJoinThreshold="10MB"):
        joined = a.join(b, "k")
        joined.collect()
        plan = capture(joined, "joined", 2)
        cfg = session_conf(spark)
    assert plan.final
    assert check("SPK350", plan, conf=cfg) == []


def test_spk350_without_adaptive_execution(spark, data):
    a, b = data[:2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1", spark__sql__adaptive__enabled="false"):
        plan = capture(a.join(b, "k"), "joined")
        cfg = session_conf(spark)
    assert not plan.adaptive
    found = check("SPK350", plan, conf=cfg)
    assert len(found) == 1 and "adaptive" not in found[0].message


def test_spk350_good_cases(spark, data):
    a, b, mid, big = data
    cfg = session_conf(spark)
    assert check("SPK350", capture(a.join(b, "k"), "broadcast join"), conf=cfg) == []
    assert check("SPK350", capture(big.join(big.withColumnRenamed("id", "id2"), "k"), "both large"),
                 conf=cfg) == []
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1"):
        cfg = session_conf(spark)
        full = capture(a.join(b, "k", "full"), "full outer")
        small_left = capture(b.join(big, "k", "left"), "left outer, small left side")
        small_right_of_right_join = capture(big.join(b, "k", "right"), "right outer, small right side")
        smaller_threshold = capture(a.join(b, "k"), "threshold")
    assert check("SPK350", full, conf=cfg) == []
    assert check("SPK350", small_left, conf=cfg) == []
    assert check("SPK350", small_right_of_right_join, conf=cfg) == []
    assert check("SPK350", smaller_threshold, conf=cfg, settings=PlanSettings(broadcast_threshold=1000)) == []


def test_spk350_one_finding_for_a_join_in_two_plans(spark, data):
    big, mid = data[3], data[2]
    joined = big.join(mid, "k")
    plans = (capture(joined, "joined", 2), capture(joined.groupBy("k").count(), "counts", 3))
    found = check("SPK350", *plans, conf=session_conf(spark))
    assert lines(found) == [("SPK350", 2)]


def test_spk350_explain_path(spark, data):
    big, mid = data[3], data[2]
    plan = capture_explain(big.join(mid, "k"), "joined", 3)
    assert plan.source == "explain"
    found = check("SPK350", plan, conf=session_conf(spark))
    assert lines(found) == [("SPK350", 3)] and "(~36.0 MB" in found[0].message


# ------------------------------------------------------------------------------------- SPK351 nested-loop-join
def test_spk351_non_equi_join(spark, data):
    mid = data[2]
    right = spark.range(200_000).withColumnRenamed("id", "start")  # broadcast, but 200,000 rows
    found = check("SPK351", capture(mid.join(right, mid.id < right.start), "pairs", 2))
    assert lines(found) == [("SPK351", 2)]
    msg = found[0].message
    assert "joins on a condition without an equality (`id < start`)" in msg
    assert "a broadcast nested-loop join (the right side is broadcast" in msg
    assert "add an equality on a shared key" in msg


def test_spk351_or_condition_and_cartesian_product(spark, data):
    a, b = data[:2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1"):
        plan = capture(a.join(b, (a.k == b.k) | (a.id == b.id)), "either", 3)
    found = check("SPK351", plan)
    assert lines(found) == [("SPK351", 3)]
    msg = found[0].message
    assert "joins on an OR of conditions (`left.k = right.k` OR `left.id = right.id`)" in msg
    assert "as a cartesian product" in msg and "`unionByName`" in msg


def test_spk351_not_in_subquery(spark, data):
    from pyspark.sql import functions as F

    mid = data[2]
    nullable = spark.range(200_000).select(F.when(F.col("id") % 7 == 0, None).otherwise(F.col("id")).alias("x"))
    mid.createOrReplaceTempView("spk351_mid")
    nullable.createOrReplaceTempView("spk351_nullable")
    try:
        df = spark.sql("SELECT * FROM spk351_mid WHERE (id, k) NOT IN (SELECT x, x FROM spk351_nullable)")
        found = check("SPK351", capture(df, "missing", 4))
    finally:
        spark.catalog.dropTempView("spk351_mid")
        spark.catalog.dropTempView("spk351_nullable")
    assert lines(found) == [("SPK351", 4)]
    msg = found[0].message
    assert "runs `(id, id % 10) NOT IN (SELECT x, x ...)`" in msg and "NOT EXISTS" in msg and "left_anti" in msg


def test_spk351_cross_join_without_condition(spark, data):
    a, mid = data[0], data[2]
    with conf(spark, spark__sql__autoBroadcastJoinThreshold="-1"):
        plan = capture(mid.crossJoin(spark.range(200_000).withColumnRenamed("id", "n")), "grid", 2)
        small = capture(mid.crossJoin(a.select("v")), "small", 3)
    found = check("SPK351", plan)
    assert len(found) == 1 and "is a cartesian product" in found[0].message
    assert "with no join condition" in found[0].message
    assert check("SPK351", plan, static=[static("SPK302", 2)]) == []  # the static cross-join finding says it
    assert check("SPK351", small) == []  # 1,000 rows on one side
    unknown = capture(mid.crossJoin(local_data(spark).select("v")), "unknown", 4)
    assert check("SPK351", unknown) == []  # Spark does not know the local side's size: it may well be tiny


def test_spk351_good_cases(spark, data):
    a, b, mid, big = data
    good = {
        "tiny broadcast side": big.join(b, big.id < b.id),
        "tiny cross join": big.crossJoin(b.select("w")),
        "equi join": big.join(mid, "k"),
        "equi join with an extra condition": mid.join(a, (mid.k == a.k) & (mid.id < a.v)),
    }
    for name, df in good.items():
        assert check("SPK351", capture(df, "df")) == [], name


# ---------------------------------------------------------------------------------- SPK352 broadcast-too-large
def test_spk352_broadcast_hint_on_a_huge_side(spark, data):
    from pyspark.sql import functions as F

    a = data[0]
    users = spark.range(10**9).withColumn("k", F.col("id") % 10)  # an estimate of 12 GB, never materialized
    plans = (capture(users, "users", 1), capture(a.join(F.broadcast(users), "k"), "joined", 2))
    found = check("SPK352", *plans, conf=session_conf(spark))
    assert lines(found) == [("SPK352", 2)]
    msg = found[0].message
    assert msg.startswith("`joined` broadcasts `users` (~12.0 GB")
    assert "over 1 GiB" in msg and "over 25% of the driver's 1g memory (spark.driver.memory, the default)" in msg
    assert "drop the `broadcast()` hint" in msg


def test_spk352_over_a_share_of_driver_memory(spark, data):
    from pyspark.sql import functions as F

    a = data[0]
    side = spark.range(20_000_000).withColumn("k", F.col("id") % 10)  # ~240 MB
    plan = capture(a.join(F.broadcast(side), "k"), "joined")
    found = check("SPK352", plan, conf={"spark.driver.memory": "512m"})
    assert len(found) == 1 and "over 25% of the driver's 512m memory (spark.driver.memory)" in found[0].message
    assert "over 1 GiB" not in found[0].message
    assert check("SPK352", plan, conf={"spark.driver.memory": "4g"}) == []


def test_spk352_good_cases(spark, data):
    from pyspark.sql import functions as F

    a, b = data[:2]
    unknown = spark.createDataFrame([(1, "x")], ["k", "name"])  # Spark knows no size: nothing to say
    assert check("SPK352", capture(a.join(b, "k"), "small")) == []
    assert check("SPK352", capture(a.join(F.broadcast(unknown), "k"), "unknown size")) == []
    narrowed = unknown.select("k")  # Spark scales its "no statistics" 8 EiB by the columns kept: still unknown
    assert check("SPK352", capture(a.join(F.broadcast(narrowed), "k"), "unknown size")) == []


# -------------------------------------------------------------------------------------- SPK450 python-udf-in-plan
CELL_405 = textwrap.dedent('''\
    from pyspark.sql import functions as F

    @F.udf("string")
    def upper_udf(s):
        return s.upper() if s is not None else None

    people = df.withColumn("name_uc", upper_udf("name"))
''')


def test_spk450_udf_with_a_builtin_named_by_the_static_check(spark):
    from pyspark.sql import functions as F

    from sparkcoach.engine.lint import lint_cell

    static_findings = lint_cell(CELL_405)
    assert [f.code for f in static_findings] == ["SPK405"]

    @F.udf("string")
    def upper_udf(s):
        return s.upper() if s is not None else None

    df = spark.createDataFrame([("ann",), ("bob",)], ["name"])
    found = check("SPK450", capture(df.withColumn("name_uc", upper_udf("name")), "people", 7),
                  static=static_findings)
    assert lines(found) == [("SPK450", 7)]
    msg = found[0].message
    assert msg.startswith("`people` runs the Python UDF `upper_udf`")
    assert 'it is `F.upper`: use `F.upper("name")`' in msg


def test_spk450_row_at_a_time_udf(spark):
    from pyspark.sql import functions as F

    def shout(s):
        return s + "!"

    df = spark.createDataFrame([("ann",)], ["name"])
    found = check("SPK450", capture(df.withColumn("x", F.udf(shout, "string", useArrow=False)("name")), "loud"))
    assert len(found) == 1
    assert "the Python UDF `shout` row by row (pickled, `BatchEvalPython`)" in found[0].message
    assert "useArrow=True" in found[0].message


def test_spk450_good_cases(spark):
    from pyspark.sql import functions as F

    def shout(s):
        return s + "!"

    df = spark.createDataFrame([("ann",)], ["name"])
    assert check("SPK450", capture(df.withColumn("x", F.upper("name")), "builtin")) == []
    arrow = df.withColumn("x", F.udf(shout, "string", useArrow=True)("name"))
    assert check("SPK450", capture(arrow, "arrow, no built-in known")) == []


# --------------------------------------------------------------------------------------- SPK550 row-format-scan
def test_spk550_csv_and_json_feeding_work(spark, files):
    sales = spark.read.csv(str(files / "sales.csv"), header=True)
    found = check("SPK550", capture(sales, "sales", 1), capture(sales.groupBy("k").count(), "by_k", 2))
    assert lines(found) == [("SPK550", 2)]
    msg = found[0].message
    assert msg.startswith("`by_k` parses CSV from file:")
    assert re.search(r"sales\.csv \(~[\d.]+ KB in the columns it reads\) for an aggregation", msg)
    assert 'write.parquet("file:' in msg and 'sales.parquet")' in msg
    events = spark.read.json(str(files / "sales.json"))
    found = check("SPK550", capture(events.join(sales, "k"), "joined"))
    assert {f.message.split(" from ")[0] for f in found} == {"`joined` parses JSON", "`joined` parses CSV"}


def test_spk550_parquet_filter_on_a_wrapped_column(spark, files):
    from pyspark.sql import functions as F

    pq = spark.read.parquet(str(files / "sales.parquet"))
    found = check("SPK550", capture(pq.filter(F.col("k") + 1 == 3), "f", 2))
    assert lines(found) == [("SPK550", 2)]
    assert "filters `(k + 1) = 3`, which wraps `k` in an expression" in found[0].message
    assert "write it as `k = 2`" in found[0].message
    found = check("SPK550", capture(pq.filter(F.year("day") == 2024), "recent"))
    assert len(found) == 1 and "`day >= '2024-01-01' AND day < '2025-01-01'`" in found[0].message


def test_spk550_good_cases(spark, files):
    from pyspark.sql import functions as F

    sales = spark.read.csv(str(files / "sales.csv"), header=True)
    pq = spark.read.parquet(str(files / "sales.parquet"))
    good = {
        "csv loaded": sales,
        "csv filtered and projected (a conversion)": sales.filter("k = '3'").select("id", "v"),
        "parquet aggregation": pq.groupBy("k").count(),
        "parquet bare filter": pq.filter(F.col("k") == 3),
        "parquet range filter": pq.filter((F.col("day") >= "2024-01-01") & (F.col("day") < "2025-01-01")),
        "two columns compared": pq.filter(F.col("k") < F.col("v")),
        "no bare-column rewrite": pq.filter(F.upper(F.col("k").cast("string")) == "3"),
    }
    for name, df in good.items():
        assert check("SPK550", capture(df, "df")) == [], name


def test_spk550_explain_path(spark, files):
    from pyspark.sql import functions as F

    pq = spark.read.parquet(str(files / "sales.parquet"))
    found = check("SPK550", capture_explain(pq.filter(F.col("k") + 1 == 3), "f", 2))
    assert lines(found) == [("SPK550", 2)] and "write it as `k = 2`" in found[0].message


# ------------------------------------------------------------------------------------- both capture paths agree
def test_jvm_and_explain_paths_give_the_same_findings(spark, data, files):
    """Spark Connect sessions give plans as explain text: the rules read both shapes alike."""
    from pyspark.sql import Window, functions as F

    a, b, mid, big = data
    pq = spark.read.parquet(str(files / "sales.parquet"))
    cases = [
        ("SPK250", lambda: a.repartition(8).groupBy("k").agg(F.sum("v")), {}),
        ("SPK251", lambda: a.orderBy("v").groupBy("k").agg(F.collect_list("v")),
         {"spark.sql.optimizer.excludedRules": KEEP_SORTS}),
        ("SPK252", lambda: big.withColumn("r", F.row_number().over(Window.orderBy("id"))), {}),
        ("SPK350", lambda: big.join(mid, "k"), {}),
        ("SPK351", lambda: a.join(b, (a.k == b.k) | (a.id == b.id)), {"spark.sql.autoBroadcastJoinThreshold": "-1"}),
        ("SPK352", lambda: a.join(F.broadcast(spark.range(10**9).withColumn("k", F.col("id") % 10)), "k"), {}),
        ("SPK450", lambda: a.withColumn("s", F.udf(lambda x: str(x), "string", useArrow=False)("v")), {}),
        ("SPK550", lambda: pq.filter(F.col("k") + 1 == 3), {}),
    ]
    for code, make, settings in cases:
        with conf(spark, **{k.replace(".", "__"): v for k, v in settings.items()}):
            df = make()
            jvm, explained = capture(df, "df", 2), capture_explain(df, "df", 2)
            cfg = session_conf(spark)
        assert explained.source == "explain"
        by_jvm = [sized(f.message) for f in check(code, jvm, conf=cfg)]
        by_text = [sized(f.message) for f in check(code, explained, conf=cfg)]
        assert by_jvm and by_jvm == by_text, code


def sized(message: str) -> str:
    """A message with its size figures as ``~<size>``: the JVM path sizes every node (SPK252 names what the
    exchange moves), explain text only the root and join sides (SPK252 falls back to the window's output)."""
    return re.sub(r"~[\d.]+ [KMGTPE]?B\b", "~<size>", message)


def test_rules_survive_sparse_nodes():
    """Plans from other Spark versions may lack arguments or sections: the rules stay silent, never raise."""
    from sparkcoach.capture.model import CapturedLineage, PlanNode, RddNode

    ops = ["Exchange", "Sort", "Coalesce", "SortMergeJoin", "ShuffledHashJoin", "BroadcastNestedLoopJoin",
           "CartesianProduct", "BroadcastExchange", "BatchEvalPython", "ArrowEvalPython", "FileScan", "BatchScan",
           "HashAggregate", "Window", "Filter"]
    leaf = PlanNode("LocalTableScan")
    trees = [PlanNode(o) for o in ops]
    trees += [PlanNode(o, children=(PlanNode(p, children=(leaf,)), leaf)) for o in ops for p in ops]
    trees += [PlanNode(o, "(", children=(PlanNode(p, "[", size=2**70, children=(leaf,)),)) for o in ops for p in ops]
    plans = [CapturedPlan("df", None, t, "explain") for t in trees]
    lin = CapturedLineage("r", None, (RddNode("PairwiseRDD", 1, "groupByKey at", None, 0, None, None),
                                      RddNode("PairwiseRDD", 2, "groupByKey at x.py:x", None, 1, 3, "x.py")))
    for code in PLAN_CODES:
        assert check(code, *plans, lineages=[lin], conf={"spark.driver.memory": "lots"}) == [], code
