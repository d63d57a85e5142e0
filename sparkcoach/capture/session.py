"""Which Spark the notebook has: a classic session (local or cluster), Spark Connect, or none.

Never imports pyspark unless the user already did, and never starts a JVM or a session.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class SparkInfo:
    kind: str  # "classic local" | "classic cluster" | "connect" | "stopped" | "none"
    session: object | None = None
    detail: str = ""  # master URL, remote URL, version

    @property
    def live(self) -> bool:
        return self.session is not None and self.kind not in ("stopped", "none")

    @property
    def classic(self) -> bool:
        return self.kind.startswith("classic")

    def describe(self) -> str:
        if self.kind == "none":
            return "no Spark session yet"
        if self.kind == "stopped":
            return "a stopped Spark session"
        return f"{self.kind} Spark ({self.detail})" if self.detail else f"{self.kind} Spark"


CONNECT_TIMEOUT = 2.0  # seconds to wait for a Spark Connect server to answer


def in_thread(fn, name: str):
    """Start ``fn()`` in a daemon thread: ``(thread, box)``; ``box`` gets ``"value"`` or ``"error"``."""
    import threading

    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    t = threading.Thread(target=run, name=name, daemon=True)
    t.start()
    return t, box


def within(fn, seconds: float):
    """``fn()``, or TimeoutError after ``seconds`` (the call goes on in a daemon thread)."""
    t, box = in_thread(fn, "sparkcoach-connect-probe")
    t.join(seconds)
    if t.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _is_connect(obj) -> bool:
    return type(obj).__module__.startswith("pyspark.sql.connect")


def connect_port_open(s, timeout: float = CONNECT_TIMEOUT) -> bool | None:
    """Whether the Spark Connect server's port takes a TCP connection: False at once for a server
    that went away (connection refused), where a call through the client would be retried for
    minutes.  None when the address is not known (a custom channel builder)."""
    import socket

    builder = getattr(getattr(s, "client", None), "_builder", None)
    host, port = getattr(builder, "_host", None), getattr(builder, "_port", None)
    if not host or not port:
        return None
    try:
        with socket.create_connection((str(host).strip("[]"), int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def find_session(user_ns: dict | None = None) -> SparkInfo:
    """The active SparkSession, or one the user holds in a variable (Spark Connect sessions
    are not "active" process-wide); never creates one."""
    if "pyspark" not in sys.modules:
        return SparkInfo("none")
    candidates = []
    for name in ("spark", "session", "ss"):  # the session the user's code names comes first
        obj = (user_ns or {}).get(name)
        if obj is not None and type(obj).__name__ == "SparkSession":
            candidates.append(obj)
    try:
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            candidates.append(active)
    except Exception:
        pass
    for obj in (user_ns or {}).values():
        if type(obj).__name__ == "SparkSession" and type(obj).__module__.startswith("pyspark"):
            candidates.append(obj)
    unique = {id(s): s for s in reversed(candidates)}  # each session probed once, first mention first
    candidates = sorted(unique.values(), key=lambda s: next(i for i, c in enumerate(candidates) if c is s))
    for s in candidates:
        info = describe_session(s)
        if info.kind != "stopped":
            return info
    return describe_session(candidates[0]) if candidates else SparkInfo("none")


def describe_session(s) -> SparkInfo:
    try:
        if _is_connect(s):
            url = getattr(getattr(s, "client", None), "_builder", None)
            if connect_port_open(s) is False:
                return SparkInfo("stopped", s, "Spark Connect server not reachable")
            try:  # a round trip to the server; bounded: the client would retry for minutes
                version = within(lambda: s.version, CONNECT_TIMEOUT)
            except Exception:
                return SparkInfo("stopped", s, "Spark Connect server not reachable")
            return SparkInfo("connect", s, f"Spark {version}" + (f", {url.url}" if hasattr(url, "url") else ""))
        sc = s.sparkContext
        if getattr(sc, "_jsc", None) is None:
            return SparkInfo("stopped", s)
        master = sc.master
        kind = "classic local" if master.startswith("local") else "classic cluster"
        return SparkInfo(kind, s, f"Spark {sc.version}, master {master}")
    except Exception:
        return SparkInfo("stopped", s)


def session_conf(info: SparkInfo) -> dict:
    """Settings the plan rules read, as strings (missing ones omitted).  Under Spark Connect
    the reads are bounded together (``2 * CONNECT_TIMEOUT``): what has not come back by then is left out."""
    keys = ("spark.sql.adaptive.enabled", "spark.sql.adaptive.autoBroadcastJoinThreshold",
            "spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.skewJoin.enabled", "spark.driver.memory",
            "spark.sql.shuffle.partitions", "spark.executor.memory", "spark.executor.cores",
            "spark.executor.instances", "spark.executor.memoryOverhead", "spark.default.parallelism", "spark.master",
            "spark.dynamicAllocation.enabled", "spark.dynamicAllocation.maxExecutors")
    out: dict = {}
    if not info.live:
        return out
    if info.classic:
        try:  # one round trip for everything set on the context
            out.update({k: v for k, v in info.session.sparkContext.getConf().getAll() if k in keys})  # type: ignore
        except Exception:
            pass
    got: dict = {}

    def read() -> None:
        for k in keys:
            if not k.startswith("spark.sql."):
                continue
            # SQL settings: the session's current value (a `spark.conf.set` after start-up overrides what the
            # context was built with), and defaults the context's conf does not list
            try:
                v = info.session.conf.get(k, None)  # type: ignore[union-attr]
            except Exception:
                v = None
            if v is not None:
                got[k] = str(v)

    if info.classic:
        read()
    else:
        try:  # one round trip a key: a server that went away would hold each for minutes
            within(read, 2 * CONNECT_TIMEOUT)
        except Exception:
            pass
    out.update(got.copy())  # a copy taken at once: a timed-out read may still be adding keys
    return out
