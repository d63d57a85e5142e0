"""The findings report as stock ipywidgets, for live notebooks.

:class:`FindingsView` is a ``VBox``: the summary line, an ``Accordion`` of the
findings (each opening to its why and its rewrite as a diff, with an "Insert
rewritten cell below" button, a "Measure" button and that rewrite's
measurements), a ``Tab`` with the plans and the lineages, and the notes.  Only
stock widgets are used, so no frontend extension is needed; the widgets can be
built and inspected without a frontend, and a measurement's chart is SVG in an
``HTML`` widget.  Every string from the report goes into ``HTML`` values
escaped, through :mod:`sparkcoach.views.html` and :mod:`sparkcoach.views.measure`.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as W

from . import html as H
from . import lineage_heading, plan_heading
from .measure import measurement_html
from .text import finding_line

INSERT_LABEL = "Insert rewritten cell below"
MEASURE_LABEL = "Measure"
MEASURING = "measuring\u2026"
MAX_ERROR = 300  # characters of an on_measure error shown


def _html(inner: str, style: bool = False) -> W.HTML:
    return W.HTML(value=H.wrap(inner, style=style))


def _summary(report: dict) -> W.HTML:
    # The one widget carrying the scoped <style>: it applies to the whole view.
    return _html(H.summary_html(report), style=True)


class FindingsView(W.VBox):
    """The full view of one report.  ``on_insert(cell_text)`` is called by a finding's
    "Insert rewritten cell below" button with the whole rewritten cell (the buttons are
    disabled when ``on_insert`` is None).  ``on_measure(finding_index)`` is called by a
    finding's "Measure" button and returns a measurement dict
    (``Measurement.to_dict()``), shown in the finding's panel and appended to
    ``report["measurements"]``; what it raises is shown as one line (the buttons are
    disabled when ``on_measure`` is None).  Measurements already in the report show
    under the finding of the same code and line."""

    def __init__(self, report: dict, on_insert: Callable[[str], object] | None = None,
                 on_measure: Callable[[int], dict] | None = None, **kwargs):
        self.report = report
        self.on_insert = on_insert
        self.on_measure = on_measure
        self.insert_buttons: dict[int, W.Button] = {}  # finding index -> its button
        self.insert_hints: dict[int, W.VBox] = {}  # finding index -> where a "copy this cell" hint appears
        self.measure_buttons: dict[int, W.Button] = {}  # finding index -> its "Measure" button
        self.measure_status: dict[int, W.HTML] = {}  # finding index -> its "measuring…" / error line
        self.measure_outputs: dict[int, W.VBox] = {}  # finding index -> its measurements, one HTML each
        findings = report.get("findings") or []
        measured, unmatched = _by_finding(findings, report.get("measurements") or [])

        self.summary = _summary(report)
        if findings:
            self.findings = W.Accordion(children=[self._finding(i, f, measured.get(i, []))
                                                  for i, f in enumerate(findings)],
                                        titles=tuple(finding_line(f) for f in findings))
        else:
            self.findings = _html('<div class="sc-clean">No findings.</div>')

        tabs, titles = [], []
        plans = report.get("plans") or []
        if plans:
            tabs.append(W.Accordion(children=[_html(H.plan_tree_html(p) + _explain(p)) for p in plans],
                                    titles=tuple(plan_heading(p) for p in plans)))
            titles.append(f"Plans ({len(plans)})")
        lineages = report.get("lineages") or []
        if lineages:
            tabs.append(W.Accordion(children=[_html(H.lineage_text_html(l)) for l in lineages],
                                    titles=tuple(lineage_heading(l) for l in lineages)))
            titles.append(f"Lineage ({len(lineages)})")
        self.tabs = W.Tab(children=tabs, titles=tuple(titles)) if tabs else None

        # Measurements of no finding in this report (none when the runner names the finding it measured).
        self.measurements = _html(H.measurements_html(unmatched)) if unmatched else None
        notes = H.notes_html(report)
        self.notes = _html(notes) if notes else None
        children = [c for c in (self.summary, self.findings, self.tabs, self.measurements, self.notes)
                    if c is not None]
        super().__init__(children=children, **kwargs)

    def _finding(self, i: int, f: dict, measured: list[dict]) -> W.VBox:
        parts: list[W.Widget] = [_html(H.finding_why(f))]
        rewrite = f.get("rewrite")
        if rewrite and rewrite.get("diff"):
            parts.append(_html(H.finding_rewrite(f)))
        if rewrite and rewrite.get("cell") is not None:
            button = W.Button(description=INSERT_LABEL, icon="plus", disabled=self.on_insert is None,
                              tooltip="Adds the rewritten cell below this one; the original stays as it is",
                              layout=W.Layout(width="auto"))
            cell_text = rewrite["cell"]

            hint = W.VBox(children=[])
            self.insert_hints[i] = hint

            def insert(_button, text=cell_text, box=hint):
                if self.on_insert is None:
                    return
                said = self.on_insert(text)
                if isinstance(said, str) and said:  # not inserted: say so and offer the cell to copy
                    box.children = (_html(f'<div class="sc-status">{H.esc(said)}</div>'),
                                    W.Textarea(value=text, rows=min(20, text.count("\n") + 1),
                                               layout=W.Layout(width="100%")))

            button.on_click(insert)
            self.insert_buttons[i] = button
            measure = W.Button(description=MEASURE_LABEL, icon="clock-o", disabled=self.on_measure is None,
                               tooltip="Runs the original cell and this rewrite alternately on the same data "
                                       "and compares their times, Spark figures and results",
                               layout=W.Layout(width="auto"))
            measure.on_click(lambda _button, index=i: self._measure(index))
            self.measure_buttons[i] = measure
            parts.append(W.HBox(children=[button, measure]))
            parts.append(hint)
        if i in self.measure_buttons or measured:
            self.measure_outputs[i] = W.VBox(children=[_html(measurement_html(m)) for m in measured])
            self.measure_status[i] = W.HTML(value="")
            parts += [self.measure_outputs[i], self.measure_status[i]]
        return W.VBox(children=parts)

    def _measure(self, i: int) -> None:
        """The "Measure" button of finding ``i``: measure, show the measurement, keep it in the report."""
        if self.on_measure is None:
            return
        button, status, outputs = self.measure_buttons[i], self.measure_status[i], self.measure_outputs[i]
        button.disabled = True
        status.value = H.wrap(f'<div class="sc-status">{MEASURING}</div>', style=False)
        try:
            m = self.on_measure(i)
            if not isinstance(m, dict):
                raise TypeError(f"on_measure returned {type(m).__name__}, not a measurement")
            shown = _html(measurement_html(m))
        except (Exception, KeyboardInterrupt) as exc:
            status.value = H.wrap(f'<div class="sc-error">{H.esc(_one_line(exc))}</div>', style=False)
        else:
            outputs.children = (*outputs.children, shown)
            self.report.setdefault("measurements", []).append(m)
            status.value = ""
        finally:
            button.disabled = False


def _by_finding(findings: list[dict], measurements: list[dict]) -> tuple[dict[int, list[dict]], list[dict]]:
    """The measurements under the first finding of the same code and line, and those of no finding."""
    first: dict[tuple, int] = {}
    for i, f in enumerate(findings):
        first.setdefault((f.get("code"), f.get("line")), i)
    placed: dict[int, list[dict]] = {}
    unmatched = []
    for m in measurements:
        i = first.get((m.get("code"), m.get("line")))
        if i is None:
            unmatched.append(m)
        else:
            placed.setdefault(i, []).append(m)
    return placed, unmatched


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "measurement interrupted"
    lines = str(exc).strip().splitlines()
    text = f"measurement failed: {type(exc).__name__}" + (f": {lines[0]}" if lines else "")
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "\u2026"


def _explain(plan: dict) -> str:
    if not plan.get("text"):
        return ""
    return f"<details><summary>explain text</summary>{H.explain_html(plan)}</details>"


def compact(report: dict) -> W.VBox:
    """The summary and one line per finding (severity, code, title, line), for the ``auto`` mode."""
    children: list[W.Widget] = [_summary(report)]
    findings = report.get("findings") or []
    if findings:
        children.append(_html('<ul class="sc-compact">' + "".join(f"<li>{H.finding_head(f)}</li>" for f in findings)
                              + "</ul>"))
    return W.VBox(children=children)
