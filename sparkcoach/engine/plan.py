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

    def report(self, message: str, line: int | None = None, fix: Fix | None = None, key: object = None) -> None:
        """Report the current rule, at ``line`` of the cell (default: the line that built the
        DataFrame or RDD being checked).  ``key`` de-duplicates repeats of one problem."""
        rule = self.rule
        if rule is None:
            return
        if line is None:
            line = (self.plan.line if self.plan else self.lineage.line if self.lineage else None) or 1
        dedup = (rule.code, key if key is not None else message)
        if dedup in self._seen:
            return
        self._seen.add(dedup)
        self.findings.append(Finding(rule.code, rule.name, rule.severity, message, self.path, line, 1, line, 1,
                                     cell=self.cell, fix=fix, doc=rule.why))


def check_run(run: CellRun, rules: Iterable[Rule], *, settings: PlanSettings | None = None, path: str = "<cell>",
              cell: int | None = None, static: Iterable[Finding] = ()) -> list[Finding]:
    """Findings of the plan, lineage and runtime rules over one captured cell run."""
    ctx = PlanContext(run, settings or PlanSettings(), path, cell, static)
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
    for plan in run.plans:
        ctx.plan, ctx.lineage = plan, None
        ctx.parents = {}
        for node in plan.root.walk():
            for c in node.children:
                ctx.parents[id(c)] = node
        for node in plan.root.walk():
            for r in plan_rules.get(node.operator, []) + plan_rules.get("*", []):
                ctx.rule = r
                _guard(r, node, ctx)
    ctx.plan = None
    for lineage in run.lineages:
        ctx.lineage = lineage
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
