"""Running a cell once under the coach's eye, and the ``auto`` mode's hooks."""

from __future__ import annotations

import ast
import sys

from . import coach


def _warn(what: str, exc: BaseException | None = None) -> None:
    detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
    print(f"sparkcoach: {what}{detail}".splitlines()[0][:300], file=sys.stderr)


NOTE_SERVER_GONE = "the Spark Connect server went away during the cell: plans and jobs not captured"
CONNECT_CAPTURE_S = 15.0  # at most this long for a Spark Connect cell's plans and settings


class _Watch:
    """Before/after a cell: namespace snapshot, job tagging, wall time.  Never raises.

    Under Spark Connect every call after the cell is bounded (the client itself retries for
    minutes when its server is gone): the server is probed again (its port, then
    ``describe_session``, 2 s each) and nothing more is asked of one that went away; the plans
    and settings of a live one are read in a thread, given up when its port closes or after
    ``CONNECT_CAPTURE_S``.
    """

    def __init__(self, shell, settings: coach.CoachSettings):
        self.shell = shell
        self.settings = settings
        self.notes: list[str] = []
        self.info = None
        self.before: dict = {}
        self.jobs = None
        self.t0 = 0.0
        self.wall = 0.0
        self.job_result = ((), (), ())
        self.gone = False  # the Spark Connect server went away during the cell

    def start(self) -> None:
        from .capture.namespace import snapshot
        from .capture.session import SparkInfo, find_session

        try:
            self.info = find_session(self.shell.user_ns)
        except Exception as exc:
            self.info = SparkInfo("none")
            self.notes.append(f"could not inspect the Spark session: {type(exc).__name__}")
        try:
            self.before = snapshot(self.shell.user_ns)
        except Exception:
            self.before = {}
        try:
            from .capture.jobs import JobCapture

            timeout = self.settings.ui_timeout  # per REST call; all of a cell's calls get twice that, 3 s at least
            self.jobs = JobCapture(self.settings.spark_ui or None, timeout=timeout, budget=max(3.0, 2 * timeout))
            self.jobs.start(self.info.session if self.info.live else None)
        except Exception as exc:
            self.jobs = None
            self.notes.append(f"jobs not captured: {type(exc).__name__}: {exc}"[:200])
        self.t0 = coach.now()

    def stop(self) -> None:
        self.wall = coach.now() - self.t0
        self.gone = self._server_gone()
        if self.jobs is not None:
            try:
                self.job_result = self.jobs.stop(reachable=not self.gone)
            except Exception as exc:
                self.notes.append(f"jobs not captured: {type(exc).__name__}: {exc}"[:200])

    def _server_gone(self) -> bool:
        """Spark Connect: did the server go away during the cell?  A closed port says so at once; an
        open one that does not answer a call within 2 s is a busy server, not a gone one."""
        if self.info is None or self.info.kind != "connect":
            return False
        try:
            from .capture.session import connect_port_open, describe_session

            port = connect_port_open(self.info.session)
            if port is False:
                return True
            return describe_session(self.info.session).kind == "stopped" and port is None
        except Exception:
            return True

    def capture(self, body: str, line_offset: int, filename: str | None):
        from .capture.model import CellRun
        from .capture.session import SparkInfo

        jobs, sources, jnotes = self.job_result
        queries = getattr(self.jobs, "queries", ())
        info = self.info
        if self.gone:
            self.notes.append(NOTE_SERVER_GONE)
            info = SparkInfo("stopped", info.session, "Spark Connect server not reachable")
        elif info is None or not info.live:
            why = {"none": "no Spark session: plans, lineage and jobs not captured",
                   "stopped": "the Spark session is stopped: plans, lineage and jobs not captured"}
            if info is not None and info.kind in why:
                self.notes.append(why[info.kind])
        if info is None or info.kind != "connect":
            return coach.capture(info, self.shell.user_ns, self.before, body, line_offset, filename, self.wall,
                                 jobs, sources, jnotes, self.notes, queries=queries)
        notes = list(self.notes)  # a capture given up goes on in its thread: it gets its own list
        got = _wait_for(lambda: coach.capture(info, self.shell.user_ns, self.before, body, line_offset, filename,
                                              self.wall, jobs, sources, jnotes, notes, queries=queries),
                        info.session, CONNECT_CAPTURE_S)
        if isinstance(got, CellRun):
            self.notes[:] = notes
            return got
        self.notes.append(got)  # why the capture was given up
        return CellRun(wall_s=self.wall, jobs=tuple(jobs), sources=tuple(sources),
                       notes=tuple(jnotes) + tuple(self.notes), spark=info.kind, queries=tuple(queries))


def _wait_for(capture, session, limit: float):
    """``capture()``'s result, or a note saying why it was given up: the Spark Connect server's port
    closed (checked every second), or ``limit`` seconds passed.  Raises what ``capture`` raises."""
    import time

    from .capture.session import connect_port_open, in_thread

    t, box = in_thread(capture, "sparkcoach-connect-capture")
    deadline = time.monotonic() + limit
    while True:
        t.join(min(1.0, max(0.0, deadline - time.monotonic())))
        if not t.is_alive():
            if "error" in box:
                raise box["error"]
            return box["value"]
        if time.monotonic() >= deadline:
            return f"the Spark Connect server did not answer within {limit:g} s: plans not captured"
        if connect_port_open(session, timeout=1.0) is False:
            return "the Spark Connect server went away after the cell: plans not captured"


class CellRunner:
    """Runs a ``%%sparklint`` cell's body exactly once in the user's namespace."""

    def __init__(self, shell, settings: coach.CoachSettings):
        self.shell = shell
        self.settings = settings
        self.watch = _Watch(shell, settings)
        self.body = ""
        self.line_offset = 0
        self.filename: str | None = None
        self.namespace_before: dict | None = None  # shallow copies, for measuring rewrites afterwards
        self.namespace_after: dict | None = None

    def run(self, body: str, line_offset: int = 1):
        """(value of the last expression or None, the exception the code raised or None)."""
        __tracebackhide__ = True  # noqa: F841
        self.body, self.line_offset = body, line_offset
        shell = self.shell
        try:
            transformed = shell.transform_cell(body)
            self.filename = shell.compile.cache(transformed, shell.execution_count, raw_code=body)
            tree = shell.compile.ast_parse(transformed, filename=self.filename)
        except SyntaxError as exc:
            return None, exc
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not _ends_with_semicolon(transformed):
            last = ast.Expression(tree.body.pop().value)
        self.namespace_before = dict(shell.user_ns)
        self.watch.start()
        try:
            code = shell.compile(tree, self.filename, "exec")
            exec(code, shell.user_global_ns, shell.user_ns)
            value = None
            if last is not None:
                value = eval(shell.compile(last, self.filename, "eval"), shell.user_global_ns, shell.user_ns)
            return value, None
        except BaseException as exc:  # the user's exception, re-raised by the magic unchanged
            return None, exc
        finally:
            self.watch.stop()
            self.namespace_after = dict(shell.user_ns)

    def result(self, full_cell: str, static, error) -> coach.CellResult:
        notes = self.watch.notes
        findings = list(static)
        run = None
        marks = coach.new_marks()
        try:
            run = self.watch.capture(self.body, self.line_offset, self.filename)
            dynamic = coach.runtime_findings(run, self.settings, findings, None, marks)
            findings = coach.merge(findings, dynamic)
        except Exception as exc:
            _warn("capture failed", exc)
        return coach.CellResult(full_cell, findings, run, notes, marks)


def _ends_with_semicolon(code: str) -> bool:
    lines = [l for l in code.rstrip().splitlines() if l.strip() and not l.strip().startswith("#")]
    return bool(lines) and lines[-1].rstrip().endswith(";")


class AutoMode:
    """``%sparkcoach auto on``: every executed cell is linted; a compact view shows only with findings."""

    def __init__(self, shell, settings_factory, show):
        self.shell = shell
        self.settings_factory = settings_factory
        self.show = show
        self.watch: _Watch | None = None

    @staticmethod
    def _skip(raw: str) -> bool:
        s = raw.lstrip()
        return not s or s.startswith(("%%sparklint", "%sparkcoach", "%load_ext", "%unload_ext", "%config"))

    def pre(self, info=None) -> None:
        try:
            raw = getattr(info, "raw_cell", "") or ""
            if self._skip(raw):
                self.watch = None
                return
            self.watch = _Watch(self.shell, self.settings_factory())
            self.watch.start()
        except Exception as exc:
            self.watch = None
            _warn("auto mode could not start", exc)

    def post(self, result=None) -> None:
        watch, self.watch = self.watch, None
        if watch is None or result is None:
            return
        try:
            watch.stop()
            raw = result.info.raw_cell
            settings = watch.settings
            previous = []
            try:
                previous = [c for c in list(self.shell.history_manager.input_hist_raw)[1:-1] if c]
            except Exception:
                pass
            static = coach.static_findings(raw, previous, settings)
            if isinstance(result.error_in_exec, SyntaxError) or result.error_before_exec is not None:
                return
            filename = None
            try:  # the name IPython compiled the cell under: RDD call sites name it
                filename = self.shell.compile.get_code_name(raw, self.shell.transform_cell(raw), result.execution_count)
            except Exception:
                pass
            run = watch.capture(raw, 0, filename)
            marks = coach.new_marks()
            findings = coach.merge(static, coach.runtime_findings(run, settings, static, None, marks))
            if findings:
                self.show(coach.CellResult(raw, findings, run, watch.notes, marks), True, compact=True)
        except Exception as exc:
            _warn("auto mode failed on this cell", exc)
