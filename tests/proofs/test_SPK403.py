"""SPK403 has no fix: these tests prove on real Spark that what it reports fails, and check its messages."""

import textwrap

import pytest

from helpers import _run, actual_findings
from sparkcoach.engine.lint import Settings


def _lint(src: str):
    return actual_findings(textwrap.dedent(src), settings=Settings(select=("SPK403",)))


@pytest.mark.spark
@pytest.mark.parametrize("body", [
    "result = sc.parallelize(range(4)).map(lambda x: spark.range(x).count()).collect()",
    "other = spark.range(3)\nresult = spark.range(4).rdd.map(lambda r: other.count()).collect()",
    "nums = sc.parallelize(range(3))\nresult = nums.map(lambda x: nums.count()).collect()",
])
def test_reported_code_fails_on_spark(spark, body):
    assert len(_lint(body)) == 1
    with pytest.raises(Exception):
        _run(spark, body)


@pytest.mark.spark
def test_suggested_join_runs(spark):
    src = """
        rates = spark.createDataFrame([("EUR", 1.1), ("GBP", 1.3)], ["ccy", "rate"])
        orders = spark.createDataFrame([(1, "EUR", 10.0), (2, "GBP", 20.0)], ["id", "ccy", "amount"])
        result = orders.join(rates, "ccy").selectExpr("id", "amount * rate AS usd")
    """
    assert _lint(src) == []
    rows = sorted(tuple(r) for r in _run(spark, textwrap.dedent(src))["result"].collect())
    assert rows == [(1, pytest.approx(11.0)), (2, pytest.approx(26.0))]


def test_message_names_the_object_and_its_use():
    found = _lint("""
        from pyspark.sql import SparkSession
        spark = SparkSession.builder.getOrCreate()
        rates = spark.table("fx")
        out = spark.table("orders").rdd.map(lambda o: rates.filter(rates.ccy == o.ccy).first())
    """)
    assert len(found) == 1
    f = found[0]
    assert (f.line, f.column, f.severity, f.fix) == (5, 47, "error", None)
    assert "`rates` (a DataFrame, in `rates.filter(rates.ccy == o.ccy).first()`)" in f.message
    assert "join `rates`" in f.message


def test_driver_side_functions_are_not_reported():
    assert _lint("""
        from pyspark.sql import SparkSession
        spark = SparkSession.builder.getOrCreate()
        df = spark.table("orders")
        q = df.writeStream.foreachBatch(lambda b, e: spark.sql("select 1")).start()
        t = df.transform(lambda d: d.join(spark.table("fx"), "ccy"))
        pdf = df.limit(5).toPandas()
        s = pdf["ccy"].map(lambda c: spark.conf.get(c))
    """) == []


def test_a_pandas_frame_named_df_is_not_spark():
    assert _lint("""
        import pyspark
        def f(rdd, df):
            return rdd.map(lambda r: df.loc[r.key])
    """) == []
