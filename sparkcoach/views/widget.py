"""The findings report as stock ipywidgets, for live notebooks.

:class:`FindingsView` is a ``VBox``: the summary line, an ``Accordion`` of the
findings (each opening to its why and its rewrite as a diff, with an "Insert
rewritten cell below" button), a ``Tab`` with the plans and the lineages, and
the notes.  Only stock widgets are used, so no frontend extension is needed;
the widgets can be built and inspected without a frontend.  Every string from
the report goes into ``HTML`` values escaped, through :mod:`sparkcoach.views.html`.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as W

from . import html as H
from . import lineage_heading, plan_heading
from .text import finding_line

INSERT_LABEL = "Insert rewritten cell below"


def _html(inner: str, style: bool = False) -> W.HTML:
    return W.HTML(value=H.wrap(inner, style=style))


def _summary(report: dict) -> W.HTML:
    # The one widget carrying the scoped <style>: it applies to the whole view.
    return _html(H.summary_html(report), style=True)


class FindingsView(W.VBox):
    """The full view of one report.  ``on_insert(cell_text)`` is called by a finding's
    "Insert rewritten cell below" button with the whole rewritten cell (the buttons are
    disabled when ``on_insert`` is None)."""

    def __init__(self, report: dict, on_insert: Callable[[str], object] | None = None, **kwargs):
        self.report = report
        self.on_insert = on_insert
        self.insert_buttons: dict[int, W.Button] = {}  # finding index -> its button
        findings = report.get("findings") or []

        self.summary = _summary(report)
        if findings:
            self.findings = W.Accordion(children=[self._finding(i, f) for i, f in enumerate(findings)],
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

        notes = H.notes_html(report)
        self.notes = _html(notes) if notes else None
        children = [c for c in (self.summary, self.findings, self.tabs, self.notes) if c is not None]
        super().__init__(children=children, **kwargs)

    def _finding(self, i: int, f: dict) -> W.VBox:
        parts: list[W.Widget] = [_html(H.finding_why(f))]
        rewrite = f.get("rewrite")
        if rewrite and rewrite.get("diff"):
            parts.append(_html(H.finding_rewrite(f)))
        if rewrite and rewrite.get("cell") is not None:
            button = W.Button(description=INSERT_LABEL, icon="plus", disabled=self.on_insert is None,
                              tooltip="Adds the rewritten cell below this one; the original stays as it is",
                              layout=W.Layout(width="auto"))
            cell_text = rewrite["cell"]

            def insert(_button, text=cell_text):
                if self.on_insert is not None:
                    self.on_insert(text)

            button.on_click(insert)
            self.insert_buttons[i] = button
            parts.append(button)
        return W.VBox(children=parts)


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
