"""Real Spark servers for tests: a Spark Connect server and a one-worker standalone cluster.

Both are started from the venv's own pyspark package (``SPARK_HOME = dirname(pyspark.__file__)``),
bound to 127.0.0.1 on free ports, lazily (only when a test asks for the fixture), once per test
session, and stopped at the end of the session even when tests fail (plus an ``atexit`` net for
abnormal exits). Startup waits are bounded (``SPARKCOACH_SERVER_TIMEOUT``, default 180 s: a
loaded 2-core machine can take a minute) and a failure quotes the server's log tail.

Use them from a test module by importing the fixtures (pytest finds fixtures by name there)::

    from servers import connect_server, connect_session, standalone_cluster, run_in_subprocess  # noqa: F401

Fixtures:

- ``connect_server``: a Spark Connect server (``sbin/start-connect-server.sh``, local[2], 4 shuffle
  partitions, UI off); the value is the ``sc://127.0.0.1:<port>`` URL (a ``str`` that also carries
  ``.port``, ``.pid``, ``.log``, ``.startup_s``).
- ``connect_session``: a Connect *client* session on it, in this process. It is built with
  ``pyspark.sql.connect.session.SparkSession.builder`` directly: the generic
  ``pyspark.sql.SparkSession.builder.remote(url)`` refuses while the classic ``spark`` fixture's
  context is alive (SESSION_ALREADY_EXIST) and, before it, would set ``SPARK_CONNECT_MODE_ENABLED``
  for the rest of the process, which breaks every later classic session. Both sessions coexist
  (checked with pyspark 4.3), with one limit: ``pyspark.sql.functions`` dispatches on that
  process-wide flag, so in this process it builds *classic* columns, which a Connect DataFrame
  rejects (``TypeError: 'Column' object is not callable``). With the Connect session use SQL
  strings, ``pyspark.sql.connect.functions``, or ``run_in_subprocess`` (a fresh process where
  ``SparkSession.builder.remote(url)`` behaves as in a user's notebook).
- ``standalone_cluster``: a standalone master and one worker (1 core, 1g) as subprocesses; the
  value is the ``spark://127.0.0.1:<port>`` master URL (also ``.web_url``, ``.pids``,
  ``.startup_s``). A classic SparkContext on it must live in another process (this process's
  belongs to the ``spark`` fixture): use ``run_in_subprocess``, and ask for at most 1g per
  executor (``spark.executor.memory=512m`` leaves room) or the app waits for resources forever.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
STARTUP_TIMEOUT = float(os.environ.get("SPARKCOACH_SERVER_TIMEOUT", "180"))
STOP_TIMEOUT = 30.0
CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"

_RUNNING: list = []  # servers started and not yet stopped, for the atexit net


def spark_home() -> str:
    import pyspark

    return os.path.dirname(pyspark.__file__)


def free_ports(n: int = 1) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1 (held open together while picking)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int | None) -> bool:
    """True while the process exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def log_tail(path: Path | str | None, lines: int = 40) -> str:
    if not path:
        return "(no log)"
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError as e:
        return f"(log {path} unreadable: {e})"
    return "\n".join(text[-lines:]) or "(empty log)"


def server_env(**extra: str) -> dict[str, str]:
    """This process's environment for a Spark server or a child Python: SPARK_HOME from the venv's
    pyspark, loopback only, the venv's interpreter for Python workers, no Connect mode leaking in."""
    env = dict(os.environ)
    for key in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE", "SPARK_API_MODE", "MASTER"):
        env.pop(key, None)
    env.update({
        "SPARK_HOME": spark_home(),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_IDENT_STRING": "sparkcoach-tests",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    env.update(extra)
    return env


def _wait(ready, *, what: str, timeout: float, logs: list, alive, start: float | None = None) -> float:
    """Poll ``ready()`` until true, at most ``timeout`` s counted from ``start`` (a time.monotonic(),
    default now); fail early if ``alive()`` turns false. Returns the seconds since ``start``."""
    start = time.monotonic() if start is None else start
    while True:
        if ready():
            return time.monotonic() - start
        if not alive():
            tails = "\n".join(f"--- {p} ---\n{log_tail(p)}" for p in logs)
            raise RuntimeError(f"{what}: the process exited during startup\n{tails}")
        if time.monotonic() - start > timeout:
            tails = "\n".join(f"--- {p} ---\n{log_tail(p)}" for p in logs)
            raise RuntimeError(f"{what}: not ready after {timeout:.0f} s "
                               f"(raise SPARKCOACH_SERVER_TIMEOUT on a slow machine)\n{tails}")
        time.sleep(0.25)


def _wait_gone(pids: list[int], ports: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(pid_alive(p) for p in pids) and not any(port_open(p, timeout=0.2) for p in ports):
            return True
        time.sleep(0.2)
    return False


def _port_race(e: BaseException) -> bool:
    """A startup failure worth one retry on new ports: another process took a port we picked."""
    return isinstance(e, RuntimeError) and ("BindException" in str(e) or "already in use" in str(e))


class ServerURL(str):
    """A server's URL (``sc://...`` or ``spark://...``) that also carries what tests need to check it."""

    port: int
    pids: tuple[int, ...]
    ports: tuple[int, ...]
    log: Path
    logs: tuple[Path, ...]
    startup_s: float
    web_url: str | None
    server: object


# --------------------------------------------------------------------------------------------
# Spark Connect server


class ConnectServer:
    """``sbin/start-connect-server.sh`` with SPARK_LOG_DIR/SPARK_PID_DIR under ``workdir`` (so
    ``sbin/stop-connect-server.sh`` finds its pid file); stopped by that script, then SIGKILL."""

    def __init__(self, workdir: Path, *, conf: dict | None = None, master: str = "local[2]"):
        self.workdir = Path(workdir)
        self.port = free_ports(1)[0]
        self.url = f"sc://127.0.0.1:{self.port}"
        self.conf = {"spark.connect.grpc.binding.address": "127.0.0.1",
                     "spark.connect.grpc.binding.port": str(self.port),
                     "spark.sql.shuffle.partitions": "4",
                     "spark.ui.enabled": "false",
                     **(conf or {})}
        self.master = master
        self.env = server_env(SPARK_LOG_DIR=str(self.workdir / "logs"), SPARK_PID_DIR=str(self.workdir / "pid"))
        self.pid: int | None = None
        self.startup_s: float | None = None
        self.stopped = False

    @property
    def log(self) -> Path | None:
        logs = sorted((self.workdir / "logs").glob(f"spark-*{CONNECT_CLASS}*.out"))
        return logs[-1] if logs else None

    def _read_pid(self) -> int | None:
        for f in (self.workdir / "pid").glob(f"*{CONNECT_CLASS}*.pid"):
            try:
                return int(f.read_text().strip())
            except (OSError, ValueError):
                return None
        return None

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "ConnectServer":
        t0 = time.monotonic()
        args = ["--master", self.master]
        for k, v in self.conf.items():
            args += ["--conf", f"{k}={v}"]
        script = os.path.join(spark_home(), "sbin", "start-connect-server.sh")
        _RUNNING.append(self)
        done = subprocess.run(["bash", script, *args], env=self.env, cwd=self.workdir, capture_output=True,
                              text=True, timeout=min(timeout, 120), start_new_session=True)
        self.pid = self._read_pid()
        if done.returncode != 0 or not self.pid:
            raise RuntimeError(f"start-connect-server.sh failed (exit {done.returncode}):\n{done.stdout}\n"
                               f"{done.stderr}\n{log_tail(self.log)}")
        _wait(lambda: port_open(self.port), what=f"Spark Connect server on {self.url}", timeout=timeout, start=t0,
              logs=[self.log], alive=lambda: pid_alive(self.pid))
        self.startup_s = time.monotonic() - t0
        return self

    def stop(self) -> bool:
        """Stop the server; True when its process is gone and its port closed."""
        if self.stopped:
            return True
        self.stopped = True
        pid = self.pid or self._read_pid()
        try:
            subprocess.run(["bash", os.path.join(spark_home(), "sbin", "stop-connect-server.sh")], env=self.env,
                           cwd=self.workdir, capture_output=True, text=True, timeout=STOP_TIMEOUT)
        except (OSError, subprocess.SubprocessError):
            pass
        gone = _wait_gone([pid] if pid else [], [self.port], STOP_TIMEOUT)
        if not gone and pid and pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            gone = _wait_gone([pid], [self.port], 10)
        if self in _RUNNING:
            _RUNNING.remove(self)
        return gone

    def value(self) -> ServerURL:
        u = ServerURL(self.url)
        u.port, u.pids, u.ports, u.log, u.logs = self.port, (self.pid,), (self.port,), self.log, (self.log,)
        u.startup_s, u.web_url, u.server = self.startup_s, None, self
        return u


def start_connect_server(workdir: Path, *, conf: dict | None = None, timeout: float = STARTUP_TIMEOUT,
                         attempts: int = 2) -> ConnectServer:
    """Start a Connect server (retrying once on a port race); always stopped again on failure."""
    for attempt in range(attempts):
        server = ConnectServer(Path(workdir) / f"attempt{attempt}", conf=conf)
        server.workdir.mkdir(parents=True, exist_ok=True)
        try:
            return server.start(timeout)
        except BaseException as e:
            server.stop()
            if not _port_race(e) or attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------
# Standalone cluster


class StandaloneCluster:
    """``spark-class ...Master`` and one ``spark-class ...Worker`` (``cores`` cores, ``memory``) as
    subprocesses in their own process groups; ready when the master's JSON API counts the worker
    ALIVE. Stopped with SIGTERM, then SIGKILL to each group (the worker's group also holds any
    executor JVM it launched)."""

    def __init__(self, workdir: Path, *, cores: int = 1, memory: str = "1g"):
        self.workdir = Path(workdir)
        self.port, self.web_port, self.worker_web_port = free_ports(3)
        self.master_url = f"spark://127.0.0.1:{self.port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.cores, self.memory = cores, memory
        self.env = server_env(SPARK_LOG_DIR=str(self.workdir / "logs"), SPARK_WORKER_DIR=str(self.workdir / "work"))
        self.master_log = self.workdir / "master.log"
        self.worker_log = self.workdir / "worker.log"
        self.procs: list[subprocess.Popen] = []
        self.startup_s: float | None = None
        self.stopped = False

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:
            p = subprocess.Popen([os.path.join(spark_home(), "bin", "spark-class"), *args], env=self.env,
                                 cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        self.procs.append(p)
        return p

    def alive_workers(self) -> int:
        try:
            with urllib.request.urlopen(self.web_url + "/json/", timeout=2) as r:
                return int(json.load(r).get("aliveworkers", 0))
        except (OSError, ValueError):
            return 0

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "StandaloneCluster":
        t0 = time.monotonic()
        _RUNNING.append(self)
        master = self._spawn(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                              "--port", str(self.port), "--webui-port", str(self.web_port)], self.master_log)
        _wait(lambda: port_open(self.port) and port_open(self.web_port), what=f"standalone master {self.master_url}",
              timeout=timeout, start=t0, logs=[self.master_log], alive=lambda: master.poll() is None)
        worker = self._spawn(["org.apache.spark.deploy.worker.Worker", self.master_url, "--host", "127.0.0.1",
                              "--cores", str(self.cores), "--memory", self.memory,
                              "--webui-port", str(self.worker_web_port), "--work-dir", str(self.workdir / "work")],
                             self.worker_log)
        _wait(lambda: self.alive_workers() >= 1, what=f"standalone worker registering with {self.master_url}",
              timeout=timeout, start=t0, logs=[self.master_log, self.worker_log],
              alive=lambda: master.poll() is None and worker.poll() is None)
        self.startup_s = time.monotonic() - t0
        return self

    def stop(self) -> bool:
        """Stop worker then master; True when every process is gone and the ports are closed."""
        if self.stopped:
            return True
        self.stopped = True
        for p in reversed(self.procs):  # worker first: it kills its executors
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        for p in self.procs:  # anything left in the groups we created (a stuck executor JVM)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self in _RUNNING:
            _RUNNING.remove(self)
        return _wait_gone([p.pid for p in self.procs], [self.port, self.web_port, self.worker_web_port], 10)

    def value(self) -> ServerURL:
        u = ServerURL(self.master_url)
        u.port, u.pids = self.port, tuple(p.pid for p in self.procs)
        u.ports = (self.port, self.web_port, self.worker_web_port)
        u.log, u.logs = self.master_log, (self.master_log, self.worker_log)
        u.startup_s, u.web_url, u.server = self.startup_s, self.web_url, self
        return u


def start_standalone_cluster(workdir: Path, *, cores: int = 1, memory: str = "1g",
                             timeout: float = STARTUP_TIMEOUT, attempts: int = 2) -> StandaloneCluster:
    for attempt in range(attempts):
        cluster = StandaloneCluster(Path(workdir) / f"attempt{attempt}", cores=cores, memory=memory)
        cluster.workdir.mkdir(parents=True, exist_ok=True)
        try:
            return cluster.start(timeout)
        except BaseException as e:
            cluster.stop()
            if not _port_race(e) or attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


@atexit.register
def _stop_leftovers() -> None:  # a net for exits that skipped fixture teardown
    for server in list(_RUNNING):
        try:
            server.stop()
        except Exception:
            pass


# --------------------------------------------------------------------------------------------
# A separate Python process


def run_in_subprocess(code: str, env: dict | None = None, *, timeout: float = 300,
                      cwd: Path | str | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` (dedented) with this venv's interpreter in a new process group, with
    :func:`server_env` plus ``env``; ``sparkcoach`` and ``tests/`` are importable. Returns the
    CompletedProcess (text stdout/stderr; never raises on a non-zero exit). On timeout the whole
    process group (the child and any JVM it started) is killed and TimeoutExpired is raised with
    the output so far."""
    full_env = server_env()
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS), *filter(None, [full_env.get("PYTHONPATH")])])
    full_env.update(env or {})
    args = [sys.executable, "-c", textwrap.dedent(code)]
    p = subprocess.Popen(args, env=full_env, cwd=str(cwd or ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        raise subprocess.TimeoutExpired(args, timeout, output=out, stderr=err) from None
    return subprocess.CompletedProcess(args, p.returncode, out, err)


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory):
    """A Spark Connect server for the session; the value is its ``sc://127.0.0.1:<port>`` URL."""
    server = start_connect_server(tmp_path_factory.mktemp("connect-server"))
    try:
        yield server.value()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def connect_session(connect_server):
    """A Spark Connect client session in this process (see the module docstring for why it is
    built with the Connect builder and what that means for ``pyspark.sql.functions``)."""
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    session = ConnectSession.builder.remote(str(connect_server)).getOrCreate()
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def standalone_cluster(tmp_path_factory):
    """A standalone master with one 1-core, 1g worker; the value is the ``spark://127.0.0.1:<port>`` URL."""
    cluster = start_standalone_cluster(tmp_path_factory.mktemp("standalone"))
    try:
        yield cluster.value()
    finally:
        cluster.stop()
