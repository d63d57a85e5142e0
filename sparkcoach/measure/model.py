"""What a measurement records: per variant the timed runs and Spark figures, then the verdict.

Plain frozen records (never imports pyspark); ``to_dict`` gives the
``measurements[]`` entries of the findings bundle (see ``schema/findings.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORIGINAL, REWRITE = "original", "rewrite"

# Measurement.status values
DONE = "done"  # every planned run finished
TIMEOUT = "timeout"  # stopped by --timeout: figures up to then
INTERRUPTED = "interrupted"  # stopped by a kernel interrupt: figures up to then
NOT_MEASURED = "not measured"  # refused before running (e.g. a side effect that cannot be redirected)
FAILED = "failed"  # a variant raised


@dataclass(frozen=True)
class Figures:
    """Spark figures of one run (None: not known)."""

    jobs: int | None = None
    stages: int | None = None
    tasks: int | None = None
    shuffle_read_bytes: int | None = None
    shuffle_write_bytes: int | None = None
    spill_bytes: int | None = None
    peak_task_s: float | None = None


@dataclass(frozen=True)
class Variant:
    label: str  # "original" | "rewrite"
    times_s: tuple[float, ...]  # wall time of each timed run, in run order (warm-up excluded)
    figures: Figures = Figures()  # of the median run (None fields when unknown)
    error: str | None = None  # one line: what the variant raised, when it failed

    @property
    def median_s(self) -> float | None:
        from .stats import median

        return median(self.times_s) if self.times_s else None

    @property
    def spread_s(self) -> tuple[float, float] | None:
        return (min(self.times_s), max(self.times_s)) if self.times_s else None

    def to_dict(self) -> dict:
        spread = self.spread_s
        return {"label": self.label, "times_s": list(self.times_s), "median_s": self.median_s,
                "spread_s": list(spread) if spread else None, "error": self.error,
                **{k: getattr(self.figures, k) for k in Figures.__dataclass_fields__}}


@dataclass(frozen=True)
class Measurement:
    code: str  # the finding's code
    line: int | None  # the finding's line in the cell
    status: str  # DONE, TIMEOUT, INTERRUPTED, NOT_MEASURED, FAILED
    variants: tuple[Variant, ...] = ()  # original first, then the rewrite
    runs: int = 3  # timed runs planned per variant
    warmup: int = 1
    sample: float | None = None  # --sample fraction, when the inputs were sampled
    speedup: float | None = None  # original median / rewrite median
    verdict: str = ""  # "2.7× faster", "no measurable difference", "1.4× slower", "changes the result", ...
    same_result: bool | None = None  # None: not checked (e.g. not measured)
    difference: str | None = None  # how the results differ, when they do
    notes: tuple[str, ...] = ()  # caches released, sinks redirected, inputs sampled, why not measured, ...
    rewrite: dict | None = field(default=None, compare=False)  # {"diff": ..., "cell": ...}

    def to_dict(self) -> dict:
        return {"code": self.code, "line": self.line, "status": self.status, "runs": self.runs,
                "warmup": self.warmup, "sample": self.sample,
                "variants": [v.to_dict() for v in self.variants], "speedup": self.speedup,
                "verdict": self.verdict, "same_result": self.same_result, "difference": self.difference,
                "notes": list(self.notes), "rewrite": self.rewrite}
