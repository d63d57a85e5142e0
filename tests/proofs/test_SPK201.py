"""SPK201's rewrites give the same result as the original on real Spark."""

import pytest

from helpers import prove_fix

pytestmark = pytest.mark.spark

DATA = """
pairs = sc.parallelize([("a", 1), ("b", 2), ("a", 3), ("c", 5), ("b", 7), ("a", 11)] * 50, 3)
"""


@pytest.mark.parametrize("reduce_call, rewritten", [
    ("mapValues(sum)", "reduceByKey(lambda a, b: a + b)"),
    ("mapValues(len)", "mapValues(lambda _: 1).reduceByKey(lambda a, b: a + b)"),
    ("mapValues(max)", "reduceByKey(max)"),
    ("mapValues(min)", "reduceByKey(min)"),
    ("mapValues(lambda vs: sum(vs))", "reduceByKey(lambda a, b: a + b)"),
    ("mapValues(lambda vs: len(list(vs)))", "mapValues(lambda _: 1).reduceByKey(lambda a, b: a + b)"),
    ("map(lambda kv: (kv[0], sum(kv[1])))", "reduceByKey(lambda a, b: a + b)"),
])
def test_safe_rewrites_keep_the_result(spark, reduce_call, rewritten):
    fixed = prove_fix(spark, "SPK201", DATA + f"result = pairs.groupByKey().{reduce_call}\n")
    assert f"result = pairs.{rewritten}\n" in fixed


def test_partition_count_is_kept(spark):
    fixed = prove_fix(spark, "SPK201", DATA + "result = pairs.groupByKey(5).mapValues(sum)\n")
    assert "reduceByKey(lambda a, b: a + b, 5)" in fixed


def test_average_is_an_unsafe_rewrite_with_the_same_result(spark):
    src = DATA + "result = pairs.groupByKey().mapValues(lambda vs: sum(vs) / len(vs))\n"
    fixed = prove_fix(spark, "SPK201", src, unsafe=True)
    assert "aggregateByKey((0, 0)" in fixed
