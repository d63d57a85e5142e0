"""The measured-rewrites benchmark, every case at a tiny scale through the real ``measure``.

Not speed (benchmarks/bench_measure.py holds the speed targets): that the coach rewrites
each case, that the measurement finishes, and that the rewrite returns the same result.
The caching case runs too, without the memory pressure the script sets at JVM start (the
test session's memory is what it is): here it checks only the rewrite and the result.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from sparkcoach.measure import model

pytestmark = pytest.mark.spark

SCALE = 0.001  # a few thousand rows per case

_spec = importlib.util.spec_from_file_location(
    "bench_measure", Path(__file__).resolve().parent.parent / "benchmarks" / "bench_measure.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bench_measure", bench)  # dataclasses look their module up there
_spec.loader.exec_module(bench)

REWRITTEN = [c for c in bench.CASES if c.key != "loop"]


def test_the_cases_cover_the_rules_of_the_brief():
    assert {c.rule for c in bench.CASES} == {"SPK301", "SPK201", "SPK202", "SPK405", "SPK103", "SPK204", "SPK502"}


@pytest.mark.parametrize("case", REWRITTEN, ids=lambda c: c.key)
def test_case_is_rewritten_by_the_coach_and_keeps_the_result(case, spark, tmp_path):
    finding, rewrite = bench.coach_rewrite(case)
    assert finding is not None and finding.code == case.rule
    assert finding.fix is not None and rewrite is not None and rewrite["cell"] != case.cell

    row = bench.run_case(case, spark, tmp_path, SCALE, runs=1, warmup=0, timeout=120)
    m = row["measurement"]
    assert row["status"] == m["status"] == model.DONE, (m["verdict"], m["notes"])
    assert m["same_result"] is True, (m["difference"], m["notes"])
    assert [v["label"] for v in m["variants"]] == ["original", "rewrite"]
    assert all(len(v["times_s"]) == 1 and v["error"] is None for v in m["variants"])
    assert m["rewrite"]["cell"] == rewrite["cell"]


def test_loop_case_is_reported_without_a_rewrite_and_not_measured(spark, tmp_path):
    case = next(c for c in bench.CASES if c.key == "loop")
    finding, rewrite = bench.coach_rewrite(case)
    assert finding is not None and finding.code == "SPK103"
    row = bench.run_case(case, spark, tmp_path, SCALE, runs=1, warmup=0)
    if rewrite is None:  # the coach flags the loop but does not rewrite it: shown, not papered over
        assert row["status"] == bench.NO_REWRITE and row["measurement"] is None
        assert "no rewrite" in row["verdict"]
    else:  # the coach learned to rewrite it: then it is measured like the others
        assert row["measurement"]["same_result"] is True


def test_table_shows_every_row_with_its_verdict_and_result_check():
    rows = [
        {"title": "a", "rule": "SPK301", "size": "10 rows", "verdict": "2.0\u00d7 faster",
         "measurement": {"speedup": 2.0, "same_result": True, "difference": None, "variants": [
             {"label": "original", "median_s": 2.0, "spread_s": [1.9, 2.1], "shuffle_write_bytes": 312_000_000},
             {"label": "rewrite", "median_s": 1.0, "spread_s": [0.9, 1.2], "shuffle_write_bytes": 4_200}]}},
        {"title": "b", "rule": "SPK103", "size": "10 rows", "verdict": "reported; the coach offers no rewrite",
         "measurement": None},
    ]
    text = bench.table(rows)
    assert ("| a | SPK301 | 10 rows | 2.00 s (1.90..2.10) | 1.00 s (0.90..1.20) | 2.00x | 2.0\u00d7 faster | same "
            "| 312 MB \u2192 4 kB |") in text
    assert "| b | SPK103 | 10 rows | - | - | - | reported; the coach offers no rewrite | - | - |" in text


def test_sweep_shows_each_scale_so_a_size_where_the_rewrite_does_not_pay_is_visible():
    def row(scale, verdict, a, b):
        return {"case": "udf", "title": "udf", "rule": "SPK405", "scale": scale, "status": "done",
                "verdict": verdict, "same_result": True, "measurement": {"same_result": True, "variants": [
                    {"label": "original", "median_s": a}, {"label": "rewrite", "median_s": b}]}}

    text = bench.sweep([row(0.1, "no measurable difference", 0.3, 0.28), row(1.0, "2.8\u00d7 faster", 1.9, 0.68)],
                       [0.1, 1.0, 2.0])
    assert text.splitlines()[0] == "| Case | Rule | x0.1 | x1 | x2 |"
    assert ("| udf | SPK405 | no measurable difference (0.30 \u2192 0.28 s) "
            "| 2.8\u00d7 faster (1.90 \u2192 0.68 s) | - |") in text
