"""The coach's work for one cell: run it once, capture what it built and ran, find, report.

The magics call :func:`run_cell` / :func:`analyse`; views get the report dict this builds.
Any failure of the coach's own becomes a note, never an exception over the user's result.
"""

from __future__ import annotations

import ast
import difflib
import time
from dataclasses import dataclass, field, replace

from . import registry
from .capture.model import CapturedLineage, CapturedPlan, CellRun, job_totals
from .engine.lint import Settings, lint_cell
from .engine.plan import PlanSettings
from .findings import Finding


@dataclass
class CoachSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    broadcast_threshold: int = 100 * 1024 * 1024
    ui_timeout: float = 2.0
    history: int = 50  # earlier cells read for names they define
    spark_ui: str = ""  # the Spark UI's address ("http://host:4040"); "" = the session's own, or a guess
    runtime: PlanSettings = field(default_factory=PlanSettings)  # the runtime rules' thresholds


@dataclass
class CellResult:
    cell: str  # the cell as the user wrote it (with its %%sparklint line)
    findings: list[Finding]
    run: CellRun | None
    notes: list[str] = field(default_factory=list)
    marks: object = None  # engine.plan.Marks: the plan nodes and RDDs the findings point at
    measurements: list = field(default_factory=list)  # measure.model.Measurement, one per measured rewrite


def static_findings(cell: str, previous: list[str], settings: CoachSettings) -> list[Finding]:
    return lint_cell(cell, previous=previous[-settings.history:], settings=Settings(settings.select, settings.ignore))


def _selected(settings: CoachSettings, kinds: tuple[str, ...]):
    return [r for r in registry.selected(settings.select, settings.ignore) if r.kind in kinds]


def capture(info, user_ns: dict, before: dict, body: str, line_offset: int, filename: str | None,
            wall_s: float, jobs, job_sources, job_notes, notes: list[str], queries=()) -> CellRun:
    """Plans and lineage of the DataFrames/RDDs the cell touched (no Spark job is started)."""
    from .capture.namespace import touched
    from .capture.session import session_conf

    plans: list[CapturedPlan] = []
    lineages: list[CapturedLineage] = []
    if info.live:
        for name, obj, line in touched(before, user_ns, body, line_offset):
            kind = type(obj).__name__
            try:
                if kind == "DataFrame":
                    from .capture.plan import plan_of

                    plans.append(plan_of(obj, name, line))
                elif kind in ("RDD", "PipelinedRDD"):
                    from .capture.lineage import lineage_of

                    lin = lineage_of(obj, name, line)
                    lineages.append(_cell_lines(lin, filename, line_offset))
            except Exception as exc:  # one DataFrame's plan is not worth the user's output
                notes.append(f"could not capture the plan of `{name}`: {type(exc).__name__}: {exc}"[:200])
    conf = session_conf(info)
    return CellRun(wall_s=wall_s, jobs=tuple(jobs), plans=tuple(plans), lineages=tuple(lineages),
                   sources=tuple(job_sources), notes=tuple(job_notes) + tuple(notes), spark=info.kind, conf=conf,
                   queries=tuple(queries))


def _cell_lines(lin: CapturedLineage, filename: str | None, line_offset: int) -> CapturedLineage:
    """Call sites in this cell's code get the cell's own line numbers."""
    if not filename:
        return lin
    nodes = tuple(replace(n, file="<cell>", line=n.line + line_offset) if n.file == filename and n.line else n
                  for n in lin.nodes)
    return replace(lin, nodes=nodes)


def runtime_findings(run: CellRun, settings: CoachSettings, static: list[Finding], cell_index: int | None,
                     marks=None):
    """The plan, lineage and runtime rules' findings (``marks``: an ``engine.plan.Marks`` to fill)."""
    from .engine.plan import check_run

    rules = _selected(settings, ("plan", "lineage", "runtime"))
    plan_settings = replace(settings.runtime, broadcast_threshold=settings.broadcast_threshold)
    found = check_run(run, rules, settings=plan_settings, path="<cell>", cell=cell_index, static=static, marks=marks)
    return found


def new_marks():
    from .engine.plan import Marks

    return Marks()


def merge(static: list[Finding], dynamic: list[Finding]) -> list[Finding]:
    seen = {(f.code, f.line) for f in static}
    return sorted(static + [f for f in dynamic if (f.code, f.line) not in seen],
                  key=lambda f: (f.line, f.code))


# ------------------------------------------------------------------ the report the views render
def rewrite_of(cell: str, f: Finding) -> dict | None:
    if f.fix is None:
        return None
    from .engine.cells import cell_to_python
    from .fixes import apply_fixes

    def parses(text: str) -> bool:
        code = cell_to_python(text)
        if code.python is None:
            return False
        try:
            ast.parse(code.python)
            return True
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return False

    new, applied = apply_fixes(cell, [f], unsafe=True, parses=parses)
    if not applied:
        return None
    diff = "".join(difflib.unified_diff(cell.splitlines(keepends=True), new.splitlines(keepends=True),
                                        "cell", "rewritten", n=1))
    return {"diff": diff, "cell": new}


def report(result: CellResult, execution_count: int | None = None) -> dict:
    run = result.run
    findings = []
    titles = {}
    for f in result.findings:
        if f.code not in titles:
            try:
                titles[f.code] = registry.get(f.code).summary
            except KeyError:
                titles[f.code] = f.name
        d = f.to_dict()
        d["title"] = titles[f.code]
        d["rewrite"] = rewrite_of(result.cell, f)
        findings.append(d)
    counts = {s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "info")}
    totals = job_totals(run.jobs) if run else {}
    summary = {
        **counts,
        "wall_s": run.wall_s if run else None,
        "jobs": len(run.jobs) if run else None,
        "queries": len(run.queries) if run else None,
        "stages": totals.get("stages"),
        "tasks": totals.get("tasks"),
        "shuffle_read_bytes": totals.get("shuffle_read_bytes"),
        "shuffle_write_bytes": totals.get("shuffle_write_bytes"),
        "spill_bytes": totals.get("spill_bytes"),
        "sources": list(run.sources) if run else [],
        # the run's notes repeat the cell's: each once
        "notes": list(dict.fromkeys(list(result.notes) + (list(run.notes) if run else []))),
        "spark": run.spark if run else "not run",
    }
    marks = result.marks
    shown = {f.code for f in result.findings}
    plans = []
    for i, p in enumerate(run.plans if run else ()):
        flagged = []
        for path, codes in sorted((marks.plans.get(i, {}) if marks else {}).items()):
            codes = sorted(c for c in codes if c in shown)
            if codes:
                node = _at(p.root, path)
                entry = {"path": list(path), "codes": codes}
                if node is not None and node.id is not None:
                    entry["id"] = node.id
                flagged.append(entry)
        plans.append({"name": p.name, "line": p.line, "text": p.text, "tree": p.root.to_dict(),
                      "flagged": flagged, "adaptive": p.adaptive, "final": p.final, "source": p.source})
    lineages = []
    for i, l in enumerate(run.lineages if run else ()):
        entry = {"name": l.name, "line": l.line, "text": l.text,
                 "nodes": [{"name": n.name, "id": n.id, "call": n.call, "partitions": n.partitions,
                            "stage": n.stage, "line": n.line, "file": n.file} for n in l.nodes]}
        rdds = sorted(marks.lineages.get(i, ())) if marks else []
        if rdds:
            entry["flagged"] = rdds
        lineages.append(entry)
    return {"version": 1,
            "cell": {"source": result.cell, "index": None, "execution_count": execution_count},
            "summary": summary, "findings": findings, "plans": plans, "lineages": lineages,
            "measurements": [m.to_dict() for m in result.measurements]}


def _at(root, path):
    node = root
    for i in path:
        if i >= len(node.children):
            return None
        node = node.children[i]
    return node


def now() -> float:
    return time.perf_counter()
