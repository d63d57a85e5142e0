"""Job capture on the real local session: tagging, the user's job group, figures from the REST API,
the status store and the status tracker, and the failure paths (no session, UI unreachable or hanging)."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request

import pytest

from sparkcoach.capture.jobs import (DESCRIPTION, GROUP_ID, INTERRUPT, NOTE_NO_FIGURES, SOURCE_REST, SOURCE_STORE,
                                     SOURCE_TRACKER, JobCapture)
from sparkcoach.capture.model import JobMetrics, StageMetrics
from helpers import spark_conf  # noqa: E402


def total_jobs(sc) -> int:
    """Jobs the scheduler has ever been asked to run (moves the moment a job is submitted)."""
    return sc._jsc.sc().dagScheduler().numTotalJobs()


def shuffle_job(spark):
    """A small aggregation: one shuffle, so a map stage and a result stage."""
    return spark.range(0, 2000, 1, 2).selectExpr("id % 5 AS k").groupBy("k").count().collect()


def sql_conf(spark, keys: dict):
    """Runtime SQL settings for one test, restored afterwards."""
    return spark_conf(spark, keys)


def spill_job(spark):
    """A window over whole partitions whose row buffer is forced to spill after 1000 rows
    (runtime SQL settings: nothing else changes for the shared session)."""
    with sql_conf(spark, {"spark.sql.windowExec.buffer.in.memory.threshold": "1000",
                          "spark.sql.windowExec.buffer.spill.threshold": "1000"}):
        spark.sql("SELECT k, sum(id) OVER (PARTITION BY k) AS s FROM (SELECT id, id % 3 AS k FROM range(6000))"
                  ).write.format("noop").mode("overwrite").save()


def run_cell(spark, cell, capture=None):
    capture = capture or JobCapture()
    capture.start(spark)
    try:
        cell(spark)
    finally:
        result = capture.stop()
    return result


def ran_stages(jobs):
    return [s for j in jobs for s in j.stages]


@pytest.fixture(scope="module")
def ui(spark):
    url = spark.sparkContext.uiWebUrl
    if not url:
        pytest.skip("the shared session runs without the Spark UI (spark.ui.enabled=false)")
    # The server sets its REST API up on the first request, which can take seconds on a busy machine
    # (the capture warms it up in the background and falls back to the status store meanwhile).
    urllib.request.urlopen(f"{url}/api/v1/version", timeout=120).read()
    return url


@pytest.fixture(autouse=True)
def no_group_left(spark):
    """Each test starts and ends with no job group on the test thread."""
    sc = spark.sparkContext
    yield
    for key in (GROUP_ID, DESCRIPTION, INTERRUPT):
        sc.setLocalProperty(key, None)


def test_only_the_cells_jobs_are_reported(spark, ui):
    sc = spark.sparkContext
    sc.setJobGroup("before-the-cell", "not the cell's")
    shuffle_job(spark)
    before = set(sc.statusTracker().getJobIdsForGroup("before-the-cell"))
    sc.setLocalProperty(GROUP_ID, None)
    sc.setLocalProperty(DESCRIPTION, None)
    sc.setLocalProperty(INTERRUPT, None)

    capture = JobCapture(timeout=10, budget=60, prefer_store=False)  # the REST path is under test, not the machine's speed
    jobs, sources, notes = run_cell(spark, shuffle_job, capture)

    assert jobs and all(isinstance(j, JobMetrics) for j in jobs)
    assert not before & {j.job_id for j in jobs}
    assert min(j.job_id for j in jobs) > max(before)
    assert all(j.status == "SUCCEEDED" for j in jobs)
    assert sources == (SOURCE_REST,), (sources, notes, capture.rest_failure)
    assert notes == ()
    stages = ran_stages(jobs)
    # AQE runs the map stage as its own job; the result job lists it again as skipped: reported once
    assert len({s.stage_id for s in stages}) == len(stages) == 2
    map_stage, result_stage = stages
    assert map_stage.shuffle_write_bytes > 0 and result_stage.shuffle_read_bytes > 0
    for s in stages:
        assert isinstance(s, StageMetrics) and s.tasks >= 1
        assert s.task_max_s is not None and s.task_median_s is not None and s.task_max_s >= s.task_median_s
        assert s.duration_s is not None and s.duration_s >= 0
        assert s.memory_spilled_bytes == 0 and s.disk_spilled_bytes == 0
    assert all(j.duration_s is not None for j in jobs)


def test_the_users_job_group_is_restored(spark):
    sc = spark.sparkContext
    sc.setJobGroup("users-group", "the user's description", interruptOnCancel=True)
    jobs, _, notes = run_cell(spark, shuffle_job)
    assert jobs and notes == ()
    assert sc.getLocalProperty(GROUP_ID) == "users-group"
    assert sc.getLocalProperty(DESCRIPTION) == "the user's description"
    assert sc.getLocalProperty(INTERRUPT) == "true"
    # the cell's jobs were not in the user's group; the next ones are again
    assert not set(sc.statusTracker().getJobIdsForGroup("users-group")) & {j.job_id for j in jobs}


def test_no_group_is_left_behind(spark):
    sc = spark.sparkContext
    capture = JobCapture()
    capture.start(spark)
    assert sc.getLocalProperty(GROUP_ID) == capture.tag
    capture.stop()
    assert sc.getLocalProperty(GROUP_ID) is None
    assert sc.getLocalProperty(DESCRIPTION) is None


def test_starting_twice_still_restores_the_users_group(spark):
    sc = spark.sparkContext
    sc.setJobGroup("users-group", "mine")
    capture = JobCapture()
    capture.start(spark)
    capture.start(spark)
    capture.stop()
    assert sc.getLocalProperty(GROUP_ID) == "users-group"


def test_a_cell_that_sets_its_own_group_keeps_it(spark):
    sc = spark.sparkContext

    def cell(spark):
        shuffle_job(spark)
        spark.sparkContext.setJobGroup("set-in-the-cell", "mine")

    jobs, _, notes = run_cell(spark, cell)
    assert jobs  # the jobs before the cell changed the group are still captured
    assert sc.getLocalProperty(GROUP_ID) == "set-in-the-cell"
    assert any("set its own job group" in n for n in notes)


def test_start_and_stop_run_no_job(spark):
    sc = spark.sparkContext
    shuffle_job(spark)  # earlier work: nothing of it is reported
    n = total_jobs(sc)
    for capture in (JobCapture(), JobCapture(rest=False), JobCapture(rest=False, store=False)):
        capture.start(spark)
        assert capture.stop() == ((), (), ())
    assert total_jobs(sc) == n


def test_status_store_gives_the_figures_without_the_rest_api(spark):
    jobs, sources, notes = run_cell(spark, shuffle_job, JobCapture(rest=False))
    assert sources == (SOURCE_STORE,) and notes == ()
    stages = ran_stages(jobs)
    assert len(stages) == 2
    assert all(s.task_max_s is not None and s.duration_s is not None for s in stages)
    assert stages[0].shuffle_write_bytes > 0 and stages[1].shuffle_read_bytes > 0


def test_status_tracker_alone_gives_fewer_figures_and_says_so(spark):
    jobs, sources, notes = run_cell(spark, shuffle_job, JobCapture(rest=False, store=False))
    assert sources == (SOURCE_TRACKER,)
    assert len(notes) == 1 and notes[0].startswith(NOTE_NO_FIGURES)
    stages = ran_stages(jobs)
    assert len(stages) == 2 and all(s.tasks >= 1 and s.name for s in stages)
    assert all(s.task_max_s is None and s.shuffle_read_bytes is None and s.memory_spilled_bytes is None
               for s in stages)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_ui_becomes_a_note(spark):
    url = f"http://127.0.0.1:{closed_port()}"
    jobs, sources, notes = run_cell(spark, shuffle_job, JobCapture(url, store=False))
    assert jobs and sources == (SOURCE_TRACKER,)
    assert len(notes) == 1 and notes[0].startswith(NOTE_NO_FIGURES) and "REST API" in notes[0]


def test_unreachable_ui_falls_back_to_the_status_store(spark):
    url = f"http://127.0.0.1:{closed_port()}"
    jobs, sources, notes = run_cell(spark, shuffle_job, JobCapture(url, prefer_store=False))
    assert sources == (SOURCE_STORE,) and notes == ()
    assert all(s.task_max_s is not None for s in ran_stages(jobs))


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers: every request times out."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held, stop = [], threading.Event()

    def accept():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    srv.close()


def test_hanging_ui_times_out_within_the_budget(spark, silent_server):
    capture = JobCapture(silent_server, timeout=0.3, budget=0.6, store=False)
    capture.start(spark)
    shuffle_job(spark)
    t0 = time.monotonic()
    jobs, sources, notes = capture.stop()
    assert time.monotonic() - t0 < 3  # one call timed out (0.3 s), then no more: the API is given up
    assert jobs and sources == (SOURCE_TRACKER,)
    assert len(notes) == 1 and "timed out" in notes[0]


def test_spill_shows_in_the_captured_metrics(spark, ui):
    jobs, sources, _ = run_cell(spark, spill_job, JobCapture(timeout=10, budget=60, prefer_store=False))
    assert SOURCE_REST in sources
    spilled = [s for s in ran_stages(jobs) if s.memory_spilled_bytes]
    assert spilled and spilled[0].disk_spilled_bytes > 0
    # the runtime settings were restored: the same query no longer spills
    jobs, _, _ = run_cell(spark, lambda s: s.sql(
        "SELECT k, sum(id) OVER (PARTITION BY k) AS s FROM (SELECT id, id % 3 AS k FROM range(6000))"
    ).write.format("noop").mode("overwrite").save(), JobCapture(rest=False))
    assert not any(s.memory_spilled_bytes or s.disk_spilled_bytes for s in ran_stages(jobs))


def test_no_session_or_not_a_session_never_raises():
    capture = JobCapture()
    capture.start(None)
    assert capture.stop() == ((), (), ())
    assert JobCapture().stop() == ((), (), ("job capture was not started",))
    capture = JobCapture()
    capture.start(object())
    jobs, sources, notes = capture.stop()
    assert jobs == () and sources == () and len(notes) == 1 and notes[0].startswith("jobs not tagged")


def test_a_stopped_context_never_raises(spark):
    """A stopped session's context has no JVM handle (``sc._jsc is None``): the shared session
    cannot be stopped here, so a context object in that state stands in for it."""
    from pyspark import SparkContext

    stopped = SparkContext.__new__(SparkContext)
    stopped._jsc = None
    capture = JobCapture()
    capture.start(stopped)
    assert capture.stop() == ((), (), ("the Spark session is stopped: jobs not captured",))


def test_many_jobs_are_capped(spark):
    def cell(spark):
        for n in range(3):
            spark.range(0, 2, 1, 1).write.format("noop").mode("overwrite").save()

    jobs, _, notes = run_cell(spark, cell, JobCapture(rest=False, max_jobs=2))
    assert len(jobs) == 2 and jobs[0].job_id < jobs[1].job_id
    assert notes == ("the cell ran 3 jobs: figures for the last 2 only",)


def test_importing_the_capture_starts_nothing():
    import subprocess
    import sys

    code = ("import sys, sparkcoach.capture.jobs, sparkcoach.rules.plan.task_skew, sparkcoach.rules.plan.spill, "
            "sparkcoach.rules.plan.tiny_tasks; print('pyspark' in sys.modules, 'py4j' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


try:  # the real Spark Connect server fixtures (tests/servers.py)
    from servers import connect_server, connect_session  # noqa: F401
except ImportError:  # pragma: no cover
    connect_session = None


@pytest.mark.skipif(connect_session is None, reason="tests/servers.py (Spark Connect fixtures) not available")
def test_connect_session_is_tagged_and_its_jobs_found_by_the_tag(connect_session):
    capture = JobCapture(timeout=10, budget=60, prefer_store=False)
    capture.start(connect_session)
    assert capture.tag in connect_session.getTags()
    assert connect_session.sql("SELECT id % 3 AS k, count(*) AS n FROM range(100) GROUP BY 1").count() == 3
    jobs, sources, notes = capture.stop()
    assert capture.tag not in connect_session.getTags()
    if connect_session.conf.get("spark.ui.enabled", "true") == "true":  # a local server with its UI: found by tag
        assert jobs and sources == (SOURCE_REST,) and notes == (), (notes, capture.rest_failure)
        assert all(s.task_max_s is not None and "\n" not in s.name for s in ran_stages(jobs))
    else:  # the UI is off: the client has no way to list jobs, and says so
        assert jobs == () and sources == ()
        assert len(notes) == 1 and notes[0].startswith("Spark Connect: the client cannot list the cell's jobs")
    # with a Spark UI address that does not answer: a note, no exception
    capture = JobCapture(f"http://127.0.0.1:{closed_port()}")
    capture.start(connect_session)
    jobs, sources, notes = capture.stop()
    assert jobs == () and len(notes) == 1 and notes[0].startswith("Spark UI not reachable")


def test_the_status_store_is_preferred_when_in_process(spark):
    """Classic sessions read the driver's own store first: full figures, no HTTP round trips."""
    jobs, sources, notes = run_cell(spark, shuffle_job, JobCapture())
    assert sources == (SOURCE_STORE,), (sources, notes)
    assert jobs and any(s.shuffle_write_bytes for j in jobs for s in j.stages)


# ---------------------------------------------------------------------- SQL queries (the Spark UI's SQL tab)


def two_queries_and_an_rdd_job(spark):
    """Two DataFrame actions (two SQL queries; the aggregation runs two jobs under AQE) and one RDD job."""
    shuffle_job(spark)
    spark.range(0, 100, 1, 2).selectExpr("id * 2 AS x").count()
    spark.sparkContext.parallelize(range(10), 2).map(lambda x: x + 1).sum()


@pytest.mark.parametrize("source", ["status store", "REST API"])
def test_the_cells_sql_queries_are_captured(spark, source, request):
    if source == "REST API":
        request.getfixturevalue("ui")
        capture = JobCapture(timeout=10, budget=60, store=False)  # the REST path is under test
    else:
        capture = JobCapture(rest=False)
    for _ in range(2 if source == "REST API" else 1):  # a second read of the REST list starts where one ended
        jobs, sources, notes = run_cell(spark, two_queries_and_an_rdd_job, capture)
        assert sources == (source,) and notes == (), (sources, notes, capture.rest_failure)
        queries = capture.queries
        assert len(queries) == 2, queries
        first, second = queries
        assert first.execution_id < second.execution_id
        assert first.description.startswith("collect at ") and second.description.startswith("count at ")
        assert all(q.status == "COMPLETED" and q.duration_s is not None and q.duration_s >= 0 for q in queries)
        cell_jobs = {j.job_id for j in jobs}
        assert len(first.job_ids) >= 1 and set(first.job_ids) | set(second.job_ids) < cell_jobs
        rdd_job = cell_jobs - set(first.job_ids) - set(second.job_ids)
        assert len(rdd_job) == 1 and max(rdd_job) == max(cell_jobs)  # the RDD job belongs to no query


def test_an_rdd_only_cell_has_no_sql_query(spark):
    capture = JobCapture(rest=False)
    jobs, _, notes = run_cell(spark, lambda s: s.sparkContext.parallelize(range(10), 2).count(), capture)
    assert jobs and notes == ()
    assert capture.queries == ()


def test_a_failed_query_is_captured_as_failed(spark):
    def cell(spark):
        with pytest.raises(Exception, match="is not true"):
            spark.range(0, 10, 1, 1).selectExpr("assert_true(id < 5)").collect()

    capture = JobCapture(rest=False)
    run_cell(spark, cell, capture)
    assert [q.status for q in capture.queries] == ["FAILED"]
    assert capture.queries[0].description.startswith("collect at ")


def test_reading_the_sql_queries_runs_no_job(spark, ui):
    for capture in (JobCapture(rest=False), JobCapture(store=False, timeout=10, budget=60)):
        capture.start(spark)
        two_queries_and_an_rdd_job(spark)
        n = total_jobs(spark.sparkContext)
        capture.stop()
        assert len(capture.queries) == 2, (capture.queries, capture.rest_failure)
        assert total_jobs(spark.sparkContext) == n
