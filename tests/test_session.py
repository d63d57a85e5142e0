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
os._exit(0)  # the client would retry releasing its session against the missing server
"""


def test_a_connect_server_that_went_away_does_not_hang():
    """In a fresh process (no classic session to fall back on): bounded, and reported as stopped."""
    from servers import run_in_subprocess

    proc = run_in_subprocess(PROBE, timeout=60)
    out = proc.stdout if isinstance(proc.stdout, str) else proc.stdout.decode()
    line = next(l for l in out.splitlines() if l.startswith("KIND"))
    _, kind, _, seconds = line.split()
    assert kind == "stopped" and float(seconds) < 5


def test_nothing_when_the_namespace_has_no_session(spark):
    # the process has an active classic session (the test fixture); a namespace without one still sees it
    assert find_session({}).kind == "classic local"
