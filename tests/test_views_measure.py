"""The measurement view (issue 4): schema, SVG chart, figures table, verdict, text, the widget's Measure button."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from test_views import DIFF, REWRITTEN, _Tags, _widgets, make_report

from sparkcoach.measure import stats
from sparkcoach.measure.model import Figures, Measurement, Variant
from sparkcoach.views import bundle, html, text
from sparkcoach.views.measure import LABEL_W, PLOT_W, headline, measurement_html, measurement_line, measurement_text

HOSTILE = "<img src=x onerror=alert(1)></div></svg><script>alert(2)</script>"
ORIGINAL_TIMES, REWRITE_TIMES = (3.0, 2.9, 3.3), (1.2, 1.25, 1.1)


def measurement(status="done", same_result=True, original_s=ORIGINAL_TIMES, rewrite_s=REWRITE_TIMES, **kw) -> dict:
    """A measurement as the runner records it (the real model's dict form)."""
    variants = (Variant("original", original_s, Figures(3, 5, 12, 12_300_000, 12_100_000, 0, 0.41)),
                Variant("rewrite", rewrite_s, Figures(2, 2, 4, 0, 0, None, 0.2)))
    fields = dict(code="SPK350", line=3, status=status, variants=variants,
                  speedup=stats.speedup(original_s, rewrite_s), verdict=stats.verdict(original_s, rewrite_s),
                  same_result=same_result,
                  notes=("1 cache released between runs",), rewrite={"diff": DIFF, "cell": REWRITTEN})
    fields.update(kw)
    return Measurement(**fields).to_dict()


def report_with(*measurements) -> dict:
    r = make_report()
    r["measurements"] = list(measurements)
    return r


# ---------------------------------------------------------------------------------------------- schema

def test_schema_accepts_measurements_as_the_runner_records_them():
    bundle.validate(report_with(
        measurement(),
        measurement(status="timeout", original_s=(3.0,), rewrite_s=(), same_result=None, speedup=None, verdict=""),
        measurement(status="not measured", variants=(), speedup=None, verdict="", same_result=None,
                    notes=("`df.foreach(send)` has side effects that cannot be redirected",), rewrite=None),
        measurement(status="failed", same_result=False, difference="row count 100 vs 99", sample=0.1),
    ))


BAD = {
    "wrong status": lambda m: m.update(status="finished"),
    "negative time": lambda m: m["variants"][0]["times_s"].append(-0.5),
    "negative median": lambda m: m["variants"][1].update(median_s=-1.0),
    "extra key": lambda m: m.update(extra=1),
    "extra variant key": lambda m: m["variants"][0].update(extra=1),
    "missing verdict": lambda m: m.pop("verdict"),
    "spread of three": lambda m: m["variants"][0].update(spread_s=[1.0, 2.0, 3.0]),
    "same_result as text": lambda m: m.update(same_result="yes"),
    "sample above 1": lambda m: m.update(sample=1.5),
    "negative jobs": lambda m: m["variants"][0].update(jobs=-1),
    "bad code": lambda m: m.update(code="X1"),
}


@pytest.mark.parametrize("name", BAD)
def test_schema_rejects_bad_measurements(name):
    m = measurement()
    BAD[name](m)
    with pytest.raises(bundle.InvalidReport, match="measurements"):
        bundle.validate(report_with(m))


# ---------------------------------------------------------------------------------------------- HTML

SVG_TAGS = {"svg", "title", "text", "rect", "line"}
TABLE_TAGS = {"table", "thead", "tbody", "tr", "th", "td"}
SAFE_TAGS = {"div", "style", "details", "summary", "span", "code", "pre", "p", "strong", "mark", "ul", "li"}
SAFE_ATTRS = {"class", "open", "x", "y", "x1", "x2", "y1", "y2", "width", "height", "viewbox", "role", "aria-label",
              "fill", "stroke", "stroke-width", "stroke-opacity", "font-size", "text-anchor", "dominant-baseline"}


def _safe(markup: str) -> _Tags:
    parsed = _Tags(markup)
    assert set(parsed.tags) <= SAFE_TAGS | SVG_TAGS | TABLE_TAGS, set(parsed.tags) - SAFE_TAGS - SVG_TAGS - TABLE_TAGS
    assert {name for name, _ in parsed.attrs} <= SAFE_ATTRS, {name for name, _ in parsed.attrs} - SAFE_ATTRS
    for tag in (SAFE_TAGS | SVG_TAGS | TABLE_TAGS) - {"p", "li"}:
        assert parsed.tags.count(tag) == parsed.closed.count(tag), tag
    assert "<img" not in markup and "<script" not in markup and "url(" not in markup
    return parsed


def test_measurement_html_shows_chart_table_verdict_check_notes_and_diff():
    out = measurement_html(measurement(sample=0.1))
    parsed = _safe(out)
    assert parsed.tags.count("svg") == 1 and parsed.tags.count("rect") == 2
    assert ("SPK350 \u00b7 line 3 \u00b7 3 timed runs each, alternating, after 1 warm-up \u00b7 "
            "10% sample of the inputs") in out
    assert ('<div class="sc-verdict">Rewrite: 2.5\u00d7 faster \u00b7 speedup 2.50 '
            "(original median / rewrite median)") in out
    assert "<tr><th>median</th><td>3.00 s</td><td>1.20 s</td></tr>" in out
    assert "<tr><th>spread</th><td>2.90 s \u2013 3.30 s</td><td>1.10 s \u2013 1.25 s</td></tr>" in out
    assert "<tr><th>shuffle read</th><td>12.3 MB</td><td>0 B</td></tr>" in out
    assert "<tr><th>spill</th><td>0 B</td><td>\u2014</td></tr>" in out  # unknown: a dash
    assert "<tr><th>peak task</th><td>410 ms</td><td>200 ms</td></tr>" in out
    assert '<div class="sc-check">Result check: same result</div>' in out
    assert "<li>note: 1 cache released between runs</li>" in out
    assert '<span class="sc-add">+joined = a.join(broadcast(b), &#x27;k&#x27;)\n</span>' in out
    assert "measured up to then" not in out


def test_html_escapes_hostile_labels_notes_and_differences():
    m = measurement(same_result=False, difference=HOSTILE, verdict=HOSTILE, notes=(HOSTILE, f"`{HOSTILE}`"),
                    rewrite={"diff": f"-{HOSTILE}\n+{HOSTILE}\n", "cell": HOSTILE})
    m["variants"][0].update(label=HOSTILE, error=HOSTILE)
    m["variants"][1]["label"] = HOSTILE[:8]
    bundle.validate(report_with(m))
    for out in (measurement_html(m), html.render(report_with(m)), html.render(report_with(m), compact=True)):
        parsed = _safe(out)
        assert "script" not in parsed.tags and "img" not in parsed.tags
    out = measurement_html(m)
    assert "<th>&lt;img src=x onerror=alert(1)&gt;&lt;/div&gt;&lt;/svg&gt;&lt;script&gt;" in out  # table column
    assert ">&lt;img src=x \u2026</text>" in out  # chart label, cut to fit
    assert "Result check: the results differ: &lt;img src=x" in out
    assert "<li>note: <code>&lt;img src=x" in out


@pytest.mark.parametrize("status", ["done", "timeout", "interrupted", "failed"])
def test_a_rewrite_that_changes_the_result_is_never_shown_as_faster(status):
    m = measurement(status=status, same_result=False, difference="row count 100 vs 99")
    assert m["verdict"] == "2.5\u00d7 faster" and m["speedup"] > 1  # the timings alone would say faster
    assert headline(m) == "The rewrite changes the result: not an improvement"
    for out in (measurement_html(m), measurement_text(m), measurement_line(m),
                html.render(report_with(m)), text.render(report_with(m), compact=True)):
        assert "faster" not in out and "speedup" not in out
    assert '<div class="sc-verdict sc-changed">The rewrite changes the result' in measurement_html(m)
    assert "Result check: the results differ: row count 100 vs 99" in measurement_text(m)


def _bars(svg: str) -> dict[str, float]:
    rects = re.findall(r'<rect class="sc-bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert all(float(x) == LABEL_W for x, _ in rects)
    return [float(w) for _, w in rects]


def test_chart_bars_are_proportional_to_the_medians_and_whiskers_span_the_spreads():
    svg = measurement_html(measurement())
    original, rewrite = _bars(svg)
    assert original / rewrite == pytest.approx(3.0 / 1.2, rel=1e-3)
    assert 0 < original <= PLOT_W
    scale = original / 3.0
    whiskers = [(float(a), float(b)) for a, b in re.findall(r'<line class="sc-whisker" x1="([\d.]+)" y1="[\d.]+" '
                                                             r'x2="([\d.]+)"', svg)[::3]]
    assert whiskers == [pytest.approx((LABEL_W + 2.9 * scale, LABEL_W + 3.3 * scale), abs=0.01),
                        pytest.approx((LABEL_W + 1.1 * scale, LABEL_W + 1.25 * scale), abs=0.01)]
    ticks = re.findall(r'<text class="sc-tick-label"[^>]*>([^<]*)</text>', svg)
    assert ticks == ["0", "2.50 s", "5.00 s"]  # the axis ends at a round number above the slowest run
    # Another pair of medians: the widths follow.
    original, rewrite = _bars(measurement_html(measurement(original_s=(0.04, 0.05, 0.06), rewrite_s=(0.2, 0.21, 0.22))))
    assert rewrite / original == pytest.approx(0.21 / 0.05, rel=1e-3)


def test_partial_and_unmeasured_measurements_say_so():
    m = measurement(status="timeout", original_s=(3.0, 3.1), rewrite_s=(1.2,))
    out = measurement_html(m)
    assert ('<div class="sc-status">Stopped by the timeout: figures measured up to then '
            "(timed runs: original 2 of 3, rewrite 1 of 3)</div>") in out
    assert "Interrupted: figures measured up to then" in measurement_text(measurement(status="interrupted"))
    m = measurement(status="not measured", variants=(), speedup=None, verdict="", same_result=None,
                    notes=("`df.foreach(send)` has side effects that cannot be redirected",))
    out = measurement_html(m)
    _safe(out)
    assert '<div class="sc-verdict">Not measured</div>' in out and "<svg" not in out and "<table" not in out
    assert "<li>note: <code>df.foreach(send)</code> has side effects" in out
    assert "Result check: not checked" in out
    failed = measurement(status="failed", rewrite_s=(), same_result=None)
    failed["variants"][1]["error"] = "AnalysisException: [UNRESOLVED_COLUMN] `k`"
    out = measurement_html(failed)
    assert "The measurement failed" in out and "<li>rewrite raised: AnalysisException" in out
    assert ">failed</text>" in out  # the rewrite's row in the chart, without a bar
    assert len(_bars(out)) == 1


def test_text_shows_the_measurement_and_the_report_sections():
    m = measurement()
    out = measurement_text(m)
    lines = out.splitlines()
    assert lines[:2] == ["SPK350 \u00b7 line 3 \u00b7 3 timed runs each, alternating, after 1 warm-up",
                         "Rewrite: 2.5\u00d7 faster \u00b7 speedup 2.50 (original median / rewrite median)"]
    bars = [line for line in lines if "\u2588" in line]
    assert [line.count("\u2588") for line in bars] == [30, 12]
    assert re.search(r"^    median +3\.00 s +1\.20 s$", out, re.M)
    assert re.search(r"^    spill +0 B +\u2014$", out, re.M)
    assert "Result check: same result" in out and "note: 1 cache released between runs" in out
    assert "    +joined = a.join(broadcast(b), 'k')" in out
    # under a finding that already shows the same rewrite, the diff is named, not repeated
    diff = m["rewrite"]["diff"]
    again = measurement_text(m, frozenset({diff}))
    assert "rewrite measured: the one shown above" in again and "+joined" not in again
    hostile = measurement(notes=("evil \x1b[2J note",))
    assert "\x1b" not in measurement_text(hostile)
    # In the report: a section only when there are measurements; one line each when compact.
    assert "Measurements" not in text.render(make_report()) and "sc-measurements" not in html.render(make_report())
    full = text.render(report_with(m, m))
    assert "\nMeasurements:\n    SPK350 \u00b7 line 3" in full and full.count("Result check") == 2
    assert text.render(report_with(m), compact=True).endswith("  measured SPK350 (line 3): 2.5\u00d7 faster\n")
    page = html.render(report_with(m))
    assert '<details class="sc-measurements" open><summary>Measurements (1)</summary>' in page
    assert page.count("<style>") == 1 and ".sparkcoach-report .sc-figures td{" in page


def test_measure_module_imports_neither_pyspark_nor_ipywidgets():
    probe = ("import sys, sparkcoach.views.measure\n"
             "print(sorted(m for m in ('pyspark', 'py4j', 'ipywidgets', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------------------------------------- widget

def _report_with_two_rewrites() -> dict:
    r = make_report()
    r["findings"][2]["rewrite"] = {"diff": DIFF, "cell": REWRITTEN + "# second\n"}
    return r


def _values(widget) -> str:
    import ipywidgets as W

    return "".join(w.value for w in _widgets(widget) if isinstance(w, W.HTML))


def test_measure_button_measures_the_right_finding_and_shows_it():
    import ipywidgets as W

    from sparkcoach.views.widget import INSERT_LABEL, MEASURE_LABEL, MEASURING, FindingsView

    calls, during = [], []
    r = _report_with_two_rewrites()

    def on_measure(index):
        calls.append(index)
        during.append((view.measure_buttons[index].disabled, view.measure_status[index].value))
        return measurement(line=r["findings"][index]["line"], code=r["findings"][index]["code"])

    view = FindingsView(r, on_insert=print, on_measure=on_measure)
    assert sorted(view.measure_buttons) == [0, 2]
    row = view.findings.children[2].children[2]
    assert isinstance(row, W.HBox) and [b.description for b in row.children] == [INSERT_LABEL, MEASURE_LABEL]
    button = view.measure_buttons[2]
    assert button is row.children[1] and not button.disabled
    assert "sc-measurement" not in _values(view.findings)

    button.click()
    assert calls == [2]
    assert during[0][0] is True and MEASURING in during[0][1]  # disabled, "measuring…" while it runs
    assert not button.disabled and view.measure_status[2].value == ""
    panel = _values(view.findings.children[2])
    assert panel.count('<div class="sc-measurement">') == 1 and "<svg" in panel and "2.5\u00d7 faster" in panel
    assert "sc-measurement" not in _values(view.findings.children[0])
    assert len(r["measurements"]) == 1 and r["measurements"][0]["code"] == "SPK262"
    bundle.validate(r)
    button.click()  # measured again: shown below the first
    assert calls == [2, 2] and _values(view.findings.children[2]).count('<div class="sc-measurement">') == 2
    view.measure_buttons[0].click()  # each button names its own finding
    assert calls == [2, 2, 0] and _values(view.findings.children[0]).count('<div class="sc-measurement">') == 1


def test_a_failing_on_measure_shows_one_line_and_leaves_the_view_usable():
    from sparkcoach.views.widget import FindingsView

    outcomes = [RuntimeError(f"Py4JJavaError {HOSTILE}\nTraceback line 2\nline 3"), None]

    def on_measure(index):
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return measurement()

    r = make_report()
    view = FindingsView(r, on_measure=on_measure)
    button = view.measure_buttons[0]
    button.click()
    shown = view.measure_status[0].value
    _safe(shown)
    parsed = _Tags(shown)
    assert "".join(parsed.data) == f"measurement failed: RuntimeError: Py4JJavaError {HOSTILE}"
    assert not button.disabled and r["measurements"] == []
    button.click()  # the next try works
    assert view.measure_status[0].value == "" and len(r["measurements"]) == 1
    assert "sc-measurement" in _values(view.findings.children[0])


def test_measure_button_is_disabled_without_on_measure_and_stored_measurements_show_under_their_finding():
    from sparkcoach.views.widget import FindingsView

    stray = measurement(code="SPK101", line=9)
    r = report_with(measurement(), stray)
    view = FindingsView(r)
    assert view.measure_buttons[0].disabled
    view.measure_buttons[0].click()  # nothing to call, nothing raised
    assert _values(view.findings.children[0]).count('<div class="sc-measurement">') == 1
    assert "SPK101" not in _values(view.findings)
    assert "SPK101 \u00b7 line 9" in view.measurements.value and view.measurements in view.children
    assert len(r["measurements"]) == 2
    # A finding without a rewrite has no Measure button, but shows a stored measurement of its own.
    r = report_with(measurement(code="SPK253", line=4))
    view = FindingsView(r, on_measure=lambda i: {})
    assert 1 not in view.measure_buttons
    assert "SPK253 \u00b7 line 4" in _values(view.findings.children[1]) and view.measurements is None
