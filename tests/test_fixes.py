"""Applying several fixes at once: shared edits, overlaps, parse checks."""

from sparkcoach.engine.lint import Settings, lint_source
from sparkcoach.findings import Edit, Finding, Fix
from sparkcoach.fixes import apply_fixes


def finding(line, col, end_line, end_col, *edits, safety="safe"):
    return Finding("SPK201", "group-by-key", "warning", "m", "p", line, col, end_line, end_col,
                   fix=Fix("f", safety, tuple(Edit(*e) for e in edits)))


def test_two_joins_needing_the_same_import_are_fixed_in_one_run():
    src = ("from pyspark.sql import SparkSession\n"
           "spark = SparkSession.builder.getOrCreate()\n"
           "orders = spark.read.parquet('o')\n"
           "states = spark.createDataFrame([('CA', 'California')], ['code', 'name'])\n"
           "a = orders.join(states, 'code')\n"
           "b = orders.join(states, 'code', 'left')\n")
    found = lint_source(src, settings=Settings(select=("SPK301",)))
    assert len(found) == 2
    out, applied = apply_fixes(src, found)
    assert len(applied) == 2
    assert out.count("from pyspark.sql.functions import broadcast\n") == 1
    assert "a = orders.join(broadcast(states), 'code')" in out
    assert "b = orders.join(broadcast(states), 'code', 'left')" in out


def test_overlapping_fixes_keep_the_first():
    src = "x = 1 + 2\n"
    a = finding(1, 5, 1, 10, (1, 5, 1, 10, "3"))
    b = finding(1, 9, 1, 10, (1, 9, 1, 10, "5"))
    out, applied = apply_fixes(src, [b, a])
    assert out == "x = 3\n" and applied == [a]


def test_unsafe_fixes_only_on_request():
    src = "x = 1\n"
    f = finding(1, 5, 1, 6, (1, 5, 1, 6, "2"), safety="unsafe")
    assert apply_fixes(src, [f]) == (src, [])
    assert apply_fixes(src, [f], unsafe=True) == ("x = 2\n", [f])


def test_a_fix_that_does_not_parse_is_dropped_and_others_still_apply():
    src = "x = 1\ny = 2\nz = 3\n"
    bad = finding(2, 1, 2, 2, (2, 1, 2, 2, "def ("))
    good1 = finding(1, 5, 1, 6, (1, 5, 1, 6, "10"))
    good2 = finding(3, 5, 3, 6, (3, 5, 3, 6, "30"))
    out, applied = apply_fixes(src, [good2, bad, good1])
    assert out == "x = 10\ny = 2\nz = 30\n" and applied == [good1, good2]


def test_source_that_does_not_parse_is_left_alone():
    f = finding(1, 1, 1, 2, (1, 1, 1, 2, "y"))
    assert apply_fixes("x = (\n", [f]) == ("x = (\n", [])
