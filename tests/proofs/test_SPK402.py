"""SPK402's rewrite (broadcast the captured data, read `.value`) gives the same result on real Spark."""

import pytest

from helpers import actual_findings, prove_fix
from sparkcoach.engine.lint import Settings

pytestmark = pytest.mark.spark


def test_big_literal_set_with_sc(spark):
    fixed = prove_fix(spark, "SPK402", """
        blocked = set(range(0, 30000, 3))
        numbers = sc.parallelize(range(2000), 4)
        result = numbers.filter(lambda x: x not in blocked)
    """, unsafe=True)
    assert "blocked_bc = sc.broadcast(blocked)\nresult = numbers.filter(lambda x: x not in blocked_bc.value)\n" in fixed


def test_collected_map_with_the_session(spark):
    fixed = prove_fix(spark, "SPK402", """
        doubled = spark.range(20000).rdd.map(lambda r: (r.id, r.id * 2)).collectAsMap()
        result = spark.range(500).rdd.map(lambda r: (r.id, doubled[r.id]))
    """, unsafe=True)
    assert "doubled_bc = spark.sparkContext.broadcast(doubled)\n" in fixed
    assert "doubled_bc.value[r.id]" in fixed


def test_named_function_in_a_job_function(spark):
    fixed = prove_fix(spark, "SPK402", """
        from pyspark.sql import SparkSession

        def job(session: SparkSession):
            codes = [r.code for r in session.range(50000).selectExpr("id % 7 AS code").collect()]
            def known(r):
                return r.id in codes
            return session.range(100).rdd.filter(known)

        result = job(spark)
    """, unsafe=True)
    assert "    codes_bc = session.sparkContext.broadcast(codes)\n    return session.range(100).rdd.filter(known)" in fixed
    assert "return r.id in codes_bc.value" in fixed


def test_udf_reading_a_large_dict(spark):
    fixed = prove_fix(spark, "SPK402", """
        from pyspark.sql.functions import udf

        sc = spark.sparkContext
        names = {i: f"n{i}" for i in range(5000)}

        @udf("string")
        def name_of(i):
            return names.get(i)

        result = spark.range(50).withColumn("name", name_of("id"))
    """, unsafe=True)
    assert "names_bc = sc.broadcast(names)\n@udf(\"string\")" in fixed
    assert "return names_bc.value.get(i)" in fixed


def test_existing_broadcast_is_reused(spark):
    fixed = prove_fix(spark, "SPK402", """
        blocked = list(range(10**4))
        blocked_bc = sc.broadcast(blocked)
        result = sc.parallelize(range(20000), 4).filter(lambda x: x not in blocked)
    """, unsafe=True)
    assert fixed.count("sc.broadcast(") == 1
    assert "lambda x: x not in blocked_bc.value" in fixed


def test_no_fix_is_safe_and_none_without_a_context():
    src = """
import pyspark
def run(rdd):
    big = list(range(10**6))
    return rdd.filter(lambda x: x in big)
"""
    found = actual_findings(src, settings=Settings(select=("SPK402",)))
    assert len(found) == 1 and found[0].fix is None
    assert "broadcast `big` once" in found[0].message


def test_broadcast_value_is_not_reported():
    src = """
import pyspark
big = list(range(10**6))
big_bc = sc.broadcast(big)
out = sc.parallelize(range(10)).filter(lambda x: x in big_bc.value)
"""
    assert actual_findings(src, settings=Settings(select=("SPK402",))) == []
