"""End to end in a real JupyterLab and Chromium: the extension loads and works with the server.

The smoke test checks what every other browser test relies on: the page loads with the extension
activated, JupyterLab lists it as enabled, its settings are registered, the server route answers
the page's own session, and a notebook's kernel runs a cell.  A screenshot goes to tests/output/e2e/.
"""

from __future__ import annotations

import re

import pytest

from lab import browser, console, lab, open_notebook, page, run_all_cells, screenshot  # noqa: F401

pytestmark = pytest.mark.e2e

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_lab_loads_the_extension(lab, page, console):
    listing = ANSI.sub("", lab.jupyter("labextension", "list"))
    assert re.search(r"^\s+sparkcoach v\S+ enabled\s+OK\b", listing, re.M), listing

    lab.write_notebook("smoke.ipynb", ["print('hello from the kernel')"])
    open_notebook(page, lab, "smoke.ipynb")
    console.wait_for("sparkcoach: extension activated")
    assert page.evaluate("() => window.jupyterapp.isPluginActivated('sparkcoach:plugin')")

    plugin = page.evaluate("""async () => {
      const p = await window.jupyterapp.serviceManager.settings.fetch('sparkcoach:plugin');
      const props = p.schema.properties;
      return {id: p.id, defaults: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.default]))};
    }""")
    assert plugin["id"] == "sparkcoach:plugin"
    assert plugin["defaults"] == {"lintAsYouType": True, "ignoredRules": [], "debounceMs": 500}

    # the server extension answers the page's own (cookie) session
    status, rules = page.evaluate("""async () => {
      const r = await fetch(window.jupyterapp.serviceManager.serverSettings.baseUrl + 'sparkcoach/rules');
      return [r.status, await r.json()];
    }""")
    assert status == 200 and any(r["code"] == "SPK201" for r in rules["rules"]), (status, rules)

    run_all_cells(page)
    page.locator(".jp-OutputArea-output").get_by_text("hello from the kernel").wait_for()
    assert not [e for e in console.errors if "sparkcoach" in e.lower()], console.dump()
    path = screenshot(page, "smoke")
    assert path.stat().st_size > 10_000


def test_tutorial_notebook_shows_its_saved_coaching(lab, page, console):
    """Notebook 1 as committed, opened at the path the README's Binder badge opens (``lab/tree/<path>``
    from the repository root): its saved findings view renders with the extension, without running
    anything: SPK201 with its rewrite, and the measurement's chart and result check."""
    import shutil

    from conftest import ROOT
    from helpers import badge_notebook_path

    path = badge_notebook_path()
    (lab.root / path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / path, lab.root / path)
    open_notebook(page, lab, path)
    view = page.locator(".sparkcoach-view").first
    finding = view.locator(".sparkcoach-view-finding[data-code=SPK201]")
    finding.wait_for(timeout=60_000)
    assert "reduceByKey" in finding.inner_text()
    measurement = view.locator(".sparkcoach-measurement").first
    measurement.wait_for()
    assert measurement.locator("svg.sparkcoach-chart rect.sparkcoach-chart-bar").count() == 2
    assert "same result" in measurement.inner_text().lower()
    # the static check underlines the groupByKey in the editor too, with nothing run
    page.locator(".cm-lintRange.jp-sparkcoach-SPK201").first.wait_for(timeout=60_000)
    view.scroll_into_view_if_needed()
    path = screenshot(page, "tutorial-findings-view")
    assert path.stat().st_size > 10_000
    assert not [e for e in console.errors if "sparkcoach" in e.lower()], console.dump()
