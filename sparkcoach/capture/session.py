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


def _within(fn, seconds: float):
    """``fn()``, or TimeoutError after ``seconds`` (the call goes on in a daemon thread)."""
    import threading

    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    t = threading.Thread(target=run, name="sparkcoach-connect-probe", daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _is_connect(obj) -> bool:
    return type(obj).__module__.startswith("pyspark.sql.connect")


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
            try:  # a round trip to the server; bounded: the client would retry for minutes
                version = _within(lambda: s.version, CONNECT_TIMEOUT)
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
    """Settings the plan rules read, as strings (missing ones omitted)."""
    keys = ("spark.sql.adaptive.enabled", "spark.sql.adaptive.autoBroadcastJoinThreshold",
            "spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.skewJoin.enabled", "spark.driver.memory",
            "spark.sql.shuffle.partitions", "spark.executor.memory", "spark.executor.cores",
            "spark.executor.instances", "spark.executor.memoryOverhead", "spark.default.parallelism")
    out: dict = {}
    if not info.live:
        return out
    if info.classic:
        try:  # one round trip for everything set on the context
            out.update({k: v for k, v in info.session.sparkContext.getConf().getAll() if k in keys})  # type: ignore
        except Exception:
            pass
    for k in keys:
        if k in out or not k.startswith("spark.sql."):
            continue
        try:  # SQL settings have defaults the context's conf does not list
            v = info.session.conf.get(k, None)  # type: ignore[union-attr]
        except Exception:
            v = None
        if v is not None:
            out[k] = str(v)
    return out
