"""The magics through a real IPython InteractiveShell and a real local SparkSession."""

from __future__ import annotations

import json

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from helpers import spark_conf, run
from sparkcoach.views import bundle
from sparkcoach.views.bundle import MIME
from servers import connect_server, connect_session  # noqa: F401,E402  (fixtures: a real Spark Connect server)

pytestmark = pytest.mark.spark


def payloads(out):
    return [o.data[MIME] for o in out.outputs if MIME in o.data]


def codes(out):
    return sorted({f["code"] for p in payloads(out) for f in p["findings"]})


def _ids(sc):
    """Every job id of this application so far (ids are sequential; the tracker keeps recent ones)."""
    st = sc.statusTracker()
    seen = []
    i = 0
    misses = 0
    while misses < 50:
        if st.getJobInfo(i) is not None:
            seen.append(i)
            misses = 0
        else:
            misses += 1
        i += 1
    return seen


def test_load_prints_one_line_naming_the_spark_it_sees(ip):
    lines = [l for l in ip._load_output.splitlines() if l.strip()]
    assert len(lines) == 1 and "%%sparklint" in lines[0] and "classic local" in lines[0]


def test_cell_runs_exactly_once_with_normal_semantics(ip):
    ip.user_ns["calls"] = 0
    result, out = run(ip, "%%sparklint\ncalls += 1\nanswer = 40 + 2\nanswer")
    assert result.success
    assert ip.user_ns["calls"] == 1 and ip.user_ns["answer"] == 42
    assert result.result == 42  # the last expression is the cell's value (displayed as Out[n])
    assert payloads(out), "the findings view is shown under the cell"


def test_trailing_semicolon_suppresses_the_value(ip):
    result, _ = run(ip, "%%sparklint\nx_semi = 5\nx_semi;")
    assert result.result is None and ip.user_ns["x_semi"] == 5


def test_user_exception_propagates_unchanged_and_static_findings_still_show(ip):
    code = ("%%sparklint\n"
            "pairs = sc.parallelize([('a', 1), ('b', 2)])\n"
            "counts = pairs.groupByKey().mapValues(sum)\n"
            "1 / 0\n")
    result, out = run(ip, code)
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert "SPK201" in codes(out)
    assert "counts" in ip.user_ns  # lines before the error ran


def test_syntax_error_is_pythons_own(ip):
    result, out = run(ip, "%%sparklint\ndef broken(:\n    pass\n")
    err = result.error_in_exec or result.error_before_exec
    assert isinstance(err, SyntaxError)
    assert not payloads(out)


def test_no_run_only_lints(ip):
    ip.user_ns.pop("never_defined", None)
    result, out = run(ip, "%%sparklint --no-run\nnever_defined = sc.parallelize([(1, 2)]).groupByKey().mapValues(len)\n")
    assert result.success and "never_defined" not in ip.user_ns
    assert codes(out) == ["SPK201"]
    f = payloads(out)[0]["findings"][0]
    assert f["line"] == 2  # lines count within the cell, the %%sparklint line being line 1
    assert f["rewrite"]["cell"].endswith("mapValues(lambda _: 1).reduceByKey(lambda a, b: a + b)\n")


def test_select_ignore_and_quiet(ip):
    code = "%%sparklint --no-run --ignore SPK201 --quiet\nx = sc.parallelize([(1, 2)]).groupByKey().mapValues(len)\n"
    _, out = run(ip, code)
    assert payloads(out) == []
    result, _ = run(ip, "%%sparklint --select NOPE\nx = 1\n")
    assert not result.success and "unknown rule code" in str(result.error_in_exec)


def test_capture_starts_no_job_of_its_own(ip, spark):
    code = ("people = spark.range(200000).selectExpr('id', 'id % 50 AS state_id')\n"
            "states = spark.createDataFrame([(i, f's{i}') for i in range(50)], ['state_id', 'name'])\n"
            "joined = people.join(states, 'state_id')\n"
            "joined.count()\n")
    before = _ids(spark.sparkContext)
    run(ip, code)
    plain = len(_ids(spark.sparkContext)) - len(before)
    before = _ids(spark.sparkContext)
    result, out = run(ip, "%%sparklint\n" + code)
    with_magic = len(_ids(spark.sparkContext)) - len(before)
    assert result.success and plain >= 1
    assert with_magic == plain
    summary = payloads(out)[0]["summary"]
    assert summary["jobs"] == plain and summary["wall_s"] > 0


def test_plans_of_the_dataframes_the_cell_built_are_shown(ip):
    code = ("%%sparklint\n"
            "people = spark.range(200000).selectExpr('id', 'id % 50 AS state_id')\n"
            "states = spark.createDataFrame([(i, f's{i}') for i in range(50)], ['state_id', 'name'])\n"
            "joined = people.join(states, 'state_id')\n")
    result, out = run(ip, code)
    rep = payloads(out)[0]
    names = [p["name"] for p in rep["plans"]]
    assert "joined" in names
    joined = next(p for p in rep["plans"] if p["name"] == "joined")
    assert joined["line"] == 4
    assert "SPK301" in codes(out)  # the static half: a list-built side with no size estimate


def test_flagged_plan_nodes_are_marked_in_the_report(ip):
    """The operator a plan rule flagged is named by its path in the tree (and its id when known)."""
    code = ("%%sparklint\n"
            "lhs = spark.range(200000).withColumnRenamed('id', 'a')\n"
            "rhs = spark.range(5000).withColumnRenamed('id', 'b')\n"
            "pairs = lhs.join(rhs, (lhs.a < rhs.b) | (lhs.a == rhs.b + 1))\n")
    _, out = run(ip, code)
    rep = payloads(out)[0]
    assert "SPK351" in codes(out)
    plan = next(p for p in rep["plans"] if p["name"] == "pairs")
    assert plan["flagged"], plan
    for entry in plan["flagged"]:
        node = plan["tree"]
        for i in entry["path"]:
            node = node["children"][i]
        assert entry["codes"] == ["SPK351"]
        assert node["operator"] in ("BroadcastNestedLoopJoin", "CartesianProduct")
    text = "".join(o.data.get("text/plain") or "" for o in out.outputs if MIME in o.data)
    assert any("NestedLoopJoin" in l or "CartesianProduct" in l for l in text.splitlines() if "\u25c0 SPK351" in l)


def test_user_namespace_is_not_rebound(ip):
    before = set(ip.user_ns)
    run(ip, "%%sparklint\nmine = 1\n")
    added = set(ip.user_ns) - before
    assert added <= {"mine", "_", "__", "___", "_i", "_ii", "_iii"} | {k for k in added if k.startswith(("_i", "_"))}


def test_internal_errors_are_one_line_warnings(ip, monkeypatch):
    from sparkcoach import coach

    def boom(*a, **k):
        raise RuntimeError("capture exploded\nsecond line")

    monkeypatch.setattr(coach, "runtime_findings", boom)
    result, out = run(ip, "%%sparklint\nvalue_kept = 7\nvalue_kept\n")
    assert result.success and result.result == 7
    warn = [l for l in out.stderr.splitlines() if l.startswith("sparkcoach:")]
    assert len(warn) == 1 and "capture exploded" in warn[0]


def test_auto_mode_lints_every_cell_and_shows_only_findings(ip):
    run(ip, "%sparkcoach auto on")
    _, clean = run(ip, "clean_value = 1 + 1\n")
    _, noisy = run(ip, "auto_counts = sc.parallelize([('a', 1)]).groupByKey().mapValues(sum)\n")
    run(ip, "%sparkcoach auto off")
    _, after = run(ip, "auto_counts2 = sc.parallelize([('a', 1)]).groupByKey().mapValues(sum)\n")
    assert payloads(clean) == []
    assert codes(noisy) == ["SPK201"]
    assert payloads(after) == []


def test_config_traits(ip):
    run(ip, "%config SparkCoach.ignore = ['SPK201']")
    _, out = run(ip, "%%sparklint --no-run\nx = sc.parallelize([(1, 2)]).groupByKey().mapValues(len)\n")
    run(ip, "%config SparkCoach.ignore = []")
    assert "SPK201" not in codes(out)


def test_runtime_thresholds_are_settings(ip, spark):
    """%config SparkCoach.tiny_task_* reach the runtime rule: 60 short tasks are tiny once the count
    threshold is lowered to 50, and silent with the default (2,000)."""
    cell = ("%%sparklint\n"
            "tiny_rows = spark.range(6000).selectExpr('id % 300 AS k').groupBy('k').count().collect()\n")
    with spark_conf(spark, {"spark.sql.adaptive.enabled": "false", "spark.sql.shuffle.partitions": "60"}):
        _, default = run(ip, cell)
        run(ip, "%config SparkCoach.tiny_task_count = 50")
        run(ip, "%config SparkCoach.tiny_task_median_s = 30.0")
        try:
            _, lowered = run(ip, cell)
        finally:
            run(ip, "%config SparkCoach.tiny_task_count = 2000")
            run(ip, "%config SparkCoach.tiny_task_median_s = 0.1")
    assert "SPK262" not in codes(default)
    assert "SPK262" in codes(lowered)
    # the message quotes the session's own setting as the cell ran (set after start-up), not the builder's
    message = next(f["message"] for p in payloads(lowered) for f in p["findings"] if f["code"] == "SPK262")
    assert "(now 60)" in message, message


def test_rules_and_resources_commands(ip):
    _, out = run(ip, "%sparkcoach rules")
    assert "SPK201" in out.stdout and "SPK350" in out.stdout
    _, out = run(ip, "%sparkcoach resources --node-cores 16 --node-memory 64g --nodes 6")
    assert "--num-executors" in out.stdout and "--executor-cores" in out.stdout
    # the test session is local: the comparison says executor settings do nothing there
    assert "spark.master is local[2]: executor settings have no effect in local mode" in out.stdout, out.stdout
    result, _ = run(ip, "%sparkcoach resources --node-cores x")
    assert not result.success


def test_explain_analyses_without_running_a_job(ip, spark):
    prep, _ = run(ip, "left_e = spark.range(1000)\nright_e = spark.range(10).withColumnRenamed('id', 'k')\n"
                      "exp_df = left_e.join(right_e, left_e.id > right_e.k)")
    assert prep.success
    before = _ids(spark.sparkContext)
    result, out = run(ip, "%sparkcoach explain exp_df")
    assert result.success and _ids(spark.sparkContext) == before
    assert payloads(out) and payloads(out)[0]["plans"]


def test_payload_is_valid_json(ip):
    _, out = run(ip, "%%sparklint --no-run\nx = sc.parallelize([(1, 2)]).groupByKey().mapValues(len)\n")
    json.dumps(payloads(out)[0])


def test_under_spark_connect(ip, connect_session):
    """The same magic against a real Spark Connect server: plans from explain text, jobs by tag."""
    classic = ip.user_ns["spark"]
    ip.user_ns["spark"] = connect_session
    try:
        code = ("%%sparklint\n"
                "orders = spark.range(100000).selectExpr('id', 'id % 20 AS k')\n"
                "keys = spark.sql('SELECT id AS k, id * 2 AS v FROM range(20)')\n"
                "totals = orders.join(keys, 'k').groupBy('v').count()\n"
                "n = totals.count()\n"
                "n\n")
        result, out = run(ip, code)
    finally:
        ip.user_ns["spark"] = classic
    assert result.success and result.result == 20
    rep = payloads(out)[0]
    assert rep["summary"]["spark"] == "connect"
    assert [p["name"] for p in rep["plans"]] == ["totals"]
    assert rep["plans"][0]["source"] == "explain" and rep["plans"][0]["line"] == 4


def test_a_stopped_session_still_shows_static_findings(ip):
    class Stopped:  # a SparkSession whose context is gone, as after spark.stop()
        pass

    from pyspark.sql import SparkSession

    stopped = SparkSession.__new__(SparkSession)
    stopped._sc = type("SC", (), {"_jsc": None})()
    classic = ip.user_ns["spark"]
    ip.user_ns["spark"] = stopped
    try:
        result, out = run(ip, "%%sparklint\nx_stopped = sc.parallelize([(1, 2)]).groupByKey().mapValues(len)\n")
    finally:
        ip.user_ns["spark"] = classic
    assert result.success
    assert codes(out) == ["SPK201"]


def test_sql_queries_are_counted_in_the_summary(ip, spark):
    code = ("%%sparklint\n"
            "spark.range(0, 2000, 1, 2).selectExpr('id % 5 AS k').groupBy('k').count().collect()\n"
            "spark.range(100).count()\n"
            "sc.parallelize(range(10), 2).sum()\n")
    before = _ids(spark.sparkContext)
    result, out = run(ip, code)
    assert result.success
    rep = payloads(out)[0]
    assert rep["summary"]["queries"] == 2 and rep["summary"]["jobs"] == len(_ids(spark.sparkContext)) - len(before)
    bundle.validate(rep)  # the schema knows the field (it allows no other)
    text = next(o.data["text/plain"] for o in out.outputs if MIME in o.data)
    assert " \u00b7 2 SQL queries \u00b7 " in text.splitlines()[0]
    _, out = run(ip, "%%sparklint\nsc.parallelize(range(10), 2).sum()\n")
    rep = payloads(out)[0]
    assert rep["summary"]["queries"] == 0 and rep["summary"]["jobs"] == 1
    assert "SQL quer" not in next(o.data["text/plain"] for o in out.outputs if MIME in o.data)


# A Spark Connect server of its own (Spark UI on), in a fresh process with a deadline: a client stuck
# in pyspark's retry loop must fail the test, not hang the suite. The story, cell by cell:
# `SparkCoach.spark_ui` pointing at a UI that never answers, then at the server's UI, then a cell
# during which the server is killed (SIGKILL) before a `count()`.
CONNECT_STORY = r"""
import faulthandler, json, os, re, signal, socket, tempfile, time
from contextlib import contextmanager

from servers import free_ports, pid_alive, port_open, start_connect_server

ui_port = free_ports(1)[0]
server = start_connect_server(tempfile.mkdtemp(prefix="sparkcoach-dying-"),
                              conf={"spark.ui.enabled": "true", "spark.ui.port": str(ui_port)})
started = re.findall(r"service 'SparkUI' on port (\d+)", server.log.read_text(errors="replace"))
ui_port = int(started[-1]) if started else ui_port  # Spark takes the next port when that one was taken
out = {}
try:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from pyspark.sql import SparkSession
    from pyspark.sql.connect.client.retries import DefaultPolicy

    spark = SparkSession.builder.remote(server.url).getOrCreate()
    ip = InteractiveShell.instance()
    ip.user_ns["spark"] = spark
    ip.run_cell("%load_ext sparkcoach")

    def run(code):
        t0 = time.monotonic()
        with capture_output() as shown:
            result = ip.run_cell(code, store_history=True)
        reports = [o.data[MIME] for o in shown.outputs if MIME in o.data]
        return result, (reports[0] if reports else None), time.monotonic() - t0

    MIME = "application/vnd.sparkcoach.findings+json"
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # takes connections and never answers
    cell = "%%sparklint\nn = spark.range(1000).selectExpr('id % 7 AS k').groupBy('k').count().count()\nn\n"
    for name, url, timeout in (("silent", f"http://127.0.0.1:{silent.getsockname()[1]}", 0.5),
                               ("right", f"http://127.0.0.1:{ui_port}", 10)):
        ip.run_cell(f"%config SparkCoach.spark_ui = {url!r}")
        ip.run_cell(f"%config SparkCoach.ui_timeout = {timeout}")
        result, report, seconds = run(cell)
        out[name] = {"value": result.result, "after_s": seconds - report["summary"]["wall_s"],
                     "summary": report["summary"]}

    seen = {}

    @contextmanager
    def server_killed(session):
        # Kills the server; in the block the client gives up after one retry (by default it retries for
        # minutes), and its own retry policies are back when the block ends.
        os.kill(server.pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while (pid_alive(server.pid) or port_open(server.port)) and time.monotonic() < deadline:
            time.sleep(0.1)
        saved = session.client.get_retry_policies()
        session.client.set_retry_policies([DefaultPolicy(max_retries=1, initial_backoff=50, max_backoff=100)])
        try:
            yield
        except BaseException as exc:
            seen["error"], seen["at"] = exc, time.monotonic()
            raise
        finally:
            session.client.set_retry_policies(saved)

    ip.user_ns["server_killed"] = server_killed
    faulthandler.dump_traceback_later(120, exit=True)  # a hung cell: its stack on stderr, and no STORY line
    result, report, seconds = run("%%sparklint\n"
                                  "grouped = spark.range(1000).selectExpr('id % 7 AS k').groupBy('k').count()\n"
                                  "with server_killed(spark):\n"
                                  "    n = grouped.count()\n"
                                  "counts = sc.parallelize([('a', 1)]).groupByKey().mapValues(sum)\n")
    out["dying"] = {"seconds": seconds, "after_s": time.monotonic() - seen.get("at", 0),
                    "same_error": result.error_in_exec is not None and result.error_in_exec is seen.get("error"),
                    "error": type(result.error_in_exec).__module__,
                    "codes": sorted({f["code"] for f in report["findings"]}) if report else None,
                    "summary": report and report["summary"]}
finally:
    print("STORY " + json.dumps(out, default=str), flush=True)
    server.stop()
    os._exit(0)  # the client would retry releasing its session on the dead server for minutes
"""


@pytest.fixture(scope="module")
def connect_story():
    import time

    from servers import run_in_subprocess

    t0 = time.monotonic()
    done = run_in_subprocess(CONNECT_STORY, timeout=300)
    line = next((l for l in done.stdout.splitlines() if l.startswith("STORY ")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-3000:]
    story = json.loads(line[len("STORY "):])
    story["total_s"] = time.monotonic() - t0
    return story


def test_spark_ui_setting_finds_the_jobs_under_connect(connect_story):
    silent, right = connect_story["silent"], connect_story["right"]
    assert silent["value"] == right["value"] == 7  # the cell's own result, both times
    # A UI that takes the connection and never answers: one note, bounded by ui_timeout (0.5 s a call).
    assert silent["summary"]["notes"] == ["Spark UI not reachable (TimeoutError: timed out): jobs not captured"]
    assert silent["summary"]["jobs"] == 0 and silent["after_s"] < 8, silent
    # The server's own UI: the cell's jobs, their figures and its one SQL query.
    assert right["summary"]["notes"] == [], right
    assert right["summary"]["jobs"] >= 1 and right["summary"]["sources"] == ["REST API"]
    assert right["summary"]["queries"] == 1 and right["summary"]["tasks"] >= 1


def test_a_connect_server_dying_mid_cell(connect_story):
    dying = connect_story["dying"]
    assert dying["same_error"] and dying["error"].startswith("pyspark."), dying  # the user's error, unchanged
    assert dying["codes"] == ["SPK201"]  # the static findings still show
    assert dying["summary"]["notes"] == [
        "the Spark Connect server went away during the cell: plans and jobs not captured"]
    assert dying["seconds"] < 15 and dying["after_s"] < 8, dying
