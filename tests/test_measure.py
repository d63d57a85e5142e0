"""Measured rewrites on real local Spark: alternation, copies of the namespace, sinks, caches,
timeouts and interrupts, the result check, and trust in the verdict (A vs A, a slowed variant)."""

from __future__ import annotations

import _thread
import threading
import time

import pytest

from helpers import run
from sparkcoach.measure import model
from sparkcoach.measure.runner import MeasureSettings, measure
from sparkcoach.views.bundle import MIME
from servers import connect_server, connect_session  # noqa: F401,E402  (fixtures: a real Spark Connect server)

pytestmark = pytest.mark.spark

WORDS = "\n".join([
    "pairs = sc.parallelize([(w % 97, 1) for w in range(3000)], 2)",
    "counts = pairs.groupByKey().mapValues(sum)",
    "result = sorted(counts.collect())",
])


def _jobs_of_group_running(sc) -> list[int]:
    return list(sc.statusTracker().getActiveJobsIds())


def payload(out) -> dict:
    found = [o.data[MIME] for o in out.outputs if MIME in o.data]
    assert found, out.stdout + out.stderr
    return found[-1]


# ------------------------------------------------------------------------------ the magic


def test_measure_option_measures_the_rewrite_with_the_same_result(ip):
    before = {k: id(v) for k, v in ip.user_ns.items()}
    result, out = run(ip, "%%sparklint --measure --runs 3\n" + WORDS + "\n")
    assert result.success, result.error_in_exec
    rep = payload(out)
    [m] = [m for m in rep["measurements"] if m["code"] == "SPK201"]
    assert m["status"] == "done" and m["same_result"] is True, m
    original, rewrite = m["variants"]
    assert (original["label"], rewrite["label"]) == ("original", "rewrite")
    assert len(original["times_s"]) >= 3 and len(rewrite["times_s"]) == len(original["times_s"])
    assert original["jobs"] >= 1 and rewrite["jobs"] >= 1
    assert isinstance(m["speedup"], float) and m["verdict"]
    assert "reduceByKey" in m["rewrite"]["cell"]
    # The user's own run bound these once (as the snapshot after it shows); measuring never rebinds them.
    after = ip._sparkcoach_magics._snapshots.get(max(ip._sparkcoach_magics._snapshots._items)).after
    assert all(ip.user_ns[k] is after[k] for k in ("pairs", "counts", "result"))
    for k, v in before.items():
        if k in ip.user_ns and not k.startswith("_") and k not in ("pairs", "counts", "result", "In", "Out"):
            assert id(ip.user_ns[k]) == v, k


def test_measuring_does_not_rebind_the_users_variables(ip):
    result, out = run(ip, "%%sparklint\n" + WORDS + "\n")
    assert result.success
    ids = {k: id(ip.user_ns[k]) for k in ("pairs", "counts", "result")}
    rep = payload(out)
    magics = ip._sparkcoach_magics
    key = max(magics._snapshots._items)
    finding = next(f for f in rep["findings"] if f["code"] == "SPK201")
    m = magics._measure_one(key, finding, MeasureSettings(runs=1))
    assert m["status"] == "done" and m["same_result"] is True
    assert {k: id(ip.user_ns[k]) for k in ids} == ids


def test_bad_options_are_one_line_usage_errors(ip):
    for opts in ("--runs 0", "--sample 2", "--sample 0", "--timeout -1"):
        result, out = run(ip, f"%%sparklint --measure {opts}\nx_bad = 1\n")
        assert not result.success and type(result.error_in_exec).__name__ == "UsageError", opts
        assert ip.user_ns.get("x_bad") is None  # the cell did not run


def test_writes_to_the_users_sink_are_redirected(ip, tmp_path):
    out_path = tmp_path / "out"
    ip.user_ns["out_path"] = str(out_path)
    code = ("%%sparklint --measure --runs 1\n"
            "pairs = sc.parallelize([(w % 7, 1) for w in range(2000)], 2)\n"
            "counts = pairs.groupByKey().mapValues(sum)\n"
            "spark.createDataFrame(counts, ['k', 'n']).write.mode('overwrite').parquet(out_path)\n")
    result, out = run(ip, code)
    assert result.success, result.error_in_exec
    written = sorted((p.name, p.stat().st_mtime_ns) for p in out_path.iterdir())
    rep = payload(out)
    [m] = rep["measurements"]
    assert m["status"] == "done", m
    assert any("no-op sink" in n for n in m["notes"]), m["notes"]
    # The user's run wrote once; the measurement's four runs wrote nothing.
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out_path.iterdir()) == written


# ------------------------------------------------------------------------------ the measuring loop


def _ns(spark):
    return {"spark": spark, "sc": spark.sparkContext, "__builtins__": __builtins__}


def test_runs_alternate_and_caches_are_released(spark):
    code = ("data = sc.parallelize(range(5000), 4).map(lambda x: (x % 10, x)).cache()\n"
            "total = data.values().sum()\n")
    persistent = set(spark.sparkContext._jsc.getPersistentRDDs().keySet())
    m = measure(code, code.replace(".cache()", ".persist()"), _ns(spark), spark, code="SPK000",
                settings=MeasureSettings(runs=2))
    assert m.status == model.DONE and m.same_result is True, m
    assert any("released after every run" in n for n in m.notes), m.notes
    assert set(spark.sparkContext._jsc.getPersistentRDDs().keySet()) == persistent


def test_dataframe_caches_a_run_makes_are_released(spark):
    from pyspark import StorageLevel

    df = spark.range(20000)
    ns = {**_ns(spark), "df": df, "StorageLevel": StorageLevel}
    original = "x = df.persist(StorageLevel.MEMORY_ONLY)\nn = x.count()\n"
    rewrite = "x = df.cache()\nn = x.count()\n"
    m = measure(original, rewrite, ns, spark, code="SPK502", settings=MeasureSettings(runs=1, confirm=False))
    assert m.status == model.DONE and m.same_result is True, m
    assert any("released after every run" in n for n in m.notes), m.notes
    assert not df.storageLevel.useMemory and not df.storageLevel.useDisk  # nothing left cached


def test_a_changed_result_is_never_an_improvement(spark):
    original = "total = sc.parallelize(range(3000), 2).map(lambda x: x * 2).sum()\n"
    rewrite = "total = sc.parallelize(range(2999), 2).map(lambda x: x * 2).sum()\n"
    m = measure(original, rewrite, _ns(spark), spark, code="SPK000", settings=MeasureSettings(runs=1))
    assert m.same_result is False and m.difference
    assert "faster" not in m.verdict and "changes the result" in m.verdict


def test_a_deliberately_slowed_variant_is_detected(spark):
    original = "n = spark.range(20000).selectExpr('id % 7 AS k').groupBy('k').count().collect()\n"
    slowed = "import time\ntime.sleep(1.0)\n" + original
    m = measure(original, slowed, _ns(spark), spark, code="SPK000", settings=MeasureSettings(runs=3))
    assert m.same_result is True
    assert m.verdict.endswith("slower"), (m.verdict, [v.times_s for v in m.variants])
    assert m.speedup is not None and m.speedup < 1


def test_a_against_itself_shows_no_measurable_difference(spark):
    """Trust in the numbers: the same small cell measured against itself, many times."""
    code = "n = sc.parallelize(range(1000), 2).map(lambda x: x % 7).sum()\n"
    trials, same = 40, 0
    verdicts = []
    for _ in range(trials):
        m = measure(code, code, _ns(spark), spark, code="SPK000", settings=MeasureSettings(runs=3))
        assert m.status == model.DONE and m.same_result is True
        verdicts.append(m.verdict)
        same += m.verdict == "no measurable difference"
    assert same >= 0.95 * trials, verdicts


def test_timeout_cancels_the_measurements_jobs_and_leaves_the_session_usable(spark):
    slow = ("import time\n"
            "n = sc.parallelize(range(400), 2).map(lambda x: time.sleep(0.05) or x).count()\n")
    t0 = time.monotonic()
    m = measure(slow, slow, _ns(spark), spark, code="SPK000", settings=MeasureSettings(runs=3, timeout=2.0))
    took = time.monotonic() - t0
    assert m.status == model.TIMEOUT, m
    assert took < 12, took
    assert any("--timeout" in n for n in m.notes)
    deadline = time.monotonic() + 10
    while _jobs_of_group_running(spark.sparkContext) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _jobs_of_group_running(spark.sparkContext)
    assert spark.range(10).count() == 10  # still usable


def test_timeout_stops_python_code_that_runs_no_job(spark):
    t0 = time.monotonic()
    m = measure("import time\ntime.sleep(30)\n", "x = 1\n", _ns(spark), spark, code="SPK000",
                settings=MeasureSettings(runs=1, timeout=1.0))
    assert m.status == model.TIMEOUT
    assert time.monotonic() - t0 < 10
    time.sleep(0.2)  # no stray KeyboardInterrupt arrives afterwards


def test_a_kernel_interrupt_reports_what_was_measured(spark):
    slow = ("import time\n"
            "n = sc.parallelize(range(200), 2).map(lambda x: time.sleep(0.02) or x).count()\n")
    timer = threading.Timer(3.0, _thread.interrupt_main)
    timer.start()
    try:
        m = measure(slow, slow, _ns(spark), spark, code="SPK000", settings=MeasureSettings(runs=20))
    finally:
        timer.cancel()
    assert m.status == model.INTERRUPTED, m
    assert any("interrupted" in n for n in m.notes)
    assert spark.range(5).count() == 5


def test_sample_measures_both_variants_on_the_same_sample(spark):
    big = spark.range(2_000_000).selectExpr("id", "id % 100 AS k")
    ns = {**_ns(spark), "big": big}
    code = "rows = big.groupBy('k').count().collect()\n"
    m = measure(code, code, ns, spark, code="SPK000", settings=MeasureSettings(runs=1, sample=0.01))
    assert m.status == model.DONE and m.same_result is True
    assert any("sample" in n and "`big`" in n for n in m.notes), m.notes
    assert ns["big"] is big


def test_a_refused_side_effect_is_not_measured(spark):
    code = "sc.parallelize(range(10)).foreach(print)\n"
    m = measure(code, code, _ns(spark), spark, code="SPK000")
    assert m.status == model.NOT_MEASURED and m.variants == ()
    assert any("foreach" in n for n in m.notes)


def test_under_spark_connect(connect_session):
    """Tags, the result check and a timeout (interruptTag) against a real Spark Connect server."""
    spark = connect_session
    ns = {"spark": spark, "__builtins__": __builtins__}
    original = "rows = spark.range(3000).selectExpr('id % 9 AS k').orderBy('k').groupBy('k').count().collect()\n"
    rewrite = "rows = spark.range(3000).selectExpr('id % 9 AS k').groupBy('k').count().collect()\n"
    m = measure(original, rewrite, ns, spark, code="SPK202", settings=MeasureSettings(runs=1, confirm=False))
    assert m.status == model.DONE and m.same_result is True, m
    assert all(len(v.times_s) == 1 for v in m.variants)
    changed = measure(original, rewrite.replace("3000", "2999"), ns, spark, code="SPK202",
                      settings=MeasureSettings(runs=1, confirm=False))
    assert changed.same_result is False and "faster" not in changed.verdict
    slow = "n = spark.sql(\"SELECT reflect('java.lang.Thread', 'sleep', 50L) AS s FROM range(0, 400, 1, 2)\").collect()\n"
    t0 = time.monotonic()
    m = measure(slow, slow, ns, spark, code="SPK000", settings=MeasureSettings(runs=3, timeout=2.0))
    assert m.status == model.TIMEOUT and time.monotonic() - t0 < 15, m
    assert spark.range(7).count() == 7  # the session is still usable


def test_connect_figures_come_from_execution_info(connect_session):
    """Without a Spark UI to ask, a Connect run's shuffle bytes come from the plan metrics the server
    returns with each result (DataFrame.executionInfo), and the view says where they came from."""
    spark = connect_session
    ns = {"spark": spark, "__builtins__": __builtins__}
    original = ("rows = spark.range(200000).selectExpr('id % 97 AS k', 'id AS v')"
                ".repartition(8).groupBy('k').count().collect()\n")
    rewrite = "rows = spark.range(200000).selectExpr('id % 97 AS k', 'id AS v').groupBy('k').count().collect()\n"
    m = measure(original, rewrite, ns, spark, code="SPK000", settings=MeasureSettings(runs=1, confirm=False))
    assert m.status == model.DONE and m.same_result is True, m
    by_label = {v.label: v for v in m.variants}
    # repartition(8) shuffles every row (compressed, tens of kB); the rewrite only 97 partial counts a task
    assert by_label["original"].figures.shuffle_write_bytes > 20_000, by_label["original"]
    assert 0 < by_label["rewrite"].figures.shuffle_write_bytes < by_label["original"].figures.shuffle_write_bytes
    assert by_label["original"].figures.jobs is None  # not sent by the server
    assert any("executionInfo" in n for n in m.notes), m.notes
