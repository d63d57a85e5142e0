"""SPK202's rewrites (removing a sort that a shuffle discards) give the same result on real Spark."""

import pytest

from helpers import _run, normalize, prove_fix

pytestmark = pytest.mark.spark

DATA = """
from pyspark.sql import functions as F
from pyspark.sql.window import Window
rows = [(i % 7, ["fr", "de", "us"][i % 3], 1000 - i, float(i % 11), f"p{i % 5}") for i in range(300)]
events = spark.createDataFrame(rows, ["user_id", "country", "ts", "amount", "page"])
users = spark.createDataFrame([(i, f"u{i}") for i in range(7)], ["user_id", "name"])
pairs = sc.parallelize([(f"k{i % 13}", i) for i in range(400)], 4)
"""


@pytest.mark.parametrize("original, rewritten", [
    ('events.orderBy("ts").groupBy("user_id").agg(F.sum("amount").alias("total"))',
     'events.groupBy("user_id").agg(F.sum("amount").alias("total"))'),
    ('events.sort(F.desc("ts")).groupBy("country").count()', 'events.groupBy("country").count()'),
    ('events.orderBy("ts").groupBy("user_id").agg({"amount": "max"})',
     'events.groupBy("user_id").agg({"amount": "max"})'),
    ('events.orderBy("ts").join(users, "user_id", "left")', 'events.join(users, "user_id", "left")'),
    ('users.join(events.orderBy("ts"), on="user_id")', 'users.join(events, on="user_id")'),
    ('events.select("user_id", "country").orderBy("user_id").distinct()',
     'events.select("user_id", "country").distinct()'),
    ('events.orderBy("ts").dropDuplicates()', 'events.dropDuplicates()'),
    ('events.orderBy("ts").repartition(5, "country")', 'events.repartition(5, "country")'),
    ('events.orderBy("ts").withColumn("eur", F.col("amount") * 0.9).filter("amount > 2")'
     '.groupBy("country").agg(F.avg("eur"))',
     'events.withColumn("eur", F.col("amount") * 0.9).filter("amount > 2").groupBy("country").agg(F.avg("eur"))'),
    ('pairs.sortByKey().reduceByKey(lambda a, b: a + b)', 'pairs.reduceByKey(lambda a, b: a + b)'),
    ('pairs.sortBy(lambda kv: kv[1]).keys().distinct()', 'pairs.keys().distinct()'),
    ('pairs.sortByKey(False).join(pairs)', 'pairs.join(pairs)'),
    ('pairs.sortByKey().groupByKey().mapValues(sorted)', 'pairs.groupByKey().mapValues(sorted)'),
])
def test_removing_the_sort_keeps_the_result(spark, original, rewritten):
    fixed = prove_fix(spark, "SPK202", DATA + f"result = {original}\n")
    assert f"result = {rewritten}\n" in fixed


def test_multiline_chain_loses_the_sort_line(spark):
    src = DATA + """
result = (
    events
    .orderBy("user_id", "ts")  # newest last
    .select("user_id", "amount")
    .groupBy("user_id")
    .agg(F.max("amount"))
)
"""
    fixed = prove_fix(spark, "SPK202", src)
    assert 'result = (\n    events\n    .select("user_id", "amount")\n    .groupBy("user_id")\n' in fixed


def test_backslash_continuation(spark):
    src = DATA + 'result = events \\\n    .orderBy("ts") \\\n    .groupBy("country") \\\n    .count()\n'
    fixed = prove_fix(spark, "SPK202", src)
    assert 'result = events \\\n    .groupBy("country") \\\n    .count()\n' in fixed


def test_sorted_variable_whose_only_use_is_a_shuffle(spark):
    src = DATA + """
ordered = events.orderBy("ts")
result = ordered.groupBy("country").agg(F.avg("amount"))
"""
    fixed = prove_fix(spark, "SPK202", src)
    assert 'ordered = events\nresult = ordered.groupBy("country")' in fixed


def test_self_assigned_sort_in_a_function_is_deleted(spark):
    src = DATA + """
def daily(df):
    df = df.orderBy("ts")
    df = df.withColumn("eur", F.col("amount") * 0.9)
    return df.groupBy("country").agg(F.sum("eur").alias("eur"))

result = daily(events)
"""
    fixed = prove_fix(spark, "SPK202", src)
    assert 'def daily(df):\n    df = df.withColumn("eur"' in fixed


def test_repartition_one_after_sort_becomes_coalesce(spark):
    src = DATA + 'result = events.orderBy("ts").repartition(1)\n'
    fixed = prove_fix(spark, "SPK202", src)
    assert 'result = events.orderBy("ts").coalesce(1)\n' in fixed
    # and the single partition is now really in sort order
    ns = _run(spark, fixed)
    ts = [r["ts"] for r in ns["result"].collect()]
    assert ts == sorted(ts) and ns["result"].rdd.getNumPartitions() == 1


def test_dedupe_after_sort_becomes_a_row_number_window(spark):
    src = DATA + 'latest = events.orderBy(F.desc("ts")).dropDuplicates(["user_id"])\nresult = latest.select("user_id")\n'
    fixed = prove_fix(spark, "SPK202", src, unsafe=True)
    assert ('latest = events.withColumn("_rn", F.row_number().over(Window.partitionBy(["user_id"])'
            '.orderBy(F.desc("ts")))).filter("_rn = 1").drop("_rn")\n') in fixed
    # the rewrite keeps, for each user, the row with the highest ts: what the sort meant
    ns = _run(spark, fixed)
    got = normalize(ns["latest"].select("user_id", "ts"))
    expected = normalize(ns["events"].groupBy("user_id").agg(ns["F"].max("ts")))
    assert got == expected
    assert "_rn" not in ns["latest"].columns


def test_dedupe_fix_is_not_safe():
    from sparkcoach.engine.lint import Settings, lint_source

    src = DATA + 'result = events.orderBy(F.desc("ts")).dropDuplicates(["user_id"])\n'
    (f,) = lint_source(src, "x.py", settings=Settings(select=("SPK202",)))
    assert f.fix is not None and f.fix.safety == "unsafe"
    assert "row_number()" in f.message
