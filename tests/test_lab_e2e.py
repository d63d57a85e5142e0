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
