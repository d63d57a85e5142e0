"""SPK204's map -> mapValues rewrite keeps the result, and keeps the partitioner the map dropped."""

import pytest

from helpers import _run, prove_fix

pytestmark = pytest.mark.spark

DATA = """
from operator import add
pairs = sc.parallelize([(f"h{i % 11}", i) for i in range(300)], 3)
hits = pairs.reduceByKey(add)
sizes = pairs.mapValues(lambda v: v * 3).reduceByKey(add)
"""


@pytest.mark.parametrize("original, rewritten", [
    ("hits.map(lambda kv: (kv[0], kv[1] / 7))", "hits.mapValues(lambda v: v / 7)"),
    ("sizes.map(lambda pair: (pair[0], pair[1] // 2))", "sizes.mapValues(lambda v: v // 2)"),
    ("hits.filter(lambda kv: kv[1] > 100).map(lambda kv: (kv[0], True))",
     "hits.filter(lambda kv: kv[1] > 100).mapValues(lambda v: True)"),
    ("pairs.partitionBy(4).map(lambda h: (h[0], str(h[1]).upper()))",
     "pairs.partitionBy(4).mapValues(lambda v: str(v).upper())"),
    ("pairs.groupByKey().map(lambda kv: (kv[0], sorted(kv[1])[:3]))",
     "pairs.groupByKey().mapValues(lambda v: sorted(v)[:3])"),
    ("hits.map(lambda v: (v[0], (v[1], v[1] + 1)))", "hits.mapValues(lambda value: (value, value + 1))"),
])
def test_map_values_keeps_result_and_partitioner(spark, original, rewritten):
    src = DATA + f"mapped = {original}\nresult = mapped.join(sizes)\n"
    fixed = prove_fix(spark, "SPK204", src)
    assert f"mapped = {rewritten}\n" in fixed
    before, after = _run(spark, src), _run(spark, fixed)
    assert before["mapped"].partitioner is None
    assert after["mapped"].partitioner is not None
    assert after["mapped"].partitioner == after["sizes"].partitioner


def test_chained_join_keeps_partitioner(spark):
    src = DATA + "result = hits.map(lambda kv: (kv[0], kv[1] * 10)).join(sizes)\n"
    fixed = prove_fix(spark, "SPK204", src)
    assert "result = hits.mapValues(lambda v: v * 10).join(sizes)\n" in fixed
    # the rewritten join does not shuffle its inputs again: one shuffle fewer in the lineage
    before, after = _run(spark, src), _run(spark, fixed)
    assert _shuffles(after["result"]) < _shuffles(before["result"])


def test_fixed_result_is_the_mapped_rdd(spark):
    src = DATA + "result = hits.map(lambda kv: (kv[0], kv[1] + 1))\nagain = result.reduceByKey(add)\n"
    fixed = prove_fix(spark, "SPK204", src)
    assert "result = hits.mapValues(lambda v: v + 1)\n" in fixed
    assert _run(spark, src)["result"].partitioner is None
    assert _run(spark, fixed)["result"].partitioner is not None


def _shuffles(rdd) -> int:
    text = rdd.toDebugString().decode()
    return text.count("ShuffledRDD")
