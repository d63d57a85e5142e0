"""The findings views: the report schema, text, static HTML, ipywidgets and the MIME bundle."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from sparkcoach.capture.model import PlanNode, RddNode
from sparkcoach.findings import Edit, Finding, Fix
from sparkcoach.views import MIME, explain_rows, human_bytes, human_seconds, summary_line
from sparkcoach.views import bundle, html, text

CELL = ("a = spark.range(100)\nb = spark.range(50)\njoined = a.join(b, 'k')\n"
        "counts = pairs.groupByKey().mapValues(sum)\n")
REWRITTEN = CELL.replace("a.join(b, 'k')", "a.join(broadcast(b), 'k')")
DIFF = """--- cell
+++ cell (rewritten)
@@ -1,4 +1,4 @@
 a = spark.range(100)
 b = spark.range(50)
-joined = a.join(b, 'k')
+joined = a.join(broadcast(b), 'k')
 counts = pairs.groupByKey().mapValues(sum)
"""

# Spark 4 `explain("formatted")` output (details trimmed to the join).
EXPLAIN = """== Physical Plan ==
AdaptiveSparkPlan (12)
+- SortAggregate (11)
   +- Project (10)
      +- SortMergeJoin Inner (9)
         :- Sort (4)
         :  +- Exchange (3)
         :     +- Project (2)
         :        +- Range (1)
         +- Sort (8)
            +- Exchange (7)
               +- Project (6)
                  +- Range (5)


(9) SortMergeJoin
Left keys [1]: [k#1L]
Right keys [1]: [k#3L]
Join type: Inner
Join condition: None

(12) AdaptiveSparkPlan
Output [2]: [k#1L, count#4L]
Arguments: isFinalPlan=false
"""

LINEAGE = """(2) PythonRDD[5] at RDD at PythonRDD.scala:59 []
 |  MapPartitionsRDD[4] at mapPartitions at PythonRDD.scala:197 []
 |  ShuffledRDD[3] at partitionBy at NativeMethodAccessorImpl.java:0 []
 +-(2) PairwiseRDD[2] at groupByKey at <cell>:4 []
    |  PythonRDD[1] at groupByKey at <cell>:4 []
    |  ParallelCollectionRDD[0] at readRDDFromFile at PythonRDD.scala:326 []"""


def _tree(join_args="Inner", range_op="Range") -> PlanNode:
    def side(sort_id, ex_id, proj_id, range_id):
        return PlanNode("Sort", "", (PlanNode("Exchange", "hashpartitioning(k#1L, 4)", (
            PlanNode("Project", "", (PlanNode(range_op, "", id=range_id),), id=proj_id),), id=ex_id),), id=sort_id)

    join = PlanNode("SortMergeJoin", join_args, (side(4, 3, 2, 1), side(8, 7, 6, 5)), size=12_300_000, rows=1000,
                    id=9, details={"Join type": "Inner"})
    return PlanNode("AdaptiveSparkPlan", "", (PlanNode("SortAggregate", "", (PlanNode("Project", "", (join,), id=10),),
                                                       id=11),), id=12)


def _finding(code, name, severity, message, line, title, doc, fix=None, rewrite=None) -> dict:
    d = Finding(code, name, severity, message, "<cell>", line, 1, line, 1, cell=3, fix=fix, doc=doc).to_dict()
    d["title"] = title
    d["rewrite"] = rewrite
    return d


def make_report() -> dict:
    """A report as the lead builds it, from the real model objects' dict forms."""
    fix = Fix("Broadcast the small side", "safe", (Edit(3, 17, 3, 18, "broadcast(b)"),))
    findings = [
        _finding("SPK350", "sort-merge-join-small-side", "warning",
                 "`joined` sort-merge joins `b` (~12.3 MB): broadcast it", 3,
                 "Checks for sort-merge joins whose one side is small enough to broadcast.",
                 "A sort-merge join shuffles and sorts both sides.", fix, {"diff": DIFF, "cell": REWRITTEN}),
        _finding("SPK253", "lineage-group-by-key", "warning", "`counts` shuffles every value per key", 4,
                 "Checks RDD lineages for groupByKey shuffles.", "groupByKey ships every value across the network."),
        _finding("SPK262", "tiny-tasks", "info", "Stage 3 ran 4 tasks of 2 ms each", 3,
                 "Checks for stages of many tiny tasks.", "Scheduling dominates tiny tasks."),
    ]
    lineage_nodes = [RddNode("PythonRDD", 5, "RDD at PythonRDD.scala:59", 2, 0, None, None),
                     RddNode("ShuffledRDD", 3, "partitionBy at NativeMethodAccessorImpl.java:0", 2, 0, None, None),
                     RddNode("PairwiseRDD", 2, "groupByKey at <cell>:4", 2, 1, 4, "<cell>")]
    return {
        "version": 1,
        "cell": {"source": CELL, "index": 3, "execution_count": 7},
        "summary": {"error": 0, "warning": 2, "info": 1, "wall_s": 1.8432, "jobs": 3, "stages": 5, "tasks": None,
                    "shuffle_read_bytes": 12_300_000, "shuffle_write_bytes": 12_100_000, "spill_bytes": 0,
                    "sources": ["status tracker"], "notes": ["Spark UI REST API not reachable: the UI is disabled"],
                    "spark": "classic local"},
        "findings": findings,
        "plans": [
            {"name": "joined", "line": 3, "text": EXPLAIN, "tree": _tree().to_dict(),
             "flagged": [{"id": 9, "codes": ["SPK350"]}], "adaptive": True, "final": False, "source": "jvm"},
            {"name": "a", "line": 1, "text": "== Physical Plan ==\n*(1) Range (0, 100, step=1, splits=2)\n",
             "tree": PlanNode("Range", "(0, 100, step=1, splits=2)").to_dict(), "flagged": [], "adaptive": False,
             "final": False},
        ],
        "lineages": [{"name": "counts", "line": 4, "text": LINEAGE,
                      "nodes": [dataclasses.asdict(n) for n in lineage_nodes], "flagged": [2]}],
        "measurements": [],
    }


def clean_report() -> dict:
    r = make_report()
    r["findings"] = []
    r["summary"].update(error=0, warning=0, info=0, notes=[])
    r["plans"][0]["flagged"] = []
    r["lineages"][0]["flagged"] = []
    return r


# ---------------------------------------------------------------------------------------------- schema

def test_schema_is_a_valid_schema_and_ships_with_the_package():
    import jsonschema

    from sparkcoach.schema import load

    schema = load()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert bundle.schema() is schema


def test_good_reports_validate():
    bundle.validate(make_report())
    bundle.validate(clean_report())
    minimal = {"version": 1, "cell": {"source": "", "index": None, "execution_count": None},
               "summary": {"error": 0, "warning": 0, "info": 0, "wall_s": None, "jobs": None, "stages": None,
                           "tasks": None, "shuffle_read_bytes": None, "shuffle_write_bytes": None,
                           "spill_bytes": None, "sources": [], "notes": [], "spark": "none"},
               "findings": [], "plans": [], "lineages": [], "measurements": []}
    bundle.validate(minimal)
    # Flags as a bare operator id or a path of child indexes.
    r = make_report()
    r["plans"][0]["flagged"] = [9, [0, 0, 0, 1], {"path": []}]
    bundle.validate(r)


def _break(mutate):
    r = make_report()
    mutate(r)
    return r


BAD = {
    "missing findings": lambda r: r.pop("findings"),
    "version 2": lambda r: r.update(version=2),
    "unknown top-level key": lambda r: r.update(extra=1),
    "measurements not an array": lambda r: r.update(measurements={}),
    "bad severity": lambda r: r["findings"][0].update(severity="fatal"),
    "bad code": lambda r: r["findings"][0].update(code="X1"),
    "line 0": lambda r: r["findings"][0].update(line=0),
    "no title": lambda r: r["findings"][0].pop("title"),
    "rewrite without cell": lambda r: r["findings"][0].update(rewrite={"diff": DIFF}),
    "fix safety": lambda r: r["findings"][0]["fix"].update(safety="maybe"),
    "count mismatch": lambda r: r["summary"].update(warning=5),
    "negative bytes": lambda r: r["summary"].update(shuffle_read_bytes=-1),
    "notes not strings": lambda r: r["summary"].update(notes=[1]),
    "flag as a string": lambda r: r["plans"][0].update(flagged=["SortMergeJoin"]),
    "empty flag object": lambda r: r["plans"][0].update(flagged=[{}]),
    "plan node without operator": lambda r: r["plans"][0]["tree"].pop("operator"),
    "child not a node": lambda r: r["plans"][0]["tree"]["children"].append("x"),
    "rdd node without stage": lambda r: r["lineages"][0]["nodes"][0].pop("stage"),
    "cell source not text": lambda r: r["cell"].update(source=None),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_reports_are_rejected(name):
    with pytest.raises(bundle.InvalidReport) as exc:
        bundle.validate(_break(BAD[name]))
    assert isinstance(exc.value, ValueError)
    assert "invalid sparkcoach report" in str(exc.value)


def test_mime_bundle():
    r = make_report()
    b = bundle.mime_bundle(r)
    assert set(b) == {MIME, "text/plain", "text/html"}
    assert MIME == "application/vnd.sparkcoach.findings+json"
    assert b[MIME] is r
    assert b["text/plain"] == text.render(r)
    assert b["text/html"] == html.render(r)
    small = bundle.mime_bundle(r, compact=True)
    assert small["text/plain"] == text.render(r, compact=True)
    with pytest.raises(bundle.InvalidReport):
        bundle.mime_bundle(_break(BAD["bad severity"]))


# ---------------------------------------------------------------------------------------------- helpers

@pytest.mark.parametrize("n, shown", [
    (0, "0 B"), (999, "999 B"), (1000, "1.0 KB"), (1536, "1.5 KB"), (12_300_000, "12.3 MB"),
    (12_100_000, "12.1 MB"), (999_960, "1.0 MB"), (99_960_000, "100 MB"), (123_456_789, "123 MB"),
    (5 * 10**9, "5.0 GB"), (2 * 10**12, "2.0 TB"), (None, "?"),
])
def test_human_bytes_is_decimal(n, shown):
    assert human_bytes(n) == shown


@pytest.mark.parametrize("s, shown", [(0.0, "0.00 s"), (1.8432, "1.84 s"), (12.34, "12.3 s"), (83.2, "1 min 23 s"),
                                      (7300, "2 h 1 min")])
def test_human_seconds(s, shown):
    assert human_seconds(s) == shown


def test_summary_line():
    r = make_report()
    assert summary_line(r) == ("2 warnings, 1 info \u00b7 1.84 s \u00b7 3 jobs \u00b7 5 stages \u00b7 "
                               "shuffle 12.3 MB read / 12.1 MB written \u00b7 no spill")
    r["summary"].update(error=1, warning=0, info=0, tasks=40, spill_bytes=2_500_000_000, shuffle_read_bytes=0,
                        shuffle_write_bytes=0, jobs=1, stages=1)
    assert summary_line(r) == ("1 error \u00b7 1.84 s \u00b7 1 job \u00b7 1 stage \u00b7 40 tasks \u00b7 no shuffle"
                               " \u00b7 spill 2.5 GB")
    r["summary"].update(error=0, wall_s=None, jobs=0, stages=0, tasks=0, shuffle_read_bytes=None,
                        shuffle_write_bytes=None, spill_bytes=None)
    assert summary_line(r) == "no findings \u00b7 no Spark jobs"


# ---------------------------------------------------------------------------------------------- text

def test_text_renders_every_section():
    out = text.render(make_report())
    lines = out.splitlines()
    assert lines[0] == ("sparkcoach: 2 warnings, 1 info \u00b7 1.84 s \u00b7 3 jobs \u00b7 5 stages \u00b7 "
                        "shuffle 12.3 MB read / 12.1 MB written \u00b7 no spill")
    assert lines[1] == "Spark: classic local \u00b7 figures from status tracker"
    assert ("warning SPK350 Checks for sort-merge joins whose one side is small enough to broadcast. (line 3)"
            in lines)
    assert "info SPK262 Checks for stages of many tiny tasks. (line 3)" in lines
    assert "    `joined` sort-merge joins `b` (~12.3 MB): broadcast it" in lines
    assert "    why: A sort-merge join shuffles and sorts both sides." in lines
    assert "    fix (safe): Broadcast the small side" in lines
    assert "    rewrite:" in lines
    assert "        -joined = a.join(b, 'k')" in lines
    assert "        +joined = a.join(broadcast(b), 'k')" in lines
    assert "         a = spark.range(100)" in lines  # a context line keeps its leading space
    # Plans: the flagged plan's tree with the flagged operator marked; the clean plan as a heading only.
    assert "    joined \u00b7 line 3 \u00b7 adaptive (initial plan) \u00b7 1 flagged" in lines
    flagged = [l for l in lines if "\u25c0" in l and "SortMergeJoin" in l]
    assert flagged == ["              +- SortMergeJoin Inner (9) [est. 12.3 MB, 1,000 rows]  \u25c0 SPK350"]
    assert "    a \u00b7 line 1" in lines
    assert not any("Range (0, 100" in l for l in lines)
    # Lineage and notes.
    assert "    counts \u00b7 line 4 \u00b7 1 shuffle \u00b7 1 flagged" in lines
    assert "         +-(2) PairwiseRDD[2] at groupByKey at <cell>:4 []  \u25c0 flagged" in lines
    assert lines[-1] == "note: Spark UI REST API not reachable: the UI is disabled"


def test_text_compact():
    out = text.render(make_report(), compact=True).splitlines()
    assert len(out) == 4
    assert out[0].startswith("sparkcoach: 2 warnings, 1 info")
    assert out[1] == ("  warning SPK350 Checks for sort-merge joins whose one side is small enough to broadcast."
                      " (line 3)")
    assert out[3] == "  info SPK262 Checks for stages of many tiny tasks. (line 3)"


def test_text_no_findings():
    out = text.render(clean_report())
    assert out.startswith("sparkcoach: no findings \u00b7 1.84 s \u00b7 3 jobs")
    assert "No findings." in out
    assert "\u25c0" not in out and "note:" not in out
    assert "    counts \u00b7 line 4 \u00b7 1 shuffle" in out and "PairwiseRDD" not in out and "SortMergeJoin" not in out
    assert text.render(clean_report(), compact=True).count("\n") == 1


def test_text_neutralises_terminal_control_characters():
    r = make_report()
    r["findings"][0]["message"] = "evil \x1b[2J\x1b]0;title\x07 message"
    out = text.render(r)
    assert "\x1b" not in out and "\x07" not in out
    assert "evil \\x1b[2J" in out


# ---------------------------------------------------------------------------------------------- html

class _Tags(HTMLParser):
    """Every element and attribute the browser would see."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.closed: list[str] = []
        self.data: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_endtag(self, tag):
        self.closed.append(tag)

    def handle_data(self, data):
        self.data.append(data)


SAFE_TAGS = {"div", "style", "details", "summary", "span", "code", "pre", "p", "strong", "mark", "ul", "li"}


def _assert_safe(markup: str) -> _Tags:
    parsed = _Tags(markup)
    assert set(parsed.tags) <= SAFE_TAGS, set(parsed.tags) - SAFE_TAGS
    assert {name for name, _ in parsed.attrs} <= {"class", "open"}
    for tag in SAFE_TAGS - {"p", "li"}:
        assert parsed.tags.count(tag) == parsed.closed.count(tag), tag
    return parsed


def test_html_renders_every_section():
    out = html.render(make_report())
    parsed = _assert_safe(out)
    assert out.startswith('<div class="sparkcoach-report"><style>.sparkcoach-report{')
    assert out.count("<style>") == 1
    # The style is scoped: every rule starts with the root class.
    style = out[out.index("<style>") + 7: out.index("</style>")]
    assert all(rule.startswith(".sparkcoach-report") for rule in style.split("}") if rule)
    assert "sparkcoach: 2 warnings, 1 info \u00b7 1.84 s \u00b7 3 jobs" in out
    assert out.count('<details class="sc-finding">') == 3
    assert ('<span class="sc-sev sc-warning">warning</span> <code>SPK350</code> Checks for sort-merge joins whose '
            'one side is small enough to broadcast. <span class="sc-line">(line 3)</span>') in out
    assert ('<p class="sc-message"><code>joined</code> sort-merge joins <code>b</code> (~12.3 MB): broadcast it</p>'
            in out)
    assert "<strong>Why:</strong> A sort-merge join shuffles and sorts both sides." in out
    assert "<strong>Fix (safe):</strong> Broadcast the small side" in out
    assert '<span class="sc-del">-joined = a.join(b, &#x27;k&#x27;)\n</span>' in out
    assert '<span class="sc-add">+joined = a.join(broadcast(b), &#x27;k&#x27;)\n</span>' in out
    assert '<span class="sc-hunk">@@ -1,4 +1,4 @@\n</span>' in out
    # Plans: open because one is flagged; the tree and the explain text mark the join.
    assert '<details class="sc-plans" open><summary>Plans (2)</summary>' in out
    assert ('      +- <mark class="sc-flag">SortMergeJoin Inner (9) [est. 12.3 MB, 1,000 rows]</mark> '
            '<span class="sc-mark">\u25c0 SPK350</span>') in out
    assert '      +- <mark class="sc-flag">SortMergeJoin Inner (9)</mark> <span class="sc-mark">' in out
    assert '<mark class="sc-flag">(9) SortMergeJoin</mark>' in out
    plans = out[out.index('class="sc-plans"'):out.index('class="sc-lineages"')]
    assert plans.count('<mark class="sc-flag">') == 3  # tree, explain tree line, explain detail heading
    assert '<details class="sc-plan"><summary>a \u00b7 line 1</summary>' in out  # unflagged: closed
    # Lineage, notes.
    assert '<details class="sc-lineages"><summary>Lineage (1)</summary>' in out
    assert ' +-<mark class="sc-flag">(2) PairwiseRDD[2] at groupByKey at &lt;cell&gt;:4 []</mark>' in out
    assert ' |  <span class="sc-shuffle">ShuffledRDD[3] at partitionBy' in out
    assert "<li>note: Spark UI REST API not reachable: the UI is disabled</li>" in out
    assert "No findings." not in "".join(parsed.data)


def test_html_compact():
    out = html.render(make_report(), compact=True)
    _assert_safe(out)
    out = out[out.index("</style>"):]
    assert out.count("<li>") == 3
    assert "<details" not in out and "sc-diff" not in out and "note:" not in out


def test_html_no_findings():
    out = html.render(clean_report())
    _assert_safe(out)
    out = out[out.index("</style>"):]
    assert "sparkcoach: no findings \u00b7 1.84 s" in out
    assert '<div class="sc-clean">No findings.</div>' in out
    assert "sc-finding" not in out and "sc-flag" not in out and " open>" not in out
    compact = html.render(clean_report(), compact=True)
    assert "<ul" not in compact and "no findings" in compact


HOSTILE = '</details></pre><script>alert("x")</script><img src=x onerror=alert(1)> & "q" \'s\' `</code>`'


def hostile_report() -> dict:
    r = make_report()
    f = r["findings"][0]
    r["cell"]["source"] = HOSTILE
    for key in ("message", "title", "doc", "name", "path"):
        f[key] = HOSTILE
    f["fix"]["description"] = HOSTILE
    f["rewrite"] = {"diff": f"--- {HOSTILE}\n+++ b\n@@ -1 +1 @@\n-{HOSTILE}\n+{HOSTILE}\n {HOSTILE}\n",
                    "cell": HOSTILE}
    plan = r["plans"][0]
    plan["name"] = HOSTILE
    plan["text"] = EXPLAIN.replace("SortMergeJoin Inner (9)", f"SortMergeJoin {HOSTILE} (9)")
    plan["tree"]["operator"] = HOSTILE
    plan["tree"]["children"][0]["args"] = HOSTILE
    plan["tree"]["children"][0]["children"][0]["children"][0]["args"] = HOSTILE  # the flagged join
    r["lineages"][0]["name"] = HOSTILE
    r["lineages"][0]["text"] = LINEAGE.replace("<cell>", HOSTILE)
    r["summary"]["notes"] = [HOSTILE]
    r["summary"]["sources"] = [HOSTILE]
    r["summary"]["spark"] = HOSTILE
    return r


def _assert_escaped(markup: str) -> None:
    parsed = _assert_safe(markup)
    assert "<script" not in markup and "<img" not in markup and "</code>`" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in markup
    assert "&lt;/details&gt;&lt;/pre&gt;" in markup
    assert "&amp; &quot;q&quot; &#x27;s&#x27;" in markup
    assert "script" not in parsed.tags and "img" not in parsed.tags


def test_html_escapes_everything_from_the_report():
    r = hostile_report()
    bundle.validate(r)
    out = html.render(r)
    _assert_escaped(out)
    # Hostile text inside the diff keeps its +/- colouring and the flagged join stays marked.
    assert f'<span class="sc-add">+{html.esc(HOSTILE)}\n</span>' in out
    assert f'<mark class="sc-flag">SortMergeJoin {html.esc(HOSTILE)} (9)</mark>' in out
    assert f'{html.esc(HOSTILE)}:4 []</mark>' in out
    _assert_escaped(html.render(r, compact=True))


def test_html_backtick_code_spans_cannot_open_tags():
    assert html.inline("use `<b onclick=x>` & `a`") == "use <code>&lt;b onclick=x&gt;</code> &amp; <code>a</code>"


def test_flags_by_id_by_path_and_by_bare_id():
    r = make_report()
    plan = r["plans"][0]
    plan["flagged"] = [[0, 0, 0, 0], 3]  # the left Sort by path, the left Exchange by bare operator id
    out = html.plan_html(plan)
    assert '<mark class="sc-flag">Sort (4)</mark> <span class="sc-mark">\u25c0 flagged</span>' in out
    assert '<mark class="sc-flag">Exchange hashpartitioning(k#1L, 4) (3)</mark>' in out
    assert '<mark class="sc-flag">Exchange (3)</mark>' in out  # the explain text line naming operator 3
    assert out.count('<mark class="sc-flag">') == 3
    # Explain text without operator ids (non-formatted) marks nothing; the tree still does.
    plan["text"] = ("== Physical Plan ==\n*(1) Sort [k#1L ASC NULLS FIRST], false, 0\n"
                    "+- Exchange hashpartitioning(k#1L, 4), ENSURE_REQUIREMENTS, [plan_id=3]\n")
    assert html.explain_html(plan).count("<mark") == 0


def test_detail_lines_that_end_in_digits_are_not_mistaken_for_operator_ids():
    plan = {"name": "x", "line": 1, "flagged": [2], "tree": {"operator": "Range", "children": []},
            "text": "== Physical Plan ==\nCoalesce (3)\n+- Range (1)\n\n\n(3) Coalesce\nArguments: coalesce(2)\n"
                    "Output: foo (2)\n"}
    assert html.explain_html(plan).count("<mark") == 0


# ---------------------------------------------------------------------------------------------- widget

def _widgets(w):
    yield w
    for child in getattr(w, "children", ()) or ():
        yield from _widgets(child)


def test_widget_view_has_every_part():
    import ipywidgets as W

    from sparkcoach.views.widget import INSERT_LABEL, FindingsView

    inserted = []
    view = FindingsView(make_report(), on_insert=inserted.append)
    assert isinstance(view, W.VBox)
    summary, findings, tabs, notes = view.children
    assert "sparkcoach: 2 warnings, 1 info" in summary.value and "<style>" in summary.value
    assert isinstance(findings, W.Accordion)
    assert findings.titles == (
        "warning SPK350 Checks for sort-merge joins whose one side is small enough to broadcast. (line 3)",
        "warning SPK253 Checks RDD lineages for groupByKey shuffles. (line 4)",
        "info SPK262 Checks for stages of many tiny tasks. (line 3)",
    )
    first = findings.children[0]
    why, diff, buttons = first.children[:3]  # then the finding's measurements (tests/test_views_measure.py)
    button = buttons.children[0]
    assert "<strong>Why:</strong> A sort-merge join shuffles" in why.value
    assert '<span class="sc-add">+joined = a.join(broadcast(b), &#x27;k&#x27;)\n</span>' in diff.value
    assert isinstance(button, W.Button) and button.description == INSERT_LABEL and not button.disabled
    assert view.insert_buttons == {0: button}
    # Findings without a rewrite have no diff and no button.
    assert [type(c).__name__ for c in findings.children[1].children] == ["HTML"]
    button.click()
    assert inserted == [REWRITTEN]
    # Tabs: the plans (tree with the flagged join marked) and the lineage.
    assert isinstance(tabs, W.Tab) and tabs.titles == ("Plans (2)", "Lineage (1)")
    plans, lineages = tabs.children
    assert plans.titles == ("joined \u00b7 line 3 \u00b7 adaptive (initial plan) \u00b7 1 flagged", "a \u00b7 line 1")
    assert '<mark class="sc-flag">SortMergeJoin Inner (9) [est. 12.3 MB, 1,000 rows]</mark>' in plans.children[0].value
    assert "explain text" in plans.children[0].value
    assert '<mark class="sc-flag">(2) PairwiseRDD[2]' in lineages.children[0].value
    assert lineages.titles == ("counts \u00b7 line 4 \u00b7 1 shuffle \u00b7 1 flagged",)
    assert "note: Spark UI REST API not reachable" in notes.value


def test_widget_without_on_insert_disables_the_button():
    from sparkcoach.views.widget import FindingsView

    view = FindingsView(make_report())
    button = view.insert_buttons[0]
    assert button.disabled
    button.click()  # nothing to call, nothing raised


def test_widget_offers_the_cell_to_copy_when_it_cannot_insert():
    """Without the JupyterLab extension the button cannot add a cell: it says so and shows the cell."""
    import ipywidgets as W

    from sparkcoach.frontend import COPY_HINT
    from sparkcoach.views.widget import FindingsView

    view = FindingsView(make_report(), on_insert=lambda text: COPY_HINT)
    view.insert_buttons[0].click()
    hint, area = view.insert_hints[0].children
    assert "JupyterLab extension" in hint.value and isinstance(area, W.Textarea)
    assert area.value == REWRITTEN
    inserted = FindingsView(make_report(), on_insert=lambda text: None)  # the extension inserted it
    inserted.insert_buttons[0].click()
    assert inserted.insert_hints[0].children == ()


def test_frontend_without_the_extension_offers_the_next_input():
    from IPython.core.interactiveshell import InteractiveShell

    from sparkcoach.frontend import COPY_HINT, Frontend

    shell = InteractiveShell.instance()
    frontend = Frontend(shell)
    frontend.register()  # no kernel: nothing to register with, nothing raised
    assert frontend.insert_cell("x = 1\n") == COPY_HINT
    assert shell.rl_next_input == "x = 1\n"
    frontend.unregister()


def test_widget_no_findings_and_compact():
    import ipywidgets as W

    from sparkcoach.views import widget

    view = widget.FindingsView(clean_report(), on_insert=print)
    assert not any(isinstance(w, W.Accordion) and "SPK" in "".join(w.titles) for w in _widgets(view))
    assert "No findings." in view.children[1].value
    assert view.insert_buttons == {}
    assert "sparkcoach: no findings" in view.children[0].value

    small = widget.compact(make_report())
    assert isinstance(small, W.VBox) and len(small.children) == 2
    assert small.children[1].value.count("<li>") == 3
    assert len(widget.compact(clean_report()).children) == 1


def test_widget_escapes_everything_from_the_report():
    import ipywidgets as W

    from sparkcoach.views import widget

    r = hostile_report()
    seen = []
    view = widget.FindingsView(r, on_insert=seen.append)
    values = [w.value for w in _widgets(view) if isinstance(w, W.HTML)]
    assert values
    for v in values:
        parsed = _assert_safe(v)
        assert "<script" not in v and "<img" not in v
        assert "script" not in parsed.tags
    assert any("&lt;script&gt;" in v for v in values)
    view.insert_buttons[0].click()
    assert seen == [HOSTILE]  # the rewritten cell is handed over as is (it is code, not markup)
    for v in (w.value for w in _widgets(widget.compact(r)) if isinstance(w, W.HTML)):
        _assert_safe(v)
        assert "<script" not in v


# ---------------------------------------------------------------------------------------------- imports

def test_views_import_no_pyspark_and_stay_light():
    probe = ("import sys\n"
             "import sparkcoach.views, sparkcoach.views.text, sparkcoach.views.html, sparkcoach.views.bundle\n"
             "light = sorted(m for m in ('ipywidgets', 'jsonschema') if m in sys.modules)\n"
             "import sparkcoach.views.widget\n"
             "heavy = sorted(m for m in ('pyspark', 'py4j', 'pandas', 'pyarrow') if m in sys.modules)\n"
             "print(light, heavy)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"


# ---------------------------------------------------------------------------------------------- real Spark

@pytest.mark.spark
def test_flagged_operators_are_marked_in_real_explain_text(spark):
    a = spark.range(100).withColumnRenamed("id", "k")
    b = spark.range(50).withColumnRenamed("id", "k")
    joined = a.join(b, "k")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        joined.explain("formatted")  # planning only: no job runs
    explain = out.getvalue()
    ids = {}
    for line in explain.splitlines():
        if line.startswith("(") and ") " in line:
            ids[line[1:line.index(")")]] = line[line.index(") ") + 2:].split()[0]
    join_ops = [int(i) for i, op in ids.items() if op.endswith("Join")]
    assert join_ops, explain
    plan = {"name": "joined", "line": 3, "text": explain, "tree": {"operator": "x", "children": []},
            "flagged": [{"id": join_ops[0], "codes": ["SPK350"]}], "adaptive": True, "final": False}
    marked = [line for line, codes in explain_rows(plan) if codes is not None]
    assert len(marked) == 2, marked  # its line in the tree and its detail heading
    assert all("Join" in line for line in marked)
    rendered = html.explain_html(plan)
    assert rendered.count('<mark class="sc-flag">') == 2
