"""The SQL queries one cell's jobs ran for: the Spark UI's SQL tab, cut down to the cell.

An execution (a row of the SQL tab) belongs to the cell when one of its jobs is one of the
cell's jobs. Two sources, as for the job figures (:mod:`sparkcoach.capture.jobs`):

* the driver's SQL status store (``spark._jsparkSession.sharedState().statusStore()``), read
  in-process through py4j, newest execution first, back to the cell's start; works with
  ``spark.ui.enabled=false``;
* the Spark UI REST API, ``GET /api/v1/applications/<app>/sql?details=false``. The list is in
  execution-id order, in pages, with no total: it is read from a little before where the last
  read ended, through the caller's ``get`` (which holds the per-call timeout and the budget).

Never starts a Spark job; failures are the caller's to turn into notes.
"""

from __future__ import annotations

import re

from .model import QueryMetrics

SCAN = 300  # executions looked at, at most, newest first (status store)
PAGE = 500  # executions per REST page
SLACK = 200  # the REST read starts this many executions before where the last one ended: Spark drops
# the oldest executions in batches (spark.sql.ui.retainedExecutions / 10), which moves every offset down
CLOCK_SLACK_MS = 1000.0

_JOB = re.compile(r"(\d+) -> (\w+)")
_read_up_to: dict[str, int] = {}  # "<ui url> <app id>" -> the offset the last REST read ended at


def description(value) -> str:
    """The first line, at most 200 characters (a Spark Connect query is described by its whole plan)."""
    lines = str(value or "").strip().splitlines()
    return lines[0].strip()[:200] if lines else ""


def from_store(jsession, job_ids: set[int], since_ms: float | None) -> list[QueryMetrics]:
    """The executions in the driver's SQL status store that ran one of ``job_ids``, looking back
    from the newest to the first one submitted before ``since_ms`` (epoch ms, the cell's start).
    Raises whatever py4j raises."""
    store = jsession.sharedState().statusStore()
    end = int(store.executionsCount())
    found: list[QueryMetrics] = []
    scanned = 0
    while end > 0 and scanned < SCAN:
        length = min(50, end, SCAN - scanned)
        start = end - length
        page = store.executionsList(start, length)
        rows = [page.apply(i) for i in range(int(page.length()))]
        for e in reversed(rows):
            scanned += 1
            jobs = {int(k): v for k, v in _JOB.findall(str(e.jobs().toString()))}
            if jobs.keys() & job_ids:
                found.append(_from_store_row(e, jobs))
            elif since_ms is not None and float(e.submissionTime()) < since_ms - CLOCK_SLACK_MS:
                return sorted(found, key=lambda q: q.execution_id)
        end = start
    return sorted(found, key=lambda q: q.execution_id)


def _from_store_row(e, jobs: dict[int, str]) -> QueryMetrics:
    done = e.completionTime()
    end_ms = float(done.get().getTime()) if done.isDefined() else None
    try:
        status = str(e.executionStatus())  # Spark 3.5+
    except Exception:
        failed = "FAILED" in jobs.values() or _error(e)
        status = "RUNNING" if end_ms is None else ("FAILED" if failed else "COMPLETED")
    start_ms = float(e.submissionTime())
    duration = (end_ms - start_ms) / 1000.0 if end_ms is not None and end_ms >= start_ms else None
    return QueryMetrics(execution_id=int(e.executionId()), description=description(e.description()),
                        status=status, duration_s=duration, job_ids=tuple(sorted(jobs)))


def _error(e) -> bool:
    try:
        message = e.errorMessage()
        return bool(message.isDefined() and str(message.get()))
    except Exception:
        return False


def from_rest(get, ui_url: str, app_id: str, job_ids: set[int]) -> list[QueryMetrics] | None:
    """The executions the REST API lists that ran one of ``job_ids``; None when the API did not
    answer (``get(path)`` returns the decoded JSON, None for a 404, and raises when the API is down)."""
    key = f"{ui_url} {app_id}"
    resume = max(0, _read_up_to.get(key, 0) - SLACK)
    for first in ((resume, 0) if resume else (0,)):
        rows, offset = [], first
        while True:
            try:
                page = get(f"/{app_id}/sql?details=false&planDescription=false&offset={offset}&length={PAGE}")
            except Exception:
                return None
            if page is None:  # no SQL endpoint (Spark before 3.1)
                return None
            rows.extend(page)
            offset += len(page)
            if len(page) < PAGE:
                break
        _read_up_to[key] = offset
        found = [_from_rest_row(r) for r in rows if _rest_jobs(r) & job_ids]
        if found or not first:
            return sorted(found, key=lambda q: q.execution_id)
    return []


def _rest_jobs(row: dict) -> set[int]:
    return {int(j) for k in ("runningJobIds", "successJobIds", "failedJobIds") for j in row.get(k) or ()}


def _from_rest_row(row: dict) -> QueryMetrics:
    status = str(row.get("status") or "")
    duration = row.get("duration")
    return QueryMetrics(execution_id=int(row["id"]), description=description(row.get("description")), status=status,
                        duration_s=float(duration) / 1000.0 if duration is not None and status != "RUNNING" else None,
                        job_ids=tuple(sorted(_rest_jobs(row))))
