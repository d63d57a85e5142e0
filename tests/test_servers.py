"""The real-server fixtures work: a Spark Connect server and client, a standalone cluster running a
job from a separate Python process, and both servers gone after teardown, even after a failing test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from servers import (  # noqa: F401  (fixtures are found by name)
    TESTS,
    _wait,
    connect_server,
    connect_session,
    free_ports,
    pid_alive,
    port_open,
    run_in_subprocess,
    server_env,
    standalone_cluster,
)


def test_connect_client_runs_a_query(connect_server, connect_session):
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    assert str(connect_server) == f"sc://127.0.0.1:{connect_server.port}"
    assert port_open(connect_server.port) and pid_alive(connect_server.pids[0])
    assert isinstance(connect_session, ConnectSession)
    assert connect_session.range(10).count() == 10
    assert connect_session.conf.get("spark.sql.shuffle.partitions") == "4"
    print(f"connect server startup: {connect_server.startup_s:.1f} s")


def test_connect_and_classic_sessions_coexist_in_one_process(spark, connect_session):
    import pyspark.sql.connect.functions as CF
    import pyspark.sql.functions as F

    assert spark.range(5).count() == 5
    assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ  # the classic session's API stays classic
    assert spark.range(4).select((F.col("id") + 1).alias("x")).collect()[-1].x == 4
    grouped = connect_session.range(100).groupBy((CF.col("id") % 3).alias("k")).count().orderBy("k")
    assert [r["count"] for r in grouped.collect()] == [34, 33, 33]
    assert connect_session.range(10).filter("id > 6").count() == 3
    # The documented limit: pyspark.sql.functions builds classic columns in this process.
    with pytest.raises(TypeError):
        connect_session.range(3).select(F.col("id") + 1).collect()


def test_connect_in_a_fresh_process_with_the_generic_builder(connect_server):
    done = run_in_subprocess(f"""
        from pyspark.sql import SparkSession, functions as F
        s = SparkSession.builder.remote({str(connect_server)!r}).getOrCreate()
        print(type(s).__module__, s.range(10).select((F.col("id") * 2).alias("x")).agg(F.sum("x")).first()[0])
        s.stop()
    """, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["pyspark.sql.connect.session", "90"]


def test_standalone_job_runs_in_a_subprocess(standalone_cluster):
    t0 = time.monotonic()
    done = run_in_subprocess(f"""
        from pyspark.sql import SparkSession
        s = (SparkSession.builder.master({str(standalone_cluster)!r}).appName("sparkcoach-standalone-probe")
             .config("spark.executor.memory", "512m").config("spark.cores.max", "1")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate())
        s.sparkContext.setLogLevel("ERROR")
        total = s.sparkContext.parallelize(range(10), 2).map(lambda x: x * x).sum()  # a Python worker
        print("MASTER", s.sparkContext.master)
        print("RESULT", total, s.range(100).selectExpr("sum(id) AS t").first().t)
        s.stop()
    """, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"MASTER {standalone_cluster}" in done.stdout
    assert "RESULT 285 4950" in done.stdout
    # The master saw the application run on its worker (not a local fallback).
    import urllib.request

    with urllib.request.urlopen(standalone_cluster.web_url + "/json/", timeout=2) as r:
        state = json.load(r)
    apps = state["completedapps"] + state["activeapps"]
    assert any(a["name"] == "sparkcoach-standalone-probe" for a in apps), apps
    print(f"standalone cluster startup: {standalone_cluster.startup_s:.1f} s; "
          f"subprocess job: {time.monotonic() - t0:.1f} s")


INNER = """
import json, os
from servers import connect_server, connect_session, standalone_cluster  # noqa: F401


def test_uses_both_then_fails(connect_server, standalone_cluster):
    with open(os.environ["SERVERS_INFO"], "w") as f:
        json.dump({"pids": list(connect_server.pids) + list(standalone_cluster.pids),
                   "ports": list(connect_server.ports) + list(standalone_cluster.ports),
                   "startup": [connect_server.startup_s, standalone_cluster.startup_s]}, f)
    assert False, "deliberate failure"
"""


def test_servers_are_gone_after_teardown_even_when_a_test_fails(tmp_path):
    (tmp_path / "test_inner.py").write_text(INNER)
    info = tmp_path / "info.json"
    env = server_env(SERVERS_INFO=str(info), PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent)]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           str(tmp_path / "test_inner.py")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 1 and "deliberate failure" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    data = json.loads(info.read_text())
    assert len(data["pids"]) == 3 and len(data["ports"]) == 4
    assert not [p for p in data["pids"] if pid_alive(p)], "a server process outlived the test session"
    assert not [p for p in data["ports"] if port_open(p)], "a server port is still open after teardown"
    print("inner startups (connect, standalone): " + ", ".join(f"{s:.1f} s" for s in data["startup"]))


def test_free_ports_are_distinct_and_closed():
    ports = free_ports(3)
    assert len(set(ports)) == 3 and not any(port_open(p) for p in ports)


def test_startup_wait_fails_fast_with_the_log_tail(tmp_path):
    log = tmp_path / "server.log"
    p = subprocess.Popen(["sh", "-c", f"echo 'java.net.BindException: Address already in use' >> {log}; exit 3"])
    p.wait()
    with pytest.raises(RuntimeError, match="exited during startup(.|\n)*BindException"):
        _wait(lambda: False, what="probe", timeout=30, logs=[log], alive=lambda: p.poll() is None)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="not ready after"):
        _wait(lambda: False, what="probe", timeout=0.5, logs=[log], alive=lambda: True)
    assert time.monotonic() - t0 < 5


def test_run_in_subprocess_kills_the_process_group_on_timeout(tmp_path):
    pidfile = tmp_path / "child.pid"
    code = f"""
        import subprocess, time
        child = subprocess.Popen(["sleep", "60"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
        print("started", flush=True)
        time.sleep(60)
    """
    with pytest.raises(subprocess.TimeoutExpired) as info:
        run_in_subprocess(code, timeout=3)
    assert "started" in (info.value.output or "")
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(child)
