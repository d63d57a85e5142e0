"""Finding the user's Spark: classic, Connect, stopped, gone — without hanging or starting anything."""

from __future__ import annotations


from sparkcoach.capture.session import find_session


def test_classic_local_session_is_seen(spark):
    info = find_session({"spark": spark})
    assert info.kind == "classic local" and info.live and "local[2]" in info.detail


PROBE = """
import os, socket, time
from pyspark.sql.connect.session import SparkSession as ConnectSession
from sparkcoach.capture.session import find_session
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]  # closed again: nothing listens there
gone = ConnectSession.builder.remote(f"sc://127.0.0.1:{port}").create()
t = time.monotonic()
info = find_session({"spark": gone, "same_again": gone})
print("KIND", info.kind, "SECONDS", round(time.monotonic() - t, 2), flush=True)
# The calls made after a cell, each of which the client would retry for minutes:
from sparkcoach.capture.plan import plan_of
from sparkcoach.capture.session import SparkInfo, session_conf
from sparkcoach.runner import _wait_for

t = time.monotonic()
conf = session_conf(SparkInfo("connect", gone))
print("CONF", len(conf), "SECONDS", round(time.monotonic() - t, 2), flush=True)
t = time.monotonic()
note = _wait_for(lambda: plan_of(gone.range(3), "df"), gone, 15.0)
print("PLAN", round(time.monotonic() - t, 2), note, flush=True)
os._exit(0)  # the client would retry releasing its session against the missing server
"""


def test_a_connect_server_that_went_away_does_not_hang():
    """In a fresh process (no classic session to fall back on): bounded, and reported as stopped;
    the settings and plan reads made after a cell are bounded too."""
    from servers import run_in_subprocess

    proc = run_in_subprocess(PROBE, timeout=60)
    out = proc.stdout if isinstance(proc.stdout, str) else proc.stdout.decode()
    lines = {l.split()[0]: l.split(maxsplit=1)[1] for l in out.splitlines()
             if l.split()[:1] in (["KIND"], ["CONF"], ["PLAN"])}
    assert set(lines) == {"KIND", "CONF", "PLAN"}, out + proc.stderr[-2000:]
    kind, _, seconds = lines["KIND"].split()
    assert kind == "stopped" and float(seconds) < 1.5  # a closed port is seen at once, before any call
    count, _, seconds = lines["CONF"].split()
    assert count == "0" and float(seconds) < 6  # the settings' reads are given up together after 4 s
    seconds, note = lines["PLAN"].split(maxsplit=1)
    assert float(seconds) < 4 and note == "the Spark Connect server went away after the cell: plans not captured"


def test_nothing_when_the_namespace_has_no_session(spark):
    # the process has an active classic session (the test fixture); a namespace without one still sees it
    assert find_session({}).kind == "classic local"
