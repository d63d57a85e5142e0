"""Measuring the rewrites of one ``%%sparklint`` cell: which findings, which code, which namespace.

The magic keeps, for its last few cells, the namespace as it was before the cell ran
(``Snapshot``); ``--measure`` and the view's "Measure" button both end here.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .model import NOT_MEASURED, Measurement
from .runner import MeasureSettings, measure

MAX_PER_CELL = 5  # --measure measures at most this many rewrites of one cell
KEEP = 5  # snapshots kept for the "Measure" button (the last cells run under %%sparklint)


@dataclass
class Snapshot:
    """What a measurement of one cell needs, kept after the cell ran."""

    cell: str  # the whole cell, with its %%sparklint line
    before: dict  # shallow copy of the user's namespace before the cell ran
    after: dict | None  # shallow copy after it ran (to find the caches it made)
    session: object | None  # the live SparkSession the cell used


class Snapshots:
    """The last ``KEEP`` cells' snapshots, by key (the view holds the key, not the namespace)."""

    def __init__(self, keep: int = KEEP):
        self.keep = keep
        self._items: OrderedDict[int, Snapshot] = OrderedDict()
        self._next = 0

    def add(self, snap: Snapshot) -> int:
        self._next += 1
        self._items[self._next] = snap
        while len(self._items) > self.keep:
            self._items.popitem(last=False)
        return self._next

    def get(self, key: int) -> Snapshot | None:
        return self._items.get(key)

    def clear(self) -> None:
        self._items.clear()


def body_of(cell: str) -> str:
    """The code under a ``%%sparklint ...`` line."""
    if cell.lstrip().startswith("%%"):
        return cell.split("\n", 1)[1] if "\n" in cell else ""
    return cell


def python_of(shell, body: str) -> str:
    """IPython syntax (``%time``, ``!ls``) made Python, as the shell would run it."""
    if shell is not None:
        try:
            return shell.transform_cell(body)
        except Exception:
            pass
    return body


def measurable(finding: dict) -> bool:
    rewrite = finding.get("rewrite")
    return bool(rewrite and rewrite.get("cell") is not None)


def measure_finding(shell, snap: Snapshot, finding: dict, settings: MeasureSettings) -> Measurement:
    """Measure the original cell against the rewrite attached to ``finding`` (a report finding dict)."""
    code, line = finding.get("code", ""), finding.get("line")
    rewrite = finding.get("rewrite")
    if not measurable(finding):
        return Measurement(code=code, line=line, status=NOT_MEASURED, verdict="not measured",
                           notes=("this finding has no rewrite to measure",))
    original = python_of(shell, body_of(snap.cell))
    rewritten = python_of(shell, body_of(rewrite["cell"]))
    if original == rewritten:
        return Measurement(code=code, line=line, status=NOT_MEASURED, verdict="not measured",
                           notes=("the rewrite leaves the code as it is",), rewrite=rewrite)
    return measure(original, rewritten, snap.before, snap.session, code=code, line=line, settings=settings,
                   after=snap.after, rewrite_info=rewrite)


def measure_report(shell, snap: Snapshot, report: dict, settings: MeasureSettings) -> list[Measurement]:
    """``--measure``: every finding of the report that has a rewrite (at most MAX_PER_CELL)."""
    out: list[Measurement] = []
    seen: set[str] = set()
    for f in report.get("findings") or ():
        if not measurable(f) or len(out) >= MAX_PER_CELL:
            continue
        cell = f["rewrite"]["cell"]
        if cell in seen:
            continue  # two findings, one rewrite: measured once
        seen.add(cell)
        out.append(measure_finding(shell, snap, f, settings))
    return out
