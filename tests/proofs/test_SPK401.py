"""SPK401's rewrite (copy `self.<field>` into a local) gives the same result on real Spark."""

import pytest

from helpers import actual_findings, prove_fix
from sparkcoach.engine.lint import Settings

pytestmark = pytest.mark.spark


def test_lambda_reading_a_field(spark):
    fixed = prove_fix(spark, "SPK401", """
        class Scaler:
            def __init__(self, k):
                self.k = k

            def run(self, rdd):
                return rdd.map(lambda x: x * self.k)

        result = Scaler(3).run(sc.parallelize(range(100), 4))
    """)
    assert "        k = self.k\n        return rdd.map(lambda x: x * k)\n" in fixed


def test_two_fields_and_a_private_one(spark):
    fixed = prove_fix(spark, "SPK401", """
        class Shift:
            def __init__(self):
                self.k = 2
                self._offset = 5

            def run(self, rdd):
                pairs = rdd.map(lambda x: (x % 3, x))
                return pairs.reduceByKey(lambda a, b: a + b).mapValues(lambda v: v * self.k + self._offset)

        result = Shift().run(sc.parallelize(range(60), 3))
    """)
    assert "        k = self.k\n        offset = self._offset\n" in fixed
    assert "mapValues(lambda v: v * k + offset)" in fixed


def test_nested_def_and_a_clashing_name(spark):
    fixed = prove_fix(spark, "SPK401", """
        class Filter:
            def __init__(self, limit):
                self.limit = limit

            def run(self, rdd):
                limit = 1000  # the method already uses `limit`
                def keep(x):
                    return x < self.limit and x < limit
                return rdd.filter(keep)

        result = Filter(40).run(sc.parallelize(range(100), 4))
    """)
    assert "        limit_value = self.limit\n        def keep(x):\n" in fixed
    assert "return x < limit_value and x < limit" in fixed


def test_decorated_udf_in_a_method(spark):
    fixed = prove_fix(spark, "SPK401", """
        from pyspark.sql.functions import udf

        class Job:
            def __init__(self, k):
                self.k = k

            def run(self, df):
                @udf("long")
                def times(x):
                    return x * self.k
                return df.withColumn("y", times("id"))

        result = Job(7).run(spark.range(30))
    """)
    assert "        k = self.k\n        @udf(\"long\")\n" in fixed


def test_object_holding_the_session_now_runs(spark):
    # The original fails on the executors (the object holds the SparkSession): the rewrite runs.
    src = """
        class Job:
            def __init__(self, spark, k):
                self.spark = spark
                self.k = k

            def run(self):
                rdd = self.spark.sparkContext.parallelize(range(10))
                return rdd.map(lambda x: x + self.k)

        result = Job(spark, 1).run().collect()
    """
    import textwrap

    from sparkcoach.engine.lint import lint_source
    from sparkcoach.fixes import apply_fixes
    from helpers import _run

    src = textwrap.dedent(src)
    findings = lint_source(src, "p.py", settings=Settings(select=("SPK401",)))
    fixed, applied = apply_fixes(src, findings)
    assert applied
    with pytest.raises(Exception):
        _run(spark, src)
    assert sorted(_run(spark, fixed)["result"]) == list(range(1, 11))


def test_bound_methods_and_method_calls_get_no_fix():
    src = """
import pyspark
class Job:
    def parse(self, line):
        return line.split(",")

    def run(self, rdd):
        a = rdd.map(self.parse)
        b = rdd.map(lambda l: self.parse(l))
        c = rdd.map(lambda l: (l, self))
        return a, b, c
"""
    found = [f for f in actual_findings(src, settings=Settings(select=("SPK401",)))]
    assert [f.line for f in found] == [8, 9, 10]
    assert all(f.fix is None for f in found)
    assert "make it a `@staticmethod` and pass `Job.parse`" in found[0].message


def test_no_fix_when_the_field_changes_after_the_copy():
    src = """
import pyspark
class Job:
    def run(self, rdd):
        out = rdd.map(lambda x: x * self.k)
        self.k = 5
        return out
"""
    found = actual_findings(src, settings=Settings(select=("SPK401",)))
    assert len(found) == 1 and found[0].fix is None
