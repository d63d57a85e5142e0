"""The coach inline in JupyterLab, end to end: a real ``jupyter lab``, a real kernel with local Spark,
and Debian's Chromium driven by Playwright.

One notebook walks what a user does: the ``groupByKey().mapValues(sum)`` line is underlined as soon
as the notebook opens (lint as you type, nothing run); the hover names the rule and offers the fix;
the fix rewrites the line to ``reduceByKey`` and one undo puts it back; running a ``%%sparklint``
cell shows the findings view under the cell with the user's own output kept; "Measure" proves the
rewrite; the side panel lists the notebook's findings and its switch turns a rule off.
Screenshots go to tests/output/e2e/ (the README's come from here).
"""

from __future__ import annotations

import pytest

from lab import browser, console, lab, open_notebook, page, run_all_cells, screenshot  # noqa: F401

pytestmark = pytest.mark.e2e

SETUP = """from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "4").getOrCreate()
sc = spark.sparkContext
%load_ext sparkcoach"""

GROUPED = """rdd = sc.parallelize([("a", 1), ("b", 2), ("a", 3)], 2)
counts = rdd.groupByKey().mapValues(sum)"""

LINTED = """%%sparklint
pairs = sc.parallelize([("x", 1), ("y", 2), ("x", 5)], 2)
totals = sorted(pairs.groupByKey().mapValues(sum).collect())
totals"""


def _source(page, index: int) -> str:
    return page.evaluate("i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.sharedModel.getSource()",
                         index)


def _underline(page, cell: int, code: str):
    return page.locator(".jp-Notebook .jp-Cell").nth(cell).locator(f".cm-lintRange.jp-sparkcoach-{code}")


def test_the_coach_inline_in_a_notebook(lab, page, console):
    lab.write_notebook("coach.ipynb", [SETUP, GROUPED, LINTED])
    open_notebook(page, lab, "coach.ipynb")

    # 1. lint as you type: underlined without running anything
    line = _underline(page, 1, "SPK201")
    line.wait_for()
    assert line.inner_text() == "groupByKey().mapValues(sum)"
    assert "cm-lintRange-warning" in (line.get_attribute("class") or "")
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.executionCount") is None

    # 2. the hover: rule, message, why and the quick fix
    line.hover()
    tip = page.locator(".cm-tooltip-lint")
    tip.wait_for()
    text = tip.inner_text()
    assert "SPK201" in text and "group-by-key" in text and "reduceByKey" in text, text
    fix = tip.locator("button.cm-diagnosticAction.jp-sparkcoach-fix")
    assert fix.inner_text().startswith("Fix"), fix.inner_text()
    screenshot(page, "inline-diagnostics")

    # 3. the fix rewrites the cell; one undo step puts it back
    fix.click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets[1]"
                           ".model.sharedModel.getSource().includes('reduceByKey')")
    fixed = _source(page, 1)
    assert "groupByKey" not in fixed and "rdd.reduceByKey(" in fixed, fixed
    page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".cm-content").click()
    page.keyboard.press("Control+z")
    page.wait_for_function("src => window.jupyterapp.shell.currentWidget.content.widgets[1]"
                           ".model.sharedModel.getSource() === src", arg=GROUPED)
    _underline(page, 1, "SPK201").wait_for()  # checked again after the undo

    # 4. a %%sparklint run: the findings view under the cell, the user's own output kept
    run_all_cells(page)
    out = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-OutputArea")
    view = out.locator(".sparkcoach-view")
    view.locator(".sparkcoach-view-finding[data-code=SPK201]").wait_for()
    assert "[('x', 6), ('y', 2)]" in out.inner_text()
    # runtime findings are underlined in the run cell too (the magic line counts as line 1)
    assert _underline(page, 2, "SPK201").first.inner_text().startswith("groupByKey()")
    assert not [e for e in console.errors if "sparkcoach" in e.lower()], console.dump()

    # 5. "Measure": original and rewrite run on the kernel, same result
    finding = view.locator(".sparkcoach-view-finding[data-code=SPK201]")
    finding.locator("button.sparkcoach-view-measure").click()
    measurement = finding.locator(".sparkcoach-measurement")
    measurement.wait_for(timeout=180_000)
    assert "same result" in measurement.inner_text(), measurement.inner_text()
    assert measurement.locator("svg.sparkcoach-chart rect.sparkcoach-chart-bar").count() == 2

    # 6. the side panel: every finding of the notebook, grouped by cell, with the timing
    page.evaluate("() => window.jupyterapp.commands.execute('sparkcoach:open-panel')")
    panel = page.locator(".sparkcoach-panel")
    rows = panel.locator(".sparkcoach-panel-finding[data-code=SPK201]")
    rows.first.wait_for()
    assert {rows.nth(i).get_attribute("data-cell-id") for i in range(rows.count())} == set(page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.slice(1, 3).map(c => c.model.id)"))
    panel.locator(".sparkcoach-panel-timing[data-code=SPK201]").wait_for()
    screenshot(page, "side-panel")

    # clicking a row goes to that cell
    rows.first.click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 1")

    # 7. the rule's switch turns it off everywhere (and back on)
    switch = panel.locator("input.sparkcoach-rule-switch[data-code=SPK201]")
    switch.click()
    page.wait_for_function("() => !document.querySelector('.jp-Notebook .cm-lintRange.jp-sparkcoach-SPK201')")
    switch.click()
    _underline(page, 1, "SPK201").wait_for()
