"""The plan and lineage model every capture path produces and every plan rule reads.

A classic session's plan is walked through the JVM; a Spark Connect session's
``explain`` text is parsed; both give the same :class:`PlanNode` tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlanNode:
    operator: str  # "SortMergeJoin", "BroadcastExchange", "Exchange", "FileScan", "BatchEvalPython", ...
    args: str = ""  # the rest of the node's one-line description (join keys, partitioning, ...)
    children: tuple["PlanNode", ...] = ()
    size: int | None = None  # estimated size in bytes (optimized logical plan statistics), when known
    rows: int | None = None  # estimated row count, when known
    id: int | None = None  # the operator id in `explain("formatted")`, when known
    details: dict = field(default_factory=dict, compare=False, hash=False)  # e.g. {"Join type": "Inner"}

    def walk(self):
        """This node and every node below it, depth first, parents before children."""
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    def to_dict(self) -> dict:
        return {"operator": self.operator, "args": self.args, "size": self.size, "rows": self.rows, "id": self.id,
                "details": dict(self.details), "children": [c.to_dict() for c in self.children]}


@dataclass(frozen=True)
class CapturedPlan:
    """One DataFrame's plan as captured after the cell ran."""

    name: str  # the user's variable name ("joined") or an expression
    line: int | None  # the cell line that built it (1-based), when known
    root: PlanNode  # the physical plan
    source: str  # "jvm" | "explain"
    adaptive: bool = False  # under AdaptiveSparkPlan
    final: bool = False  # AQE's isFinalPlan=true (the plan that actually ran)
    text: str = ""  # the explain text, for the view


@dataclass(frozen=True)
class RddNode:
    name: str  # "ShuffledRDD", "PythonRDD", "MapPartitionsRDD", ...
    id: int | None  # RDD id ([12])
    call: str  # the call site: "groupByKey at <cell>:3"
    partitions: int | None
    stage: int  # 0 for the last stage; each shuffle boundary adds one going up the lineage
    line: int | None  # the line of the user's code named in the call site, when it names the cell/file
    file: str | None  # the file named in the call site


@dataclass(frozen=True)
class CapturedLineage:
    name: str
    line: int | None
    nodes: tuple[RddNode, ...]  # in toDebugString order (the RDD itself first)
    text: str = ""

    @property
    def shuffles(self) -> tuple[RddNode, ...]:
        return tuple(n for n in self.nodes if n.name in ("ShuffledRDD", "CoGroupedRDD", "SubtractedRDD"))


@dataclass(frozen=True)
class StageMetrics:
    stage_id: int
    attempt: int
    name: str
    tasks: int
    duration_s: float | None  # stage wall time
    task_max_s: float | None
    task_median_s: float | None
    shuffle_read_bytes: int | None
    shuffle_write_bytes: int | None
    memory_spilled_bytes: int | None
    disk_spilled_bytes: int | None
    input_bytes: int | None = None


@dataclass(frozen=True)
class JobMetrics:
    job_id: int
    status: str
    stages: tuple[StageMetrics, ...]
    duration_s: float | None = None


@dataclass(frozen=True)
class QueryMetrics:
    """One SQL query (a Spark SQL execution, a row of the Spark UI's SQL tab) the cell's jobs ran for."""

    execution_id: int
    description: str  # its first line, at most 200 characters ("count at <cell>:3", a SQL text, ...)
    status: str  # "COMPLETED" | "FAILED" | "RUNNING"
    duration_s: float | None  # None while it runs
    job_ids: tuple[int, ...]  # every job the query ran, in id order


@dataclass(frozen=True)
class CellRun:
    """Everything captured for one cell run."""

    wall_s: float
    jobs: tuple[JobMetrics, ...] = ()
    plans: tuple[CapturedPlan, ...] = ()
    lineages: tuple[CapturedLineage, ...] = ()
    sources: tuple[str, ...] = ()  # which figures came from where: "status tracker", "REST API", ...
    notes: tuple[str, ...] = ()  # one line each: what could not be captured and why
    spark: str = "none"  # "classic local", "classic cluster", "connect", "none"
    conf: dict = field(default_factory=dict)  # settings plan rules need (AQE, thresholds, driver memory)
    queries: tuple[QueryMetrics, ...] = ()  # the SQL queries the cell's jobs belong to


def job_totals(jobs) -> dict:
    """Figures summed over the jobs' stages: ``stages``, ``tasks``, shuffle read/write bytes, ``spill_bytes``
    and the longest task (``peak_task_s``); a figure no stage knows is None.  Spark counts spilled data
    twice (its size in memory and on disk): the disk figure, what was written, is the spill."""
    stages = [s for j in jobs for s in j.stages]

    def total(attr):
        vals = [getattr(s, attr) for s in stages if getattr(s, attr) is not None]
        return sum(vals) if vals else None

    peaks = [s.task_max_s for s in stages if s.task_max_s is not None]
    return {"stages": len(stages), "tasks": sum(s.tasks for s in stages),
            "shuffle_read_bytes": total("shuffle_read_bytes"), "shuffle_write_bytes": total("shuffle_write_bytes"),
            "spill_bytes": total("disk_spilled_bytes"), "peak_task_s": max(peaks) if peaks else None}
