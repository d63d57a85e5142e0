"""The result check of measured rewrites, on the real local session (and one Spark Connect test)."""

from __future__ import annotations

import doctest
import subprocess
import sys
import uuid
from decimal import Decimal
from operator import add

import pytest

from sparkcoach.measure import fingerprint as fp
from sparkcoach.measure.fingerprint import REORDERED, bound_names, compare, compare_namespaces, fingerprint
from servers import connect_server, connect_session  # noqa: F401,E402  (fixtures: a real Spark Connect server)


def same(a, b):
    return compare(fingerprint(a), fingerprint(b))


# -- pure: names and driver-side values -----------------------------------------------------------

@pytest.mark.parametrize("code, names", [
    ("x = 1\ny: int = 2\nz: int\nx += 1", ["x", "y"]),
    ("a, (b, *c) = f()\n[d, e] = g()", ["a", "b", "c", "d", "e"]),
    ("for i, j in pairs:\n    total = i\nwith open(p) as f, lock:\n    text = f.read()",
     ["i", "j", "total", "f", "text"]),
    ("if (n := len(xs)) > 3:\n    big = True\nelse:\n    big = False", ["n", "big"]),
    ("y = (x := 1)", ["x", "y"]),
    ("import os\nfrom a import b as c\ndef f():\n    inner = 1\nclass K:\n    attr = 2\nsq = [v for v in range(3)]",
     ["sq"]),
    ("try:\n    r = 1\nexcept E as err:\n    r = 2", ["r"]),
    ("x.attr = 1\nd['k'] = 2\ndel q", []),
    ("not python (", []),
])
def test_bound_names(code, names):
    assert bound_names(code) == names


@pytest.mark.parametrize("a, b, expected", [
    (3, 4, (False, "value 3 vs 4")),
    (3, 3.0, (True, None)),
    (0.1 + 0.2, 0.3, (True, None)),
    (1e-13, 0.0, (True, None)),
    (1.0, 1.0 + 1e-6, (False, "value 1.0 vs 1.000001")),
    (float("nan"), float("nan"), (True, None)),
    (True, 1, (False, "value True vs 1")),
    ("a", "b", (False, "value 'a' vs 'b'")),
    (None, None, (True, None)),
    ([1, 2, 3], [1, 2], (False, "3 items vs 2")),
    ([1, 2, 3], [3, 1, 2], (True, REORDERED)),
    ([1, 2, 3], [3, 1, 4], (False, "item 0: 1 vs 3")),
    ((1, 2), [1, 2], (False, "a tuple vs a list")),
    ({"n": 3, "m": [1]}, {"m": [1], "n": 3}, (True, None)),
    ({"n": 3}, {"n": 4}, (False, "key 'n': 3 vs 4")),
    ({"n": 3}, {"k": 3}, (False, "keys ['n'] vs ['k']")),
    ({1, 2}, {2, 1}, (True, None)),
    ({1, 2}, {1, 3}, (False, "item 1: 2 vs 3")),
    (Decimal("1.10"), 1.1, (True, None)),
    ([[1, 2], [3]], [[3], [1, 2]], (True, REORDERED)),
])
def test_driver_values(a, b, expected):
    assert same(a, b) == expected


def test_rows_pandas_and_numpy():
    import numpy as np
    import pandas as pd
    from pyspark.sql import Row

    assert same([Row(k=1, n=2), Row(k=2, n=5)], [Row(k=2, n=5), Row(k=1, n=2)]) == (True, REORDERED)
    assert same([Row(k=1, n=2)], [Row(k=1, n=3)]) == (False, "item 0: Row(k=1, n=2) vs Row(k=1, n=3)")
    assert same([Row(k=1, n=2)], [Row(k=1, total=2)]) == (False, "item 0: Row(k=1, n=2) vs Row(k=1, total=2)")
    assert same(Row(k=1, n=2), Row(k=1, total=2)) == (False, "fields [k, n] vs [k, total]")
    a = pd.DataFrame({"k": [1, 2], "v": [0.5, 1.5]})
    assert same(a, a.iloc[::-1].reset_index(drop=True)) == (True, REORDERED)
    assert same(a, a.rename(columns={"v": "w"})) == (False, "columns [k, v] vs [k, w]")
    assert same(a, a.assign(v=[0.5, 2.5])) == (False, "row 1: (2, 1.5) vs (2, 2.5)")
    assert same(a["v"], a["v"] * 1.0) == (True, None)
    assert same(np.array([1.0, 2.0]), np.array([2.0, 1.0])) == (True, REORDERED)
    assert same(np.arange(4).reshape(2, 2), np.arange(4)) == (False, "shape (2, 2) vs (4,)")
    assert same(np.int64(3), 3) == (True, None)


@pytest.mark.spark
def test_values_not_worth_comparing(spark, sc):
    from pyspark.sql import Window, functions as F

    class Thing:
        pass

    for value in (sys, len, Thing, Thing(), spark, sc, F.col("a"), sc.broadcast([1]), sc.accumulator(0),
                  Window.partitionBy("a"), spark.range(3).groupBy("id"), (i for i in range(3)), [Thing()]):
        assert fingerprint(value) is None, value
    assert compare(None, None) == (True, None)
    assert compare(fingerprint(3), None) == (False, "an int vs a value that cannot be compared")


def test_compare_namespaces():
    def f():
        pass

    names = ["a", "b", "helper", "rows", "gone"]
    a = {"a": 1, "b": [1, 2], "helper": f, "rows": [1, 2, 3]}
    assert compare_namespaces(names, a, {"a": 1, "b": [1, 2], "helper": len, "rows": [3, 2, 1]}) == (
        True, None, ["`rows`: same rows, in a different order"])
    assert compare_namespaces(names, a, {"a": 1, "b": [1, 3], "rows": [1, 2, 3]})[:2] == (False, "`b`: item 1: 2 vs 3")
    assert compare_namespaces(["counts"], {"counts": {1: 2}}, {})[:2] == (False, "`counts` is missing from the rewrite")
    assert compare_namespaces([], {}, {}, last_a=4, last_b=5)[:2] == (False, "the cell's value: value 4 vs 5")
    assert compare_namespaces([], {}, {}, last_a=4)[:2] == (False, "the cell's value is missing from the rewrite")
    assert compare_namespaces([], {}, {}, last_a=f, last_b=3) == (True, None, [])


def test_doctests():
    assert doctest.testmod(fp).failed == 0


def test_rdd_function_travels_by_value():
    """Executors may not have sparkcoach: the per-partition function must unpickle without it."""
    from pyspark import cloudpickle

    data = cloudpickle.dumps(fp._rdd_summary())
    probe = ("import sys, pickle; sys.modules['sparkcoach'] = None; f = pickle.loads(sys.stdin.buffer.read());"
             "print(list(f(iter([1, 2.0, 'a', (1, [2]), {'k': {3, 4}}, None, b'x', 1.23456789012]))))")
    out = subprocess.run([sys.executable, "-c", probe], input=data, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()[-500:]
    n, s = eval(out.stdout.decode())[0]
    assert n == 8 and s > 0


# -- real Spark: DataFrames and RDDs --------------------------------------------------------------

def _jobs(sc, fn):
    """(fn(), number of Spark jobs it started)."""
    group = f"sparkcoach-fingerprint-{uuid.uuid4().hex[:8]}"
    sc.setJobGroup(group, "fingerprint")
    try:
        value = fn()
    finally:
        sc.setJobGroup("sparkcoach-test-other", "")
    sc._jsc.sc().listenerBus().waitUntilEmpty()
    return value, len(sc.statusTracker().getJobIdsForGroup(group))


@pytest.fixture(scope="module")
def base(spark):
    return spark.range(0, 1000, numPartitions=2).selectExpr("id", "id % 7 AS k", "id * 0.1 AS v")


@pytest.mark.spark
def test_equal_dataframes_built_differently(spark, base):
    from pyspark.sql import functions as F

    one = base.groupBy("k").agg(F.sum("v").alias("total"), F.count("*").alias("n"))
    other = base.repartition(5, "id").sortWithinPartitions(F.desc("id")).groupBy("k").agg(
        F.sum("v").alias("total"), F.count("*").alias("n"))
    assert compare(fingerprint(one), fingerprint(other)) == (True, None)
    bits = spark.createDataFrame([(1, 0.1 + 0.2, Decimal("0.30"), -0.0)], "a int, x double, d decimal(10,2), z double")
    rounded = spark.createDataFrame([(1, 0.3, Decimal("0.3000"), 0.0)], "a bigint, x double, d decimal(20,4), z double")
    assert compare(fingerprint(bits), fingerprint(rounded)) == (True, None)  # ints widened, decimals and floats rounded


@pytest.mark.spark
@pytest.mark.parametrize("change, difference", [
    (lambda df: df.where("id != 5"), "row count 1,000 vs 999"),
    (lambda df: df.selectExpr("id", "k", "IF(id = 3, v + 1, v) AS v"),
     "same row count (1,000), different rows (checksum differs)"),
    (lambda df: df.withColumn("w", df.k), "columns [id, k, v] vs [id, k, v, w]"),
    (lambda df: df.withColumnRenamed("v", "value"), "columns [id, k, v] vs [id, k, value]"),
    (lambda df: df.selectExpr("id", "CAST(k AS string) AS k", "v"), "column `k` is bigint vs string"),
])
def test_different_dataframes(base, change, difference):
    assert compare(fingerprint(base), fingerprint(change(base))) == (False, difference)


@pytest.mark.spark
def test_nested_and_empty_dataframes(spark):
    nested = ("SELECT id, map('a', id) AS m, array(id * 0.5) AS xs, named_struct('p', id, 'q', map(id, 'x')) AS s "
              "FROM range(20)")
    one = spark.sql(nested)
    assert compare(fingerprint(one), fingerprint(spark.sql(nested).repartition(3))) == (True, None)
    changed = spark.sql(nested.replace("map('a', id)", "map('a', id + 1)"))
    assert compare(fingerprint(one), fingerprint(changed))[1].endswith("(checksum differs)")
    empty = fingerprint(spark.range(0))
    assert (empty.count, empty.checksum) == (0, None)
    assert compare(empty, fingerprint(spark.range(5).where("id > 9"))) == (True, None)


@pytest.mark.spark
def test_one_job_per_dataframe_and_rdd(spark, sc, base):
    from pyspark.sql import functions as F

    narrow = base.where("k > 2").selectExpr("id", "v * 2 AS w")
    assert _jobs(sc, lambda: fingerprint(narrow))[1] == 1
    grouped = base.groupBy("k").agg(F.sum("v"))
    # a plan with a shuffle: the fingerprint adds no job to those the plan itself needs (AQE runs each stage as a job)
    plain = _jobs(sc, lambda: grouped.write.format("noop").mode("overwrite").save())[1]
    assert _jobs(sc, lambda: fingerprint(grouped))[1] == plain
    pairs = sc.parallelize([(w % 13, 1) for w in range(500)], 3)
    assert _jobs(sc, lambda: fingerprint(pairs.groupByKey().mapValues(sum)))[1] == 1


@pytest.mark.spark
def test_rdds(sc):
    pairs = sc.parallelize([(w % 13, w * 0.5) for w in range(500)], 3)
    grouped = fingerprint(pairs.groupByKey().mapValues(sum))
    assert compare(grouped, fingerprint(pairs.reduceByKey(add))) == (True, None)
    assert compare(grouped, fingerprint(pairs.reduceByKey(add).filter(lambda kv: kv[0] != 3))) == (
        False, "element count 13 vs 12")
    assert compare(grouped, fingerprint(pairs.reduceByKey(add).mapValues(lambda v: v + 1))) == (
        False, "same element count (13), different elements (checksum differs)")
    lists = fingerprint(pairs.groupByKey())  # ResultIterable: compared as sorted lists
    assert compare(lists, fingerprint(pairs.repartition(2).groupByKey())) == (True, None)
    assert compare(grouped, fingerprint(pairs.groupByKey().mapValues(sum).toDF(["k", "v"]))) == (
        False, "an RDD vs a DataFrame")


@pytest.mark.spark
def test_collected_rows_in_another_order(base):
    from pyspark.sql import functions as F

    up, down = base.orderBy("id").collect(), base.orderBy(F.desc("id")).collect()
    assert compare(fingerprint(up), fingerprint(down)) == (True, REORDERED)
    ns_a, ns_b = {"rows": up, "df": base}, {"rows": down, "df": base.where("id < 999")}
    assert compare_namespaces(["rows", "df"], ns_a, ns_b)[:2] == (False, "`df`: row count 1,000 vs 999")


@pytest.mark.spark
def test_a_failing_value_is_reported(spark):
    good = spark.range(3)
    bad = spark.range(3).selectExpr("raise_error('boom') AS id")
    same_, difference, notes = compare_namespaces(["df"], {"df": good}, {"df": bad})
    assert not same_ and difference.startswith("`df` fails in the rewrite:") and "boom" in difference
    same_, difference, notes = compare_namespaces(["df"], {"df": bad}, {"df": good})
    assert same_ and difference is None and notes[0].startswith("`df` was not checked:") and "boom" in notes[0]


@pytest.mark.spark
def test_spark_connect_dataframes(connect_session):
    query = "SELECT id, id % 3 AS k, id * 0.1 AS v FROM range(200)"
    one = fingerprint(connect_session.sql(query))
    assert (one.count, [c for c, _ in one.columns]) == (200, ["id", "k", "v"])
    assert compare(one, fingerprint(connect_session.sql(query).repartition(3))) == (True, None)
    assert compare(one, fingerprint(connect_session.sql(query + " WHERE id <> 7"))) == (False, "row count 200 vs 199")
