"""SPK101's rewrites give the same result as the original on real Spark."""

import pytest

from helpers import prove_fix

pytestmark = pytest.mark.spark

# 20,000 rows: more than the engine's "provably small" literal sizes.
DATA = """
events = spark.range(20000).selectExpr("id", "id % 7 AS k", "CAST(id * 3 AS STRING) AS s")
lines = sc.parallelize(range(20000), 4).map(lambda i: f"line {i}")
"""


@pytest.mark.parametrize("expr, rewritten", [
    ("len(events.collect())", "events.count()"),
    ("len(events.filter('k = 3').collect())", "events.filter('k = 3').count()"),
    ("len(lines.collect())", "lines.count()"),
    ("len(events.rdd.collect())", "events.rdd.count()"),
])
def test_len_of_collect_becomes_count(spark, expr, rewritten):
    fixed = prove_fix(spark, "SPK101", DATA + f"result = {expr}\n", unsafe=True)
    assert f"result = {rewritten}\n" in fixed


def test_multiline_chain_keeps_its_parentheses(spark):
    src = DATA + "result = len(\n    events\n    .filter('k > 2')\n    .collect()\n)\n"
    fixed = prove_fix(spark, "SPK101", src, unsafe=True)
    assert "result = (events\n    .filter('k > 2')\n    .count())\n" in fixed


@pytest.mark.parametrize("expr, rewritten", [
    ("events.orderBy('id').collect()[0]", "events.orderBy('id').first()"),
    ("events.orderBy(events.id.desc()).collect()[0][1]", "events.orderBy(events.id.desc()).first()[1]"),
    ("events.orderBy('id').collect()[:5]", "events.orderBy('id').take(5)"),
    ("lines.collect()[0]", "lines.first()"),
])
def test_index_into_collect_is_an_unsafe_rewrite_with_the_same_result(spark, expr, rewritten):
    fixed = prove_fix(spark, "SPK101", DATA + f"result = {expr}\n", unsafe=True)
    assert f"result = {rewritten}\n" in fixed


@pytest.mark.parametrize("expr", ["events.collect()[0]", "len(events.collect())", "events.collect()[:3]"])
def test_rewrites_are_not_applied_as_safe(expr):
    from sparkcoach.engine.lint import Settings, lint_source

    found = lint_source(DATA + f"result = {expr}\n", settings=Settings(select=("SPK101",)))
    assert [f.fix.safety for f in found] == ["unsafe"]
