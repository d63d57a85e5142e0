"""SPK103's round-trip rewrites give the same result as the original on real Spark."""

import pytest

from helpers import prove_fix

pytestmark = pytest.mark.spark

DATA = """
events = spark.range(20000).selectExpr("id", "id % 7 AS k", "CAST(id AS DOUBLE) / 4 AS x")
lines = sc.parallelize(range(20000), 4).map(lambda i: (i % 5, f"line {i}"))
"""


@pytest.mark.parametrize("expr, rewritten", [
    ("sc.parallelize(events.collect())", "events.rdd"),
    ("sc.parallelize(events.filter('k = 1').collect())", "events.filter('k = 1').rdd"),
    ("spark.sparkContext.parallelize(events.rdd.collect())", "events.rdd"),
    ("sc.parallelize(lines.collect())", "lines"),
    ("sc.parallelize(lines.collect(), 3)", "lines.repartition(3)"),
    ("sc.parallelize(events.collect(), 3)", "events.rdd.repartition(3)"),
    ("spark.createDataFrame(events.collect())", "events"),
    ("spark.createDataFrame(events.collect(), events.schema)", "events"),
    ("spark.createDataFrame(events.collect(), schema=events.schema)", "events"),
    ("spark.createDataFrame(events.collect(), ['a', 'b', 'c'])", "events.toDF('a', 'b', 'c')"),
    ("spark.createDataFrame(events.toPandas())", "events"),
    ("spark.createDataFrame(events.groupBy('k').count().collect())", "events.groupBy('k').count()"),
    ("spark.createDataFrame(lines.collect())", "spark.createDataFrame(lines)"),
    ("spark.createDataFrame(lines.collect(), ['key', 'line'])", "spark.createDataFrame(lines, ['key', 'line'])"),
    ("spark.createDataFrame(events.rdd.collect())", "events"),
])
def test_round_trip_rewrites_keep_the_rows(spark, expr, rewritten):
    fixed = prove_fix(spark, "SPK103", DATA + f"result = {expr}\n", unsafe=True)
    assert f"result = {rewritten}\n" in fixed


def test_multiline_receiver_is_parenthesized(spark):
    src = DATA + "result = spark.createDataFrame(\n    events\n    .filter('k = 2')\n    .collect()\n)\n"
    fixed = prove_fix(spark, "SPK103", src, unsafe=True)
    assert "result = (events\n    .filter('k = 2'))\n" in fixed


def test_round_trip_fixes_are_unsafe_only():
    from sparkcoach.engine.lint import Settings, lint_source

    found = lint_source(DATA + "result = sc.parallelize(events.collect())\n", settings=Settings(select=("SPK103",)))
    assert [f.fix.safety for f in found] == ["unsafe"]
