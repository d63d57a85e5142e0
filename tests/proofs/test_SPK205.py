"""SPK205's rewrites (dropping a repartition that the next shuffle wastes) keep the result on real Spark."""

import pytest

from helpers import _run, prove_fix

pytestmark = pytest.mark.spark

DATA = """
from operator import add
from pyspark.sql import functions as F
rows = [(i, i % 17, ["fr", "de", "us"][i % 3], float(i % 23), i % 40) for i in range(500)]
orders = spark.createDataFrame(rows, ["order_id", "customer_id", "country", "amount", "line"])
customers = spark.createDataFrame([(i, f"c{i}") for i in range(17)], ["customer_id", "name"])
words = sc.parallelize([f"w{i % 29}" for i in range(600)], 3)
pairs = words.map(lambda w: (w, 1))
"""


@pytest.mark.parametrize("original, rewritten", [
    ('orders.repartition(200).groupBy("country").agg(F.sum("amount"))',
     'orders.groupBy("country").agg(F.sum("amount"))'),
    ('orders.repartition(12, "country").groupBy("customer_id").count()', 'orders.groupBy("customer_id").count()'),
    ('orders.repartition(7).join(customers, "customer_id")', 'orders.join(customers, "customer_id")'),
    ('orders.repartition("country").join(customers, ["customer_id"], "left")',
     'orders.join(customers, ["customer_id"], "left")'),
    ('orders.select("customer_id").repartition(9).distinct()', 'orders.select("customer_id").distinct()'),
    ('orders.repartition(9).dropDuplicates(["customer_id"]).select("customer_id")',
     'orders.dropDuplicates(["customer_id"]).select("customer_id")'),
    ('orders.repartition(5).orderBy(F.desc("amount"))', 'orders.orderBy(F.desc("amount"))'),
])
def test_dataframe_repartition_is_removed(spark, original, rewritten):
    fixed = prove_fix(spark, "SPK205", DATA + f"result = {original}\n")
    assert f"result = {rewritten}\n" in fixed


@pytest.mark.parametrize("original, rewritten, parts", [
    ("pairs.repartition(6).reduceByKey(add)", "pairs.reduceByKey(add, 6)", 6),
    ("pairs.repartition(numPartitions=5).groupByKey().mapValues(sorted)",
     "pairs.groupByKey(5).mapValues(sorted)", 5),
    ("pairs.repartition(8).sortByKey(ascending=False)", "pairs.sortByKey(ascending=False, numPartitions=8)", 8),
    ("pairs.repartition(8).aggregateByKey(0, add, add)", "pairs.aggregateByKey(0, add, add, 8)", 8),
    ("pairs.repartition(8).foldByKey(0, add, 3)", "pairs.foldByKey(0, add, 3)", 3),
    ("words.repartition(7).distinct()", "words.distinct(7)", 7),
    ("pairs.repartition(4).join(pairs)", "pairs.join(pairs, 4)", 4),
])
def test_rdd_partition_count_moves_into_the_shuffle(spark, original, rewritten, parts):
    fixed = prove_fix(spark, "SPK205", DATA + f"result = {original}\n")
    assert f"result = {rewritten}\n" in fixed
    assert _run(spark, fixed)["result"].getNumPartitions() == parts


def test_multiline_chain(spark):
    src = DATA + """
result = (
    orders
    .filter(F.col("amount") > 2)
    .repartition(40)
    .groupBy("customer_id", "country")
    .agg(F.max("amount").alias("max_amount"))
)
"""
    fixed = prove_fix(spark, "SPK205", src)
    assert '    .filter(F.col("amount") > 2)\n    .groupBy("customer_id", "country")\n' in fixed


def test_variable_whose_uses_all_shuffle(spark):
    src = DATA + """
def totals(df):
    df = df.repartition(200)
    return df.groupBy("customer_id").agg(F.sum("amount").alias("total"))

result = totals(orders)
"""
    fixed = prove_fix(spark, "SPK205", src)
    assert 'def totals(df):\n    return df.groupBy("customer_id")' in fixed


def test_rdd_variable(spark):
    src = DATA + """
spread = pairs.repartition(6)
result = spread.reduceByKey(lambda a, b: a + b)
"""
    fixed = prove_fix(spark, "SPK205", src)
    assert "spread = pairs\nresult = spread.reduceByKey(lambda a, b: a + b, 6)\n" in fixed
