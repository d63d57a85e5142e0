"""Rules over what a cell built and ran: physical plans, RDD lineage, job metrics.

One walk per captured plan dispatches each node to the plan rules that named its
operator; lineage rules see each captured lineage; runtime rules see each stage.
Pure Python over :mod:`sparkcoach.capture.model`: never imports pyspark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..capture.model import CapturedLineage, CapturedPlan, CellRun, PlanNode, StageMetrics
from ..findings import Finding, Fix
from ..rules.base import Rule


@dataclass
class PlanSettings:
    broadcast_threshold: int = 100 * 1024 * 1024  # SPK350: a side this small could be broadcast
    broadcast_too_large: int = 1024 * 1024 * 1024  # SPK352
    broadcast_driver_share: float = 0.25  # SPK352: of driver memory
    skew_min_task_s: float = 5.0  # SPK260
    skew_ratio: float = 10.0
    tiny_task_count: int = 2000  # SPK262
    tiny_task_median_s: float = 0.1
    extra: dict = field(default_factory=dict)


class PlanContext:
    """What a plan, lineage or runtime rule sees as ``ctx``."""

    def __init__(self, run: CellRun, settings: PlanSettings, path: str, cell: int | None,
                 static: Iterable[Finding] = ()):
        self.run = run
        self.settings = settings
        self.path = path
        self.cell = cell
        self.static = tuple(static)  # the cell's static findings (e.g. SPK405 names a UDF's built-in)
        self.findings: list[Finding] = []
        self.rule: Rule | None = None
        self.plan: CapturedPlan | None = None
        self.lineage: CapturedLineage | None = None
        self.parents: dict[int, PlanNode] = {}
        self.node: PlanNode | None = None  # the plan node being checked
        self.paths: dict[int, tuple[int, ...]] = {}  # id(node) -> its path of child indexes in ctx.plan
        self.marks = Marks()
        self._plan_index = -1
        self._lineage_index = -1
        self._seen: set[tuple] = set()

    @property
    def conf(self) -> dict:
        return self.run.conf

    def parent(self, node: PlanNode) -> PlanNode | None:
        return self.parents.get(id(node))

    def ancestors(self, node: PlanNode):
        p = self.parent(node)
        while p is not None:
            yield p
            p = self.parent(p)

    def report(self, message: str, line: int | None = None, fix: Fix | None = None, key: object = None,
               node: PlanNode | None = None, rdd: int | None = None) -> None:
        """Report the current rule, at ``line`` of the cell (default: the line that built the
        DataFrame or RDD being checked).  ``key`` de-duplicates repeats of one problem.

        The plan node being checked is marked as flagged in the views (``node``: mark another
        node of the same plan instead); ``rdd``: the id of the RDD to mark in a lineage."""
        rule = self.rule
        if rule is None:
            return
        if self.plan is not None:
            path = self.paths.get(id(node if node is not None else self.node))
            if path is not None:
                self.marks.plans.setdefault(self._plan_index, {}).setdefault(path, set()).add(rule.code)
        if self.lineage is not None and rdd is not None:
            self.marks.lineages.setdefault(self._lineage_index, set()).add(int(rdd))
        if line is None:
            line = (self.plan.line if self.plan else self.lineage.line if self.lineage else None) or 1
        dedup = (rule.code, key if key is not None else message)
        if dedup in self._seen:
            return
        self._seen.add(dedup)
        self.findings.append(Finding(rule.code, rule.name, rule.severity, message, self.path, line, 1, line, 1,
                                     cell=self.cell, fix=fix, doc=rule.why))


@dataclass
class Marks:
    """What the findings point at, for the views: per captured plan (by index in ``run.plans``)
    the flagged nodes' paths (child indexes from the root) with the codes that flagged them; per
    captured lineage (by index in ``run.lineages``) the flagged RDD ids."""

    plans: dict[int, dict[tuple[int, ...], set[str]]] = field(default_factory=dict)
    lineages: dict[int, set[int]] = field(default_factory=dict)


def _paths(root: PlanNode) -> dict[int, tuple[int, ...]]:
    out: dict[int, tuple[int, ...]] = {}
    stack: list[tuple[PlanNode, tuple[int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        out.setdefault(id(node), path)
        stack.extend((c, path + (i,)) for i, c in enumerate(node.children))
    return out


def check_run(run: CellRun, rules: Iterable[Rule], *, settings: PlanSettings | None = None, path: str = "<cell>",
              cell: int | None = None, static: Iterable[Finding] = (), marks: Marks | None = None) -> list[Finding]:
    """Findings of the plan, lineage and runtime rules over one captured cell run
    (``marks``, when given, receives the plan nodes and RDDs the findings point at)."""
    ctx = PlanContext(run, settings or PlanSettings(), path, cell, static)
    if marks is not None:
        ctx.marks = marks
    plan_rules: dict[str, list[Rule]] = {}
    lineage_rules: list[Rule] = []
    runtime_rules: list[Rule] = []
    for r in rules:
        if r.kind == "plan":
            for op in r.targets:
                plan_rules.setdefault(op, []).append(r)
        elif r.kind == "lineage":
            lineage_rules.append(r)
        elif r.kind == "runtime":
            runtime_rules.append(r)
    for index, plan in enumerate(run.plans):
        ctx.plan, ctx.lineage, ctx._plan_index = plan, None, index
        ctx.parents = {}
        ctx.paths = _paths(plan.root)
        for node in plan.root.walk():
            for c in node.children:
                ctx.parents[id(c)] = node
        for node in plan.root.walk():
            ctx.node = node
            for r in plan_rules.get(node.operator, []) + plan_rules.get("*", []):
                ctx.rule = r
                _guard(r, node, ctx)
    ctx.plan, ctx.node, ctx.paths = None, None, {}
    for index, lineage in enumerate(run.lineages):
        ctx.lineage, ctx._lineage_index = lineage, index
        for r in lineage_rules:
            ctx.rule = r
            _guard(r, lineage, ctx)
    ctx.lineage = None
    for job in run.jobs:
        for stage in job.stages:
            for r in runtime_rules:
                ctx.rule = r
                _guard(r, stage, ctx)
    return sorted(ctx.findings, key=Finding.sort_key)


def _guard(rule: Rule, subject, ctx: PlanContext) -> None:
    import os

    try:
        rule.check(subject, ctx)
    except Exception:
        if os.environ.get("SPARKCOACH_STRICT"):
            raise
