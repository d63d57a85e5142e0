"""The Spark jobs one cell ran, with per-stage figures for the runtime rules.

``JobCapture.start(session)`` tags every job the cell's thread starts; ``stop()``
collects those jobs and returns ``(jobs, sources, notes)``.

* Classic session: a job group set for the thread (``sc.setJobGroup``); the user's
  own group, description and interrupt flag are restored afterwards.  The jobs are
  found with the status tracker (``getJobIdsForGroup``), and their figures read from
  the Spark UI REST API when it answers (``{uiWebUrl}/api/v1/...``, at most
  ``timeout`` seconds a call and ``budget`` seconds in all), else from the driver's
  status store (the store behind both the UI and the status tracker, read in-process
  through the JVM; works with ``spark.ui.enabled=false``), else from the status
  tracker alone (stage names and task counts; no task times or shuffle bytes).
* Spark Connect: a session tag (``session.addTag``).  The client cannot list jobs;
  when the Spark UI's address is given, the tagged jobs are looked up there.  Every call to
  the server is bounded (the client itself retries for minutes when the server is gone).

The SQL queries those jobs ran for (:mod:`sparkcoach.capture.queries`) are kept in
``queries`` after ``stop``.

Never starts a Spark job, never imports pyspark at module level, never raises:
whatever cannot be read becomes a one-line note.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime

from . import queries as sql_queries
from .model import JobMetrics, QueryMetrics, StageMetrics
from .session import CONNECT_TIMEOUT, within

Result = tuple[tuple[JobMetrics, ...], tuple[str, ...], tuple[str, ...]]

GROUP_ID, DESCRIPTION, INTERRUPT = "spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"
QUANTILES = (0.5, 1.0)  # median, max
RAN = ("COMPLETE", "FAILED", "ACTIVE")  # stage statuses with figures (not SKIPPED / PENDING)
DONE_JOB = ("SUCCEEDED", "FAILED")

SOURCE_REST, SOURCE_STORE, SOURCE_TRACKER = "REST API", "status store", "status tracker"
NOTE_NO_FIGURES = "Spark UI not reachable: task times and shuffle bytes not captured"

_warmed: set[str] = set()


def _is_connect(session) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:120] if text else type(exc).__name__


class JobCapture:
    """Tags the Spark jobs a cell runs between ``start`` and ``stop`` and collects their figures.

    ``ui_url``: the Spark UI to ask (default: the classic session's ``uiWebUrl``; needed for
    Spark Connect); ``rest`` / ``store``: whether to use the REST API / the JVM status store;
    ``timeout``: seconds per REST call; ``budget``: seconds for all REST calls of one ``stop``;
    ``settle``: seconds to wait for the driver's listener to record jobs that just ended;
    ``max_jobs``: figures for at most this many jobs (the cell's last ones).
    """

    def __init__(self, ui_url: str | None = None, *, timeout: float = 2.0, budget: float = 3.0,
                 settle: float = 0.5, rest: bool = True, store: bool = True, max_jobs: int = 100,
                 prefer_store: bool = True):
        self.ui_url = ui_url.rstrip("/") if ui_url else None
        self.timeout = max(0.05, float(timeout))
        self.budget = max(0.0, float(budget))
        self.settle = max(0.0, float(settle))
        self.use_rest = rest
        self.use_store = store
        # The driver's own status store (in-process, one py4j call per figure) answers in a few ms;
        # the REST API (an HTTP round trip per job and stage) is the fallback, and the only source
        # when the store is not reachable (Spark Connect, a remote driver).
        self.prefer_store = prefer_store
        self.max_jobs = max(1, int(max_jobs))
        self.tag = f"sparkcoach-{uuid.uuid4().hex[:16]}"
        self._session = None
        self._sc = None
        self._mode = "none"  # "classic" | "connect" | "none"
        self._saved: dict[str, str | None] = {}
        self._notes: list[str] = []
        self._started = False
        self._since_ms: float | None = None
        self.rest_failure: str | None = None  # why the REST API last failed (for diagnostics)
        self.queries: tuple[QueryMetrics, ...] = ()  # the SQL queries of the jobs the last ``stop`` found

    # ------------------------------------------------------------------ start / stop

    def start(self, session) -> None:
        """Tag the jobs this thread starts from now on.  Never raises, never runs a job."""
        if self._started:
            self.stop()  # started twice: untag and restore first, so the user's group is the one restored
        self._notes = []
        self.tag = f"sparkcoach-{uuid.uuid4().hex[:16]}"  # a new one each time: a capture can be reused
        self._session, self._sc, self._mode, self._saved = session, None, "none", {}
        self._started = True
        self._since_ms = time.time() * 1000.0
        self.queries = ()
        if session is None:
            return
        try:
            if _is_connect(session):
                session.addTag(self.tag)  # the client's own state: no call to the server
                self._mode = "connect"
                if self.use_rest and self.ui_url:
                    self._warm_up(self.ui_url)
                return
            sc = session if hasattr(session, "statusTracker") else session.sparkContext
            if getattr(sc, "_jsc", None) is None:
                self._notes.append("the Spark session is stopped: jobs not captured")
                return
            self._saved = {k: sc.getLocalProperty(k) for k in (GROUP_ID, DESCRIPTION, INTERRUPT)}
            # The group id is ours for the cell; the description stays the user's, or none, so the
            # Spark UI names jobs and SQL queries after their call sites ("collect at <cell>:3").
            sc.setLocalProperty(GROUP_ID, self.tag)  # what sc.setJobGroup does, less the description
            sc.setLocalProperty(INTERRUPT, "false")
            self._sc, self._mode = sc, "classic"
            url = self.ui_url or sc.uiWebUrl
            if self.use_rest and url:
                self._warm_up(url.rstrip("/"))
        except Exception as exc:
            self._notes.append(f"jobs not tagged: {_short(exc)}")
            self._mode = "none"

    def stop(self, reachable: bool = True) -> Result:
        """Untag, restore the user's job group, and return ``(jobs, sources, notes)``; the jobs'
        SQL queries are left in ``queries``.  ``reachable=False``: the Spark Connect server is
        known to be gone, so only untag (no call to it; the caller says what was lost)."""
        if not self._started:
            return (), (), ("job capture was not started",)
        self._started = False
        self.queries = ()
        notes = list(self._notes)
        try:
            if self._mode == "classic":
                return self._stop_classic(notes)
            if self._mode == "connect":
                return self._stop_connect(notes, reachable)
        except Exception as exc:  # a last guard: every step below already catches its own
            notes.append(f"jobs not captured: {_short(exc)}")
        return (), (), tuple(notes)

    # ------------------------------------------------------------------ classic

    def _restore(self, sc, notes: list[str]) -> None:
        try:
            current = sc.getLocalProperty(GROUP_ID)
        except Exception as exc:
            notes.append(f"job group not restored: {_short(exc)}")
            return
        if current != self.tag:
            # The cell set its own job group: keep it (it is the user's), and say what that cost.
            notes.append("the cell set its own job group: jobs it ran after that are not captured")
            return
        try:
            for key in (GROUP_ID, DESCRIPTION, INTERRUPT):
                sc.setLocalProperty(key, self._saved.get(key))
        except Exception as exc:
            notes.append(f"job group not restored: {_short(exc)}")

    def _stop_classic(self, notes: list[str]) -> Result:
        sc = self._sc
        self._restore(sc, notes)
        if getattr(sc, "_jsc", None) is None:
            notes.append("the Spark session was stopped: jobs not captured")
            return (), (), tuple(notes)
        try:
            tracker = sc.statusTracker()
        except Exception as exc:
            notes.append(f"jobs not captured: {_short(exc)}")
            return (), (), tuple(notes)
        job_ids = self._settle(sc, tracker)
        if not job_ids:
            return (), (), tuple(notes)
        all_ids = set(job_ids)
        if len(job_ids) > self.max_jobs:
            notes.append(f"the cell ran {len(job_ids)} jobs: figures for the last {self.max_jobs} only")
            job_ids = job_ids[-self.max_jobs:]
        reader = _Figures(self, sc, tracker, self.ui_url or _ui_url(sc), _app_id(sc))
        jobs = reader.jobs(job_ids)
        self.queries = self._queries(reader, all_ids, notes, getattr(self._session, "_jsparkSession", None))
        self.rest_failure = reader.rest_failure
        notes.extend(reader.notes)
        return tuple(jobs), tuple(reader.sources), tuple(dict.fromkeys(notes))

    def _queries(self, reader: "_Figures", job_ids: set[int], notes: list[str],
                 jsession=None) -> tuple[QueryMetrics, ...]:
        """The SQL queries of ``job_ids``: the driver's SQL status store (classic) and the REST API,
        in the order ``prefer_store`` says; () when neither answers (a REST failure is already
        in the notes; a status store failure is added)."""
        failure = None
        for source in (("store", "rest") if self.prefer_store else ("rest", "store")):
            if source == "store" and self.use_store and jsession is not None:
                try:
                    return tuple(sql_queries.from_store(jsession, job_ids, self._since_ms))
                except Exception as exc:
                    failure = f"status store: {_short(exc)}"
            elif source == "rest" and reader.rest_ok and reader.app_id:
                found = sql_queries.from_rest(reader._get, reader.ui_url, reader.app_id, job_ids)
                if found is not None:
                    return tuple(found)
        if failure:
            notes.append(f"SQL queries not captured ({failure})")
        return ()

    def _settle(self, sc, tracker) -> list[int]:
        """The cell's job ids, once the driver's listener has recorded them as ended
        (bounded by ``settle`` seconds: figures may otherwise lag behind job completion)."""
        deadline = time.monotonic() + self.settle
        try:  # flush the listener bus (the status store is updated asynchronously)
            sc._jsc.sc().listenerBus().waitUntilEmpty(int(self.settle * 1000))
        except Exception:
            pass
        while True:
            try:
                ids = sorted(tracker.getJobIdsForGroup(self.tag))
            except Exception:
                return []
            if all(_job_done(tracker, j) for j in ids) or time.monotonic() >= deadline:
                return ids
            time.sleep(0.05)

    def _warm_up(self, url: str) -> None:
        """The REST API's first answer can take seconds (the server initialises it lazily):
        ask once in the background while the cell runs, so ``stop`` finds it ready."""
        if url in _warmed:
            return
        _warmed.add(url)

        def ping() -> None:
            try:
                urllib.request.urlopen(f"{url}/api/v1/version", timeout=min(self.timeout, 2.0)).read()
            except Exception:
                pass

        threading.Thread(target=ping, name="sparkcoach-ui-warmup", daemon=True).start()

    # ------------------------------------------------------------------ connect

    def _stop_connect(self, notes: list[str], reachable: bool = True) -> Result:
        session = self._session
        try:
            session.removeTag(self.tag)  # the client's own state: no call to the server
        except Exception as exc:
            notes.append(f"job tag not removed: {_short(exc)}")
        if not reachable:
            return (), (), tuple(notes)

        def where() -> tuple[str | None, str | None]:  # two or three calls to the server
            url = self.ui_url if self.use_rest else None
            if self.use_rest and not url:
                url = _connect_ui_url(session)
            return url, (session.conf.get("spark.app.id", None) if url else None)

        try:
            url, app_id = within(where, 2 * CONNECT_TIMEOUT)
        except Exception as exc:
            notes.append(f"Spark Connect: jobs not captured: {_short(exc)}")
            return (), (), tuple(notes)
        if not url:
            notes.append("Spark Connect: the client cannot list the cell's jobs; "
                         "give the Spark UI address to capture task times and shuffle bytes")
            return (), (), tuple(notes)
        reader = _Figures(self, None, None, url, app_id)
        jobs = reader.tagged_jobs(self.tag)
        if jobs:
            self.queries = self._queries(reader, {j.job_id for j in jobs}, notes)
        self.rest_failure = reader.rest_failure
        notes.extend(reader.notes)
        return tuple(jobs), tuple(reader.sources), tuple(dict.fromkeys(notes))


def _connect_ui_url(session) -> str | None:
    """The Spark UI of a Spark Connect server on this machine (its ``spark.ui.port``, 4040 by default).
    A remote server's UI is not guessed: a firewall that drops the connection would cost a timeout
    every cell; give its address instead."""
    host = str(getattr(session.client, "host", "") or "")
    if host not in ("localhost", "127.0.0.1", "::1"):
        return None
    conf = session.conf
    if str(conf.get("spark.ui.enabled", "true")).strip().lower() == "false":
        return None
    port = str(conf.get("spark.ui.port", "4040") or "4040").strip()
    return f"http://{'[::1]' if host == '::1' else host}:{port}"


# ---------------------------------------------------------------------- reading figures


def _ui_url(sc) -> str | None:
    try:
        url = sc.uiWebUrl
        return url.rstrip("/") if url else None
    except Exception:
        return None


def _app_id(sc) -> str | None:
    try:
        return sc.applicationId
    except Exception:
        return None


def _job_done(tracker, job_id: int) -> bool:
    try:
        info = tracker.getJobInfo(job_id)
    except Exception:
        return True
    return info is None or str(info.status) in DONE_JOB


def _time_ms(value) -> float | None:
    """A REST date ("2026-11-21T22:16:32.552GMT") in epoch milliseconds."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value).replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000
    except ValueError:
        return None


def _seconds(start_ms, end_ms) -> float | None:
    if start_ms is None or end_ms is None or end_ms < start_ms:
        return None
    return (end_ms - start_ms) / 1000.0


def _int(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class _RestDown(Exception):
    pass


class _Figures:
    """Reads one cell's jobs and stages: REST API first, then the status store, then the tracker."""

    def __init__(self, capture: JobCapture, sc, tracker, ui_url: str | None, app_id: str | None):
        self.capture = capture
        self.sc = sc
        self.tracker = tracker
        self.ui_url = ui_url
        self.app_id = app_id
        self.rest_ok = bool(capture.use_rest and ui_url)
        self.rest_spent = 0.0
        self.rest_failure: str | None = None
        self.store = None
        self.store_failure: str | None = None
        self.store_ok = capture.use_store and sc is not None
        self.sources: list[str] = []
        self.notes: list[str] = []
        self.missing = 0  # stages without task times

    # -- plumbing

    def _used(self, source: str) -> None:
        if source not in self.sources:
            self.sources.append(source)

    def _get(self, path: str):
        """One REST call under the per-call timeout and the total budget; raises _RestDown."""
        if not self.rest_ok:
            raise _RestDown()
        left = self.capture.budget - self.rest_spent
        if left <= 0.05:
            self.rest_ok = False
            self.rest_failure = self.rest_failure or "time budget spent"
            raise _RestDown()
        url = f"{self.ui_url}/api/v1/applications{path}"
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=min(self.capture.timeout, left)) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # this job or stage is not (or no longer) there: not the API's fault
                return None
            self.rest_ok, self.rest_failure = False, f"HTTP {exc.code}"
            raise _RestDown() from exc
        except Exception as exc:
            self.rest_ok, self.rest_failure = False, _short(exc)
            raise _RestDown() from exc
        finally:
            self.rest_spent += time.monotonic() - t0

    def _status_store(self):
        if not self.store_ok:
            return None
        if self.store is None:
            try:
                self.store = self.sc._jsc.sc().statusStore()
            except Exception as exc:
                self.store_ok, self.store_failure = False, _short(exc)
                return None
        return self.store

    # -- jobs

    def jobs(self, job_ids: list[int]) -> list[JobMetrics]:
        out: list[JobMetrics] = []
        seen: set[int] = set()
        for job_id in job_ids:
            job = self._job(job_id, seen)
            if job is not None:
                out.append(job)
        self._finish_notes()
        return out

    def _job_rest(self, job_id: int):
        try:
            data = self._get(f"/{self.app_id}/jobs/{job_id}") if self.app_id else None
            if data:
                duration = _seconds(_time_ms(data.get("submissionTime")), _time_ms(data.get("completionTime")))
                self._used(SOURCE_REST)
                return data.get("status"), list(data.get("stageIds") or []), duration
        except _RestDown:
            pass
        return None, None, None

    def _job(self, job_id: int, seen: set[int]) -> JobMetrics | None:
        status, stage_ids, duration = None, None, None
        if not self.capture.prefer_store:
            status, stage_ids, duration = self._job_rest(job_id)
        if status is None:
            store = self._status_store()
            if store is not None:
                try:
                    jd = store.job(job_id)
                    status = jd.status().toString()
                    stage_ids = [int(s) for s in _seq(jd.stageIds())]
                    duration = _seconds(_opt_ms(jd.submissionTime()), _opt_ms(jd.completionTime()))
                    self._used(SOURCE_STORE)
                except Exception as exc:
                    if "NoSuchElement" not in str(exc):
                        self.store_ok, self.store_failure = False, _short(exc)
        if status is None and self.capture.prefer_store:
            status, stage_ids, duration = self._job_rest(job_id)
        if status is None:
            try:
                info = self.tracker.getJobInfo(job_id)
            except Exception:
                info = None
            if info is None:
                self.notes.append(f"job {job_id} is no longer known to the driver (spark.ui.retainedJobs)")
                return None
            status, stage_ids = str(info.status), [int(s) for s in info.stageIds]
            self._used(SOURCE_TRACKER)
        stages = []
        for sid in sorted(stage_ids or []):
            if sid in seen:
                continue  # a stage shared by several of the cell's jobs is reported once
            stage = self._stage(sid)
            if stage is not None:
                seen.add(sid)
                stages.append(stage)
        return JobMetrics(job_id=job_id, status=status, stages=tuple(stages), duration_s=duration)

    def tagged_jobs(self, tag: str) -> list[JobMetrics]:
        """Spark Connect: the jobs whose tags name ``tag`` (the server wraps it in its own words:
        ``SparkConnect_SessionTag_User_..._Session_<id>_Tag_<tag>``)."""
        deadline = time.monotonic() + self.capture.settle
        while True:
            try:
                if not self.app_id:
                    apps = self._get("") or []
                    self.app_id = apps[0].get("id") if len(apps) == 1 else None
                listed = self._get(f"/{self.app_id}/jobs") if self.app_id else None
            except _RestDown:
                self.notes.append(f"Spark UI not reachable ({self.rest_failure}): jobs not captured")
                return []
            if listed is None:
                self.notes.append(f"the Spark UI at {self.ui_url} does not show this application: jobs not captured")
                return []
            mine = [j for j in listed if any(tag in t for t in j.get("jobTags") or ())]
            if all(j.get("status") in DONE_JOB for j in mine) or time.monotonic() >= deadline:
                break
            time.sleep(0.05)  # the UI records a job's end a moment after the client got its result
        ids = sorted(int(j["jobId"]) for j in mine)
        if len(ids) > self.capture.max_jobs:
            self.notes.append(f"the cell ran {len(ids)} jobs: figures for the last {self.capture.max_jobs} only")
            ids = ids[-self.capture.max_jobs:]
        return self.jobs(ids)

    # -- stages

    def _stage(self, stage_id: int) -> StageMetrics | None:
        if self.capture.prefer_store:
            found, stage = self._stage_from_store(stage_id)
            if found:
                return stage
        try:
            stage = self._stage_rest(stage_id)
            if stage is not False:
                return stage
        except _RestDown:
            pass
        if not self.capture.prefer_store:
            found, stage = self._stage_from_store(stage_id)
            if found:
                return stage
        return self._stage_tracker(stage_id)

    def _stage_from_store(self, stage_id: int):
        """(True, stage or None) when the driver's status store answered; (False, None) otherwise."""
        store = self._status_store()
        if store is None:
            return False, None
        try:
            return True, self._stage_store(store, stage_id)
        except Exception as exc:
            if "NoSuchElement" in str(exc):
                return True, None
            self.store_ok, self.store_failure = False, _short(exc)
            return False, None

    def _stage_rest(self, stage_id: int):
        """The stage's last attempt from the REST API; ``None`` when it did not run, ``False`` when
        the API does not know it."""
        q = ",".join(str(x) for x in QUANTILES)
        attempts = self._get(f"/{self.app_id}/stages/{stage_id}?details=false&withSummaries=true&quantiles={q}")
        if not attempts:
            return False
        data = max(attempts, key=lambda a: a.get("attemptId", 0))
        if data.get("status") not in RAN:
            return None
        dist = data.get("taskMetricsDistributions")
        if not dist:  # Spark before 3.4: no withSummaries
            dist = self._get(f"/{self.app_id}/stages/{stage_id}/{data.get('attemptId', 0)}/taskSummary?quantiles={q}")
        med, mx = _quantiles(dist.get("executorRunTime") if dist else None)
        self._used(SOURCE_REST)
        start = _time_ms(data.get("firstTaskLaunchedTime")) or _time_ms(data.get("submissionTime"))
        return self._stage_of(data, stage_id, med, mx, _seconds(start, _time_ms(data.get("completionTime"))))

    def _stage_store(self, store, stage_id: int) -> StageMetrics | None:
        s = store.lastStageAttempt(stage_id)
        status = s.status().toString()
        if status not in RAN:
            return None
        fields = ("attemptId", "name", "numTasks", "memoryBytesSpilled", "diskBytesSpilled",
                  "shuffleReadBytes", "shuffleWriteBytes", "inputBytes")
        data = {f: getattr(s, f)() for f in fields}
        med = mx = None
        try:
            gw = self.sc._gateway
            qs = gw.new_array(gw.jvm.double, len(QUANTILES))
            for i, v in enumerate(QUANTILES):
                qs[i] = v
            summary = store.taskSummary(stage_id, int(data["attemptId"]), qs)
            if summary.isDefined():
                run = summary.get().executorRunTime()
                med, mx = _quantiles([run.apply(i) for i in range(len(QUANTILES))])
        except Exception:
            pass
        start = _opt_ms(s.firstTaskLaunchedTime()) or _opt_ms(s.submissionTime())
        self._used(SOURCE_STORE)
        return self._stage_of(data, stage_id, med, mx, _seconds(start, _opt_ms(s.completionTime())))

    def _stage_of(self, data: dict, stage_id: int, med, mx, duration) -> StageMetrics:
        if mx is None:
            self.missing += 1
        return StageMetrics(
            stage_id=stage_id, attempt=_int(data.get("attemptId")) or 0, name=_name(data.get("name")),
            tasks=_int(data.get("numTasks")) or 0, duration_s=duration, task_max_s=mx, task_median_s=med,
            shuffle_read_bytes=_int(data.get("shuffleReadBytes")),
            shuffle_write_bytes=_int(data.get("shuffleWriteBytes")),
            memory_spilled_bytes=_int(data.get("memoryBytesSpilled")),
            disk_spilled_bytes=_int(data.get("diskBytesSpilled")), input_bytes=_int(data.get("inputBytes")))

    def _stage_tracker(self, stage_id: int) -> StageMetrics | None:
        try:
            info = self.tracker.getStageInfo(stage_id) if self.tracker is not None else None
        except Exception:
            info = None
        if info is None:
            return None
        if info.numCompletedTasks == 0 and info.numActiveTasks == 0 and info.numFailedTasks == 0:
            return None  # skipped (its shuffle output was reused) or never started
        self._used(SOURCE_TRACKER)
        self.missing += 1
        return StageMetrics(stage_id=stage_id, attempt=int(info.currentAttemptId), name=_name(info.name),
                            tasks=int(info.numTasks), duration_s=None, task_max_s=None, task_median_s=None,
                            shuffle_read_bytes=None, shuffle_write_bytes=None, memory_spilled_bytes=None,
                            disk_spilled_bytes=None, input_bytes=None)

    def _finish_notes(self) -> None:
        if not self.missing:
            return
        if SOURCE_TRACKER in self.sources:
            why = []
            if self.capture.use_rest and self.rest_failure:
                why.append(f"REST API: {self.rest_failure}")
            elif self.capture.use_rest and not self.ui_url:
                why.append("the Spark UI is disabled")
            if self.capture.use_store and self.store_failure:
                why.append(f"status store: {self.store_failure}")
            self.notes.append(NOTE_NO_FIGURES + (f" ({'; '.join(why)})" if why else ""))
        else:
            self.notes.append(f"task times not captured for {self.missing} stage(s)")


def _name(value) -> str:
    """A stage's name (its call site, "count at <cell>:3"): the first line, at most 200 characters
    (a Spark Connect stage is named after the whole plan it ran)."""
    lines = str(value or "").strip().splitlines()
    return lines[0].strip()[:200] if lines else ""


def _quantiles(values) -> tuple[float | None, float | None]:
    try:
        med, mx = float(values[0]) / 1000.0, float(values[1]) / 1000.0
    except (TypeError, ValueError, IndexError, KeyError):
        return None, None
    return med, mx


def _opt_ms(option) -> float | None:
    """A Scala ``Option[java.util.Date]`` in epoch milliseconds."""
    try:
        return float(option.get().getTime()) if option.isDefined() else None
    except Exception:
        return None


def _seq(seq):
    n = seq.length()
    return [seq.apply(i) for i in range(n)]
