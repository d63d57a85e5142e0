"""``%%sparklint`` and ``%sparkcoach``: thin magics that hand the work to the coach.

The user's cell runs exactly once, in the user's namespace, with normal semantics: the
last expression is displayed, variables are defined, exceptions propagate unchanged.
Whatever goes wrong inside the coach becomes a one-line warning.
"""

from __future__ import annotations

import ast
import shlex
import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Float, Int, List, Unicode, observe

from . import coach
from .engine.plan import PlanSettings


def _warn(what: str, exc: BaseException | None = None) -> None:
    detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
    print(f"sparkcoach: {what}{detail}".splitlines()[0][:300], file=sys.stderr)


@magics_class
class SparkCoach(Magics):
    """The Spark coach.  Settings: ``%config SparkCoach.<setting> = ...``."""

    auto = Bool(False, help="Lint every executed cell and show a compact view when there are findings.").tag(
        config=True)
    quiet = Bool(False, help="Show the findings view only when there are findings.").tag(config=True)
    select = List(Unicode(), help="Only these rule codes or prefixes (e.g. ['SPK2', 'SPK350']).").tag(config=True)
    ignore = List(Unicode(), help="Skip these rule codes or prefixes.").tag(config=True)
    broadcast_threshold = Int(100 * 1024 * 1024, help="SPK350: a join side smaller than this (bytes) "
                              "could be broadcast.").tag(config=True)
    ui_timeout = Float(2.0, help="Seconds to wait for the Spark UI REST API per request.").tag(config=True)
    spark_ui = Unicode("", help="The Spark UI's address (e.g. 'http://driver-host:4040'), read for the cell's jobs "
                       "and SQL queries. Needed under Spark Connect unless the server runs on this machine; "
                       "empty: the session's own UI.").tag(config=True)
    history = Int(50, help="Earlier cells read for the names they define.").tag(config=True)
    # The runtime rules' thresholds (defaults: PlanSettings', for production sizes; a tutorial may lower them).
    skew_min_task_s = Float(PlanSettings.skew_min_task_s, help="SPK260: a stage is skewed when its longest task "
                            "runs longer than this (seconds) ...").tag(config=True)
    skew_ratio = Float(PlanSettings.skew_ratio, help="SPK260: ... and this many times its median task.").tag(
        config=True)
    tiny_task_count = Int(PlanSettings.tiny_task_count, help="SPK262: a stage of at least this many tasks ...").tag(
        config=True)
    tiny_task_median_s = Float(PlanSettings.tiny_task_median_s, help="SPK262: ... whose median task is shorter "
                               "than this (seconds) has tiny tasks.").tag(config=True)
    spill_min_bytes = Int(0, help="SPK261: spill (memory and disk, bytes) up to this is not reported.").tag(
        config=True)

    def __init__(self, shell=None, **kwargs):
        super().__init__(shell=shell, **kwargs)
        self._auto_state = None
        if shell is not None and self not in shell.configurables:
            shell.configurables.append(self)

    # ------------------------------------------------------------------ settings
    def _settings(self, select=None, ignore=None) -> coach.CoachSettings:
        def codes(values):
            out = []
            for v in values or ():
                out.extend(c.strip().upper() for c in str(v).split(",") if c.strip())
            return tuple(out)

        from . import registry

        sel = codes(select) or codes(self.select)
        ign = codes(ignore) + codes(self.ignore)
        known = list(registry.RULES) + ["SPK000"]
        for c in sel + ign:
            if not any(k.startswith(c) for k in known):
                raise UsageError(f"unknown rule code or prefix {c!r}")
        return coach.CoachSettings(select=sel, ignore=ign, broadcast_threshold=self.broadcast_threshold,
                                   ui_timeout=self.ui_timeout, history=self.history, spark_ui=self.spark_ui.strip(),
                                   runtime=PlanSettings(skew_min_task_s=self.skew_min_task_s,
                                                        skew_ratio=self.skew_ratio,
                                                        tiny_task_count=self.tiny_task_count,
                                                        tiny_task_median_s=self.tiny_task_median_s,
                                                        extra={"spill_min_bytes": self.spill_min_bytes}))

    def _previous_cells(self) -> list[str]:
        try:
            raw = list(self.shell.history_manager.input_hist_raw)
        except Exception:
            return []
        return [c for c in raw[1:-1] if c]

    # ------------------------------------------------------------------ %%sparklint
    @magic_arguments()
    @argument("--no-run", action="store_true", help="Static lint only: do not run the cell.")
    @argument("--select", action="append", default=[], help="Only these rule codes or prefixes.")
    @argument("--ignore", action="append", default=[], help="Skip these rule codes or prefixes.")
    @argument("--quiet", action="store_true", help="Show the view only when there are findings.")
    @argument("--measure", action="store_true",
              help="Measure every rewrite: original and rewrite run alternately in copies of the namespace.")
    @argument("--runs", type=int, default=3, help="Timed runs per variant after one warm-up (default 3).")
    @argument("--sample", type=float, default=None,
              help="Measure on the same deterministic sample (this fraction) of the cell's large inputs.")
    @argument("--timeout", type=float, default=None, help="Stop measuring after this many seconds.")
    @cell_magic
    def sparklint(self, line, cell):
        """Run the cell once, then show what costs time and memory, with rewrites of your own code."""
        __tracebackhide__ = True  # noqa: F841  (IPython hides this frame in tracebacks)
        args = parse_argstring(self.sparklint, line)
        settings = self._settings(args.select, args.ignore)
        measuring = self._measure_settings(args)
        quiet = args.quiet or self.quiet
        full_cell = f"%%sparklint {line}".rstrip() + "\n" + cell
        notes: list[str] = []
        try:
            static = coach.static_findings(full_cell, self._previous_cells(), settings)
        except Exception as exc:
            static = []
            _warn("static analysis failed", exc)
        if args.no_run:
            self._show(coach.CellResult(full_cell, static, None, notes), quiet)
            return None
        from .runner import CellRunner

        runner = CellRunner(self.shell, settings)
        value, error = runner.run(cell, line_offset=1)
        if isinstance(error, SyntaxError):
            raise error  # Python's own error; nothing of the coach's
        try:
            result = runner.result(full_cell, static, error)
            key = self._keep_snapshot(runner, full_cell)
            if args.measure:
                if error is not None:
                    result.notes.append("not measured: the cell raised an exception")
                else:
                    self._measure_all(result, key, measuring)
            self._show(result, quiet, key=key, measuring=measuring)
        except Exception as exc:
            _warn("could not show the findings", exc)
        if error is not None:
            raise error.with_traceback(error.__traceback__)
        return value

    # ------------------------------------------------------------------ measuring rewrites
    def _measure_settings(self, args):
        from .measure.runner import MeasureSettings

        if args.runs < 1:
            raise UsageError("--runs must be at least 1")
        if args.sample is not None and not 0 < args.sample <= 1:
            raise UsageError("--sample must be a fraction in (0, 1], e.g. --sample 0.1")
        if args.timeout is not None and args.timeout <= 0:
            raise UsageError("--timeout must be a number of seconds above 0")
        return MeasureSettings(runs=args.runs, sample=args.sample, timeout=args.timeout, ui_timeout=self.ui_timeout,
                               spark_ui=self.spark_ui)

    def _keep_snapshot(self, runner, full_cell: str) -> int | None:
        from .measure.cell import Snapshot, Snapshots

        if runner.namespace_before is None:
            return None
        if not hasattr(self, "_snapshots"):
            self._snapshots = Snapshots()
        info = runner.watch.info
        session = info.session if info is not None and info.live else None
        return self._snapshots.add(Snapshot(full_cell, runner.namespace_before, runner.namespace_after, session))

    def _measure_all(self, result: coach.CellResult, key: int | None, measuring) -> None:
        from .measure.cell import measure_report

        snap = self._snapshots.get(key) if key is not None else None
        if snap is None:
            return
        rep = coach.report(result, self.shell.execution_count)
        try:
            result.measurements.extend(measure_report(self.shell, snap, rep, measuring))
        except Exception as exc:
            _warn("could not measure the rewrites", exc)
        if not result.measurements:
            result.notes.append("--measure: no finding of this cell has a rewrite to measure")

    def _insert_cell(self, text: str) -> str | None:
        """The view's "Insert rewritten cell below" button (through the JupyterLab extension when present)."""
        frontend = getattr(self, "frontend", None)
        if frontend is None:
            self.shell.set_next_input(text, replace=False)
            return None
        return frontend.insert_cell(text)

    def _measure_one(self, key: int | None, finding: dict, measuring) -> dict:
        """The view's "Measure" button: measure one finding's rewrite now."""
        from .measure.cell import measure_finding

        snap = self._snapshots.get(key) if key is not None and hasattr(self, "_snapshots") else None
        if snap is None:
            raise RuntimeError("this cell's inputs are no longer held: run it again with %%sparklint --measure")
        return measure_finding(self.shell, snap, finding, measuring).to_dict()

    def _keep_report(self, key: int, findings: list[dict], measuring) -> None:
        """Keep the findings shown for snapshot ``key`` (and how to measure them), for "Measure" later."""
        if not hasattr(self, "_reports"):
            self._reports = {}
        self._reports[key] = (findings, measuring)
        held = getattr(self, "_snapshots", None)
        for k in [k for k in self._reports if held is None or held.get(k) is None]:
            del self._reports[k]

    def _measure_snapshot(self, key: int, index: int) -> dict:
        """The JupyterLab extension's "Measure" (over the comm): finding ``index`` of the report shown
        for snapshot ``key``.  LookupError when that snapshot or finding is not held."""
        held = getattr(self, "_reports", {}).get(key)
        if held is None or getattr(self, "_snapshots", None) is None or self._snapshots.get(key) is None:
            raise LookupError("this cell's inputs are no longer held: run it again with %%sparklint")
        findings, measuring = held
        if not 0 <= index < len(findings):
            raise LookupError(f"finding {index} is not in that cell's report (it has {len(findings)})")
        return self._measure_one(key, findings[index], measuring)

    # ------------------------------------------------------------------ %sparkcoach
    @line_magic
    def sparkcoach(self, line):
        """%sparkcoach auto on|off | explain EXPR | rules | resources --node-cores N --node-memory M [--nodes K]"""
        words = shlex.split(line) if line.strip() else []
        if not words:
            raise UsageError("usage: %sparkcoach auto on|off | explain EXPR | rules | "
                             "resources --node-cores N --node-memory SIZE [--nodes K]")
        cmd, rest = words[0], line.strip()[len(words[0]):].strip()
        if cmd == "auto":
            if rest not in ("on", "off"):
                raise UsageError("usage: %sparkcoach auto on|off")
            self.auto = rest == "on"
            print(f"sparkcoach: auto {'on: every cell is linted' if self.auto else 'off'}")
            return None
        if cmd == "rules":
            from . import registry

            for r in registry.all_rules():
                print(f"{r.code}  {r.name:<34} {r.severity:<7} {registry.status(r.code):<7} {r.summary}")
            return None
        if cmd == "explain":
            if not rest:
                raise UsageError("usage: %sparkcoach explain EXPR (a DataFrame)")
            return self._explain(rest)
        if cmd == "resources":
            return self._resources(words[1:])
        raise UsageError(f"unknown %sparkcoach command {cmd!r}: use auto, explain, rules or resources")

    def _explain(self, expr: str):
        from .capture.session import find_session

        try:
            df = self.shell.ev(expr)
        except Exception as exc:
            raise UsageError(f"could not evaluate {expr!r}: {type(exc).__name__}: {exc}") from None
        if type(df).__name__ != "DataFrame":
            raise UsageError(f"{expr!r} is a {type(df).__name__}, not a DataFrame")
        settings = self._settings()
        try:
            info = find_session(self.shell.user_ns)
            from .capture.model import CellRun
            from .capture.plan import plan_of
            from .capture.session import session_conf

            plan = plan_of(df, expr, None)
            run = CellRun(wall_s=0.0, plans=(plan,), spark=info.kind, conf=session_conf(info))
            marks = coach.new_marks()
            found = coach.runtime_findings(run, settings, [], None, marks)
            self._show(coach.CellResult(f"%sparkcoach explain {expr}", found, run, [], marks), False)
        except Exception as exc:
            _warn("could not analyse the plan", exc)
        return None

    def _resources(self, words: list[str]):
        import argparse

        class _P(argparse.ArgumentParser):
            def error(self, message):
                raise UsageError(message)

        p = _P(prog="%sparkcoach resources", add_help=False)
        p.add_argument("--node-cores", type=int, required=True)
        p.add_argument("--node-memory", required=True)
        p.add_argument("--nodes", type=int, default=1)
        args = p.parse_args(words)
        from . import resources
        from .capture.session import find_session, session_conf

        try:
            result = resources.plan_executors(args.node_cores, args.node_memory, args.nodes)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        conf = session_conf(find_session(self.shell.user_ns))
        print(resources.render(result, resources.compare_with(result, conf)))
        return None

    # ------------------------------------------------------------------ auto mode
    @observe("auto")
    def _auto_changed(self, change) -> None:
        from .runner import AutoMode

        events = self.shell.events
        if change["new"] and self._auto_state is None:
            self._auto_state = AutoMode(self.shell, self._settings, self._show)
            events.register("pre_run_cell", self._auto_state.pre)
            events.register("post_run_cell", self._auto_state.post)
        elif not change["new"] and self._auto_state is not None:
            for name, fn in (("pre_run_cell", self._auto_state.pre), ("post_run_cell", self._auto_state.post)):
                try:
                    events.unregister(name, fn)
                except ValueError:
                    pass
            self._auto_state = None

    # ------------------------------------------------------------------ display
    def _show(self, result: coach.CellResult, quiet: bool, compact: bool = False, key: int | None = None,
              measuring=None) -> None:
        if quiet and not result.findings:
            return
        from IPython.display import display

        from .views.bundle import MIME, mime_bundle

        rep = coach.report(result, self.shell.execution_count)
        data = mime_bundle(rep) if not compact else _compact_bundle(rep)
        if key is not None:
            from .measure.runner import MeasureSettings

            self._keep_report(key, list(rep.get("findings") or []),
                              measuring or MeasureSettings(ui_timeout=self.ui_timeout, spark_ui=self.spark_ui))
        try:
            from .views.widget import FindingsView, compact as compact_view

            on_measure = None
            if key is not None and not compact:
                on_measure = lambda i: self._measure_snapshot(key, i)  # noqa: E731
            widget = compact_view(rep) if compact else _findings_view(
                FindingsView, rep, self._insert_cell, on_measure)
            wb = widget._repr_mimebundle_()
            if isinstance(wb, tuple):
                wb = wb[0]
            view = (wb or {}).get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                data = {**data, "application/vnd.jupyter.widget-view+json": view}
        except Exception:
            pass  # no widget frontend: the static renderings carry it
        # The snapshot key lets the JupyterLab extension's "Measure" ask for this cell's findings later.
        display(data, raw=True, metadata={MIME: {"snapshot": key}})


def _findings_view(cls, rep, on_insert, on_measure):
    import inspect

    if on_measure is not None and "on_measure" in inspect.signature(cls).parameters:
        return cls(rep, on_insert=on_insert, on_measure=on_measure)
    return cls(rep, on_insert=on_insert)


def _compact_bundle(rep: dict) -> dict:
    from .views import html, text
    from .views.bundle import MIME

    return {MIME: rep, "text/plain": text.render(rep, compact=True), "text/html": html.render(rep, compact=True)}


def load(ipython) -> None:
    from .capture.session import find_session

    from .frontend import Frontend

    magics = SparkCoach(shell=ipython)
    magics.frontend = Frontend(ipython, on_measure=magics._measure_snapshot)
    magics.frontend.register()
    magics.frontend.offer()  # the extension, when present, answers by opening its comm
    ipython.register_magics(magics)
    ipython._sparkcoach_magics = magics
    try:
        seen = find_session(ipython.user_ns).describe()
    except Exception:
        seen = "Spark not inspected"
    print(f"sparkcoach: %%sparklint, %sparkcoach auto|explain|rules|resources ready; sees {seen}")


def unload(ipython) -> None:
    magics = getattr(ipython, "_sparkcoach_magics", None)
    if magics is None:
        return
    magics.auto = False  # unregisters the run hooks
    if getattr(magics, "frontend", None) is not None:
        magics.frontend.unregister()
    if hasattr(magics, "_snapshots"):
        magics._snapshots.clear()  # the namespaces held for the "Measure" button
    if hasattr(magics, "_reports"):
        magics._reports.clear()
    mm = ipython.magics_manager
    mm.magics["cell"].pop("sparklint", None)
    mm.magics["line"].pop("sparkcoach", None)
    mm.registry.pop(type(magics).__name__, None)
    if magics in ipython.configurables:
        ipython.configurables.remove(magics)
    del ipython._sparkcoach_magics
