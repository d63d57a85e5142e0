"""Measure a cell against its rewrite: alternate runs in copies of the namespace, on the same data.

``measure(...)`` is the one entry point (the magic's ``--measure``, the view's "Measure"
button and ``benchmarks/bench_measure.py`` all call it).  For each variant, every run:

* gets a fresh shallow copy of the namespace the cell started from (mutable containers it
  names are copied too), so the user's variables are never rebound;
* runs with the user's writes redirected to a no-op sink (``sinks.redirect``), its output
  swallowed, and its Spark jobs tagged (a job group on classic, a tag on Spark Connect);
* has the caches it created released afterwards (``persist`` calls are recorded while it
  runs), so the next variant does not ride on them;
* restores the Spark settings and temporary views the code sets.

Runs alternate A B A B after one warm-up each, so drift hits both alike.  A timeout or a
kernel interrupt cancels exactly the measurement's jobs and reports what was measured.
Never rebinds the user's variables; never raises for what the measured code does.
"""

from __future__ import annotations

import ast
import copy
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from . import model, stats
from .fingerprint import spark_kind as _kind
from .model import Figures, Measurement, Variant

SEED = 42
SAMPLE_KEEP_BYTES = 10 * 1024 * 1024  # --sample: inputs estimated under this are kept whole
GRACE_S = 2.0  # after cancelling the jobs on timeout, how long before interrupting Python code


@dataclass
class MeasureSettings:
    runs: int = 3
    warmup: int = 1
    sample: float | None = None  # fraction of each large input, or None
    timeout: float | None = None  # seconds for the whole measurement
    confirm: bool = True  # add runs when a difference is claimed on a thin margin
    ui_timeout: float = 2.0
    spark_ui: str = ""  # the Spark UI to read figures from (Spark Connect), when set


class _Stop(Exception):
    """The measurement stops here (timeout or interrupt); ``status`` says which."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:200]


# --------------------------------------------------------------------------- code


@dataclass
class _Code:
    body: object  # code object for the statements
    last: object | None  # code object for the last expression, when the cell ends with one
    source: str


def _compile(source: str, label: str) -> _Code:
    tree = ast.parse(source, filename=f"<sparkcoach {label}>")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
        last = compile(ast.Expression(tree.body.pop().value), f"<sparkcoach {label}>", "eval")
    return _Code(compile(tree, f"<sparkcoach {label}>", "exec"), last, source)


def _names_used(source: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def _literal_args(source: str, methods: tuple[str, ...]) -> set[str]:
    """First string-literal arguments of calls to ``.method(...)`` (conf keys, view names)."""
    out: set[str] = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return out
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(node.args[0].value)
    return out


# --------------------------------------------------------------------------- spark helpers


def _is_cached(obj) -> bool:
    try:
        if _kind(obj) == "df":
            lvl = obj.storageLevel
        else:
            lvl = obj.getStorageLevel()
        return bool(lvl.useMemory or lvl.useDisk or lvl.useOffHeap)
    except Exception:
        return False


def _size_estimate(df) -> int | None:
    try:
        return int(df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes().toString())
    except Exception:
        return None


class _PersistRecorder:
    """While active, records the DataFrames and RDDs that ``persist``/``cache`` newly cache."""

    def __init__(self):
        self.made: list = []
        self._patched: list = []

    def __enter__(self):
        import importlib

        classes = []
        # The concrete classes: pyspark 4's pyspark.sql.DataFrame is an abstract parent, and the classic
        # DataFrame's cache() does not go through persist(); so both methods, on each class that defines them.
        for module, name in (("pyspark.sql.classic.dataframe", "DataFrame"), ("pyspark.sql.connect.dataframe",
                             "DataFrame"), ("pyspark.sql.dataframe", "DataFrame"), ("pyspark.rdd", "RDD")):
            try:
                classes.append(getattr(importlib.import_module(module), name))
            except Exception:
                pass
        recorder = self
        for cls in classes:
            for method in ("persist", "cache"):
                original = cls.__dict__.get(method)
                if original is None or getattr(original, "__isabstractmethod__", False):
                    continue

                def wrapper(obj, *args, __original=original, **kwargs):
                    fresh = not _is_cached(obj)
                    out = __original(obj, *args, **kwargs)
                    if fresh and all(o is not obj for o in recorder.made):
                        recorder.made.append(obj)
                    return out

                wrapper.__wrapped__ = original  # type: ignore[attr-defined]
                setattr(cls, method, wrapper)
                self._patched.append((cls, method, original))
        return self

    def __exit__(self, *exc):
        for cls, method, original in reversed(self._patched):
            setattr(cls, method, original)
        self._patched = []
        return False

    def release(self) -> int:
        n = 0
        for obj in self.made:
            try:
                obj.unpersist(True) if _kind(obj) == "rdd" else obj.unpersist(blocking=True)
                n += 1
            except Exception:
                pass
        self.made = []
        return n


class _ExecutionInfoRecorder:
    """Spark Connect without a reachable Spark UI: the plan metrics the server sends back with
    each result (``DataFrame.executionInfo``), recorded as the client builds them."""

    def __init__(self, active: bool):
        self.active = active
        self.infos: list = []
        self._cls = None
        self._init = None

    def __enter__(self):
        if not self.active:
            return self
        try:
            from pyspark.sql.metrics import ExecutionInfo
        except Exception:
            return self
        original = ExecutionInfo.__init__
        recorder = self

        def init(obj, *args, **kwargs):
            original(obj, *args, **kwargs)
            recorder.infos.append(obj)

        self._cls, self._init = ExecutionInfo, original
        ExecutionInfo.__init__ = init
        return self

    def __exit__(self, *exc):
        if self._cls is not None:
            self._cls.__init__ = self._init
            self._cls = None
        return False

    def figures(self) -> Figures | None:
        """Shuffle bytes and spill summed over the plan metrics (jobs, stages, tasks: not sent)."""
        if not self.infos:
            return None
        # The server sends the metrics' keys (shuffleBytesWritten, spillSize); older servers the UI's
        # display names (shuffle bytes written): compare both without case and spaces.
        sums = {"shufflebyteswritten": 0, "remotebytesread": 0, "localbytesread": 0, "spillsize": 0}
        seen = set()
        for info in self.infos:
            try:
                plans = info.metrics._metrics if info.metrics is not None else []
            except Exception:
                plans = []
            for plan in plans:
                for mv in getattr(plan, "_metrics", None) or ():
                    name = str(getattr(mv, "_name", "")).replace(" ", "").lower()
                    if name in sums:
                        key = (id(info), plan._id, name)
                        if key not in seen:
                            seen.add(key)
                            sums[name] += int(getattr(mv, "_value", 0) or 0)
        return Figures(shuffle_read_bytes=sums["remotebytesread"] + sums["localbytesread"],
                       shuffle_write_bytes=sums["shufflebyteswritten"], spill_bytes=sums["spillsize"])


# --------------------------------------------------------------------------- the session state a run may touch


class _SessionState:
    """Spark settings and temporary views the measured code sets, put back after every run."""

    def __init__(self, session, sources: list[str]):
        self.session = session
        text = "\n".join(sources)
        self.conf_keys = _literal_args(text, ("set",)) if session is not None else set()
        self.views = _literal_args(text, ("createOrReplaceTempView", "createTempView", "registerTempTable"))
        self.conf: dict[str, str | None] = {}
        self.saved_views: dict[str, object] = {}
        if session is None:
            return
        for key in self.conf_keys:
            try:
                self.conf[key] = session.conf.get(key, None)
            except Exception:
                pass
        for name in self.views:
            try:
                if session.catalog.tableExists(name):
                    self.saved_views[name] = session.table(name)
            except Exception:
                pass

    def before_run(self) -> None:
        for name in self.views:
            try:
                self.session.catalog.dropTempView(name)
            except Exception:
                pass

    def restore(self) -> None:
        if self.session is None:
            return
        for key, value in self.conf.items():
            try:
                if value is None:
                    self.session.conf.unset(key)
                else:
                    self.session.conf.set(key, value)
            except Exception:
                pass
        for name in self.views:
            try:
                self.session.catalog.dropTempView(name)
                if name in self.saved_views:
                    self.saved_views[name].createOrReplaceTempView(name)
            except Exception:
                pass


# --------------------------------------------------------------------------- timeout / interrupt


def _cancel(session, tag: str | None) -> None:
    """Cancel the jobs tagged ``tag``: a job group on classic, a tag on Spark Connect."""
    if not tag or session is None:
        return
    try:
        if type(session).__module__.startswith("pyspark.sql.connect"):
            session.interruptTag(tag)
        else:
            session.sparkContext.cancelJobGroup(tag)
    except Exception:
        pass


class _Watchdog:
    """Cancels the current run's jobs when the deadline passes; interrupts Python code after a grace."""

    def __init__(self, session, deadline: float | None):
        self.session = session
        self.deadline = deadline
        self.tag: str | None = None
        self.fired = False
        self.interrupted = False  # interrupt_main() was called
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._main = threading.main_thread() is threading.current_thread()

    def start(self) -> None:
        if self.deadline is None:
            return
        self._thread = threading.Thread(target=self._watch, name="sparkcoach-measure-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:  # after this, the watchdog interrupts nothing
            self._done.set()
        if self.interrupted:  # absorb a KeyboardInterrupt raised on our behalf but not yet delivered
            try:
                time.sleep(0.05)
            except KeyboardInterrupt:
                pass

    def cancel(self) -> None:
        _cancel(self.session, self.tag)

    def _watch(self) -> None:
        if self._done.wait(max(0.0, self.deadline - time.monotonic())):
            return
        self.fired = True
        self.cancel()
        if self._done.wait(GRACE_S):
            return
        if self._main:  # Python code that runs no job: stop it like Ctrl-C would, in the measuring thread
            with self._lock:
                if not self._done.is_set():
                    self.interrupted = True
                    _interrupt_main()

    def check(self) -> None:
        if self.fired or (self.deadline is not None and time.monotonic() >= self.deadline):
            self.fired = True
            raise _Stop(model.TIMEOUT)


def _interrupt_main() -> None:
    """A real SIGINT to the main thread (it also wakes a blocking call such as ``time.sleep``,
    which ``_thread.interrupt_main`` alone does not), as the kernel's interrupt would."""
    import signal

    try:
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    except (AttributeError, OSError, ValueError):
        import _thread

        _thread.interrupt_main()


# --------------------------------------------------------------------------- one run


@dataclass
class _Run:
    seconds: float
    figures: Figures
    ns: dict
    last: object
    has_last: bool


_NOTHING = object()


@contextmanager
def _quiet():
    """Swallow what the measured code prints or displays."""
    try:
        from IPython.utils.capture import capture_output

        with capture_output(display=True):
            yield
        return
    except ImportError:
        pass
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _figures(jobs) -> Figures:
    from ..capture.model import job_totals

    return Figures(jobs=len(jobs), **job_totals(jobs))


class _Runner:
    def __init__(self, base: dict, session, settings: MeasureSettings, watchdog: _Watchdog, state: _SessionState,
                 copy_names: set[str]):
        self.base = base
        self.session = session
        self.settings = settings
        self.watchdog = watchdog
        self.state = state
        self.copy_names = copy_names
        self.released = 0
        self.figure_notes: list[str] = []

    def namespace(self) -> dict:
        ns = dict(self.base)
        for name in self.copy_names:
            v = ns.get(name)
            if isinstance(v, (list, dict, set, bytearray)):
                ns[name] = copy.copy(v)
            elif type(v).__module__.startswith("pandas") and hasattr(v, "copy"):
                try:
                    ns[name] = v.copy(deep=False)
                except Exception:
                    pass
        return ns

    def run(self, code: _Code) -> _Run:
        from ..capture.jobs import JobCapture

        self.watchdog.check()
        ns = self.namespace()
        capture = JobCapture(self.settings.spark_ui or None, timeout=self.settings.ui_timeout,
                             budget=max(3.0, 2 * self.settings.ui_timeout), settle=0.5)
        self.state.before_run()
        value, has_last = _NOTHING, False
        connect = self.session is not None and type(self.session).__module__.startswith("pyspark.sql.connect")
        with _PersistRecorder() as recorder, _ExecutionInfoRecorder(connect) as infos:
            capture.start(self.session)
            self.watchdog.tag = capture.tag if self.session is not None else None
            try:
                with _quiet():
                    t0 = time.perf_counter()
                    try:
                        exec(code.body, ns)
                        if code.last is not None:
                            value, has_last = eval(code.last, ns), True
                    finally:
                        seconds = time.perf_counter() - t0
            except KeyboardInterrupt:
                self.watchdog.cancel()
                raise _Stop(model.TIMEOUT if self.watchdog.fired else model.INTERRUPTED) from None
            except BaseException:
                if self.watchdog.fired:
                    raise _Stop(model.TIMEOUT) from None
                raise
            finally:
                self.watchdog.tag = None
                jobs, _sources, notes = capture.stop()
                self.released += recorder.release()
                self.state.restore()
        figures = _figures(jobs)
        if not jobs and connect:
            from_plans = infos.figures()
            if from_plans is not None:
                figures = from_plans
                notes = ["Spark Connect: shuffle bytes and spill from the plan metrics the server returns "
                         "(DataFrame.executionInfo); jobs, stages and tasks need the Spark UI (SparkCoach.spark_ui)"]
        for n in notes:
            if n not in self.figure_notes:
                self.figure_notes.append(n)
        return _Run(seconds, figures, ns, value, has_last)


# --------------------------------------------------------------------------- inputs


def _sample_inputs(base: dict, names: set[str], fraction: float, notes: list[str]) -> dict:
    """The large DataFrame/RDD inputs the code names, replaced by a deterministic sample (no job runs)."""
    out = dict(base)
    sampled, kept = [], []
    for name in sorted(names):
        v = base.get(name)
        kind = _kind(v)
        if kind == "df":
            size = _size_estimate(v)
            if size is not None and size < SAMPLE_KEEP_BYTES:
                kept.append(name)
                continue
            out[name] = v.sample(fraction=fraction, seed=SEED)
            sampled.append(name)
        elif kind == "rdd":
            out[name] = v.sample(False, fraction, SEED)
            sampled.append(name)
    if sampled:
        notes.append(f"both variants ran on the same {fraction:.0%} sample (seed {SEED}) of "
                     + ", ".join(f"`{n}`" for n in sampled)
                     + (f"; kept whole (small): {', '.join(f'`{n}`' for n in kept)}" if kept else ""))
    else:
        notes.append("--sample: the cell reads no large DataFrame or RDD defined before it: nothing sampled")
    return out


def _cell_caches(before: dict, after: dict | None) -> list[tuple[str, object, object]]:
    """(name, object, storage level) of caches the user's own run of the cell made (cached now, not before)."""
    out = []
    for name, obj in (after or {}).items():
        if name.startswith("_") or _kind(obj) is None or not _is_cached(obj):
            continue
        prev = before.get(name)
        if prev is obj and _kind(prev) is not None:
            continue  # an input cached before the cell: both variants read it alike
        try:
            lvl = obj.storageLevel if _kind(obj) == "df" else obj.getStorageLevel()
        except Exception:
            continue
        out.append((name, obj, lvl))
    return out


# --------------------------------------------------------------------------- the entry point


def measure(original: str, rewrite: str, before: dict, session=None, *, code: str = "", line: int | None = None,
            settings: MeasureSettings | None = None, after: dict | None = None,
            rewrite_info: dict | None = None) -> Measurement:
    """Run ``original`` and ``rewrite`` (Python code) alternately from the namespace ``before`` and compare.

    ``after``: the user's namespace after their own run of the cell (its caches are released
    for the measurement and marked again afterwards).  ``session``: the live SparkSession, if any.
    """
    from . import fingerprint, sinks

    s = settings or MeasureSettings()
    runs, warmup = max(1, int(s.runs)), max(0, int(s.warmup))
    notes: list[str] = []

    def result(status: str, variants=(), **kw) -> Measurement:
        return Measurement(code=code, line=line, status=status, variants=tuple(variants), runs=runs, warmup=warmup,
                           sample=s.sample, notes=tuple(dict.fromkeys(notes)), rewrite=rewrite_info, **kw)

    compiled = []
    for label, src in ((model.ORIGINAL, original), (model.REWRITE, rewrite)):
        red = sinks.redirect(src, before)
        if red.code is None:
            notes.append(f"not measured: the {label} {red.refused}" if red.refused else "not measured")
            return result(model.NOT_MEASURED, verdict="not measured")
        notes.extend(red.notes)
        try:
            compiled.append(_compile(red.code, label))
        except SyntaxError as exc:
            notes.append(f"not measured: the {label} does not compile: {_short(exc)}")
            return result(model.NOT_MEASURED, verdict="not measured")

    names = _names_used(original) | _names_used(rewrite)
    base = dict(before)
    if s.sample:
        base = _sample_inputs(base, names, float(s.sample), notes)
    state = _SessionState(session, [c.source for c in compiled])
    deadline = time.monotonic() + s.timeout if s.timeout else None
    watchdog = _Watchdog(session, deadline)
    runner = _Runner(base, session, s, watchdog, state, names)

    user_caches = _cell_caches(before, after)
    for name, obj, _lvl in user_caches:
        try:
            obj.unpersist(True) if _kind(obj) == "rdd" else obj.unpersist(blocking=True)
        except Exception:
            pass
    if user_caches:
        notes.append("the cell's own cache of " + ", ".join(f"`{n}`" for n, _, _ in user_caches)
                     + " was released for the measurement and marked again afterwards (it refills on next use)")

    times: dict[str, list[float]] = {model.ORIGINAL: [], model.REWRITE: []}
    figs: dict[str, list[Figures]] = {model.ORIGINAL: [], model.REWRITE: []}
    last: dict[str, _Run] = {}
    errors: dict[str, str] = {}
    status = model.DONE
    watchdog.start()
    try:
        order = ((model.ORIGINAL, compiled[0]), (model.REWRITE, compiled[1]))
        planned = warmup + runs
        i = 0
        while i < planned:
            for label, c in order:
                try:
                    r = runner.run(c)
                except _Stop:
                    raise
                except BaseException as exc:  # the measured code raised
                    errors[label] = _short(exc)
                    raise _Stop(model.FAILED) from None
                if i >= warmup:
                    times[label].append(r.seconds)
                    figs[label].append(r.figures)
                last[label] = r
            i += 1
            if (i == planned and s.confirm and planned == warmup + runs
                    and stats.confirm(times[model.ORIGINAL], times[model.REWRITE])):
                planned += runs  # a thin margin: more runs decide
                notes.append(f"the first {runs} runs each differed by a thin margin: {runs} more runs each were taken")
    except _Stop as stop:
        status = stop.status
    except KeyboardInterrupt:  # between runs (e.g. while reading a run's figures)
        watchdog.cancel()
        status = model.TIMEOUT if watchdog.fired else model.INTERRUPTED
    finally:
        watchdog.stop()
        state.restore()
        for name, obj, lvl in user_caches:
            try:
                obj.persist(lvl)
            except Exception:
                pass

    if runner.released:
        notes.append(f"caches the cell creates were released after every run ({runner.released} in all), "
                     "so neither variant rode on the other's cache")
    for n in runner.figure_notes:
        notes.append(f"Spark figures: {n}")
    if status == model.TIMEOUT:
        notes.append(f"stopped after {s.timeout:g} s (--timeout): the measurement's jobs were cancelled; "
                     "figures are those measured up to then")
    elif status == model.INTERRUPTED:
        notes.append("interrupted: the measurement's jobs were cancelled; figures are those measured up to then")

    variants = [Variant(label, tuple(times[label]), _median_figures(times[label], figs[label]), errors.get(label))
                for label in (model.ORIGINAL, model.REWRITE)]
    if status == model.FAILED:
        failed = next(iter(errors))
        return result(status, variants, verdict=f"the {failed} raised {errors[failed]}")

    same, difference = None, None
    if model.ORIGINAL in last and model.REWRITE in last and status == model.DONE:
        a, b = last[model.ORIGINAL], last[model.REWRITE]
        check = JobTag(session)
        try:
            with check:
                same, difference, cnotes = fingerprint.compare_namespaces(
                    fingerprint.bound_names(compiled[0].source), a.ns, b.ns,
                    a.last if a.has_last else fingerprint._MISSING, b.last if b.has_last else fingerprint._MISSING)
            notes.extend(cnotes)
        except Exception as exc:
            notes.append(f"results not compared: {_short(exc)}")

    ta, tb = times[model.ORIGINAL], times[model.REWRITE]
    speed = stats.speedup(ta, tb)
    if same is False:
        verdict = "changes the result: not an improvement"
    elif status != model.DONE and (not ta or not tb):
        verdict = "not measured to the end"
    else:
        verdict = stats.verdict(ta, tb)
        if status != model.DONE:
            verdict += " (so far)"
    return result(status, variants, speedup=speed, verdict=verdict, same_result=same, difference=difference)


def _median_figures(times: list[float], figs: list[Figures]) -> Figures:
    if not times:
        return Figures()
    order = sorted(range(len(times)), key=lambda i: times[i])
    return figs[order[len(order) // 2]]


class JobTag:
    """Tags the jobs of a block (the result check) so a user interrupt cancels exactly them."""

    def __init__(self, session):
        self.session = session
        self.capture = None

    def __enter__(self):
        if self.session is None:
            return self
        from ..capture.jobs import JobCapture

        self.capture = JobCapture(rest=False, settle=0.0)
        self.capture.start(self.session)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.capture is not None:
            if exc_type is KeyboardInterrupt:
                _cancel(self.session, self.capture.tag)
            try:
                self.capture.stop()
            except Exception:
                pass
        return False
