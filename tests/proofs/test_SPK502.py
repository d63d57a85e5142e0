"""SPK502's rewrite (a memory-only level to one that spills) keeps the result on real Spark."""

import pytest

from helpers import prove_fix

pytestmark = pytest.mark.spark


def test_dataframe_memory_only_becomes_memory_and_disk(spark):
    src = """
    from pyspark import StorageLevel

    df = spark.range(1000).selectExpr("id", "id % 7 AS k")
    cached = df.persist(StorageLevel.MEMORY_ONLY)
    result = cached.groupBy("k").count()
    cached.unpersist()
    """
    fixed = prove_fix(spark, "SPK502", src)
    assert "cached = df.persist(StorageLevel.MEMORY_AND_DISK)\n" in fixed
    assert "MEMORY_ONLY" not in fixed


def test_rdd_replicated_level_keeps_replication(spark):
    src = """
    import pyspark

    rdd = sc.parallelize(range(100), 4).map(lambda x: (x % 5, x))
    rdd.persist(pyspark.StorageLevel.MEMORY_ONLY_2)
    result = rdd.reduceByKey(lambda a, b: a + b).collect()
    rdd.unpersist()
    """
    fixed = prove_fix(spark, "SPK502", src)
    assert "rdd.persist(pyspark.StorageLevel.MEMORY_AND_DISK_2)\n" in fixed


def test_keyword_level_and_import_alias(spark):
    src = """
    from pyspark.storagelevel import StorageLevel as SL

    df = spark.range(50)
    df = df.persist(storageLevel=SL.MEMORY_ONLY)
    result = df.filter("id > 10")
    """
    fixed = prove_fix(spark, "SPK502", src)
    assert "df = df.persist(storageLevel=SL.MEMORY_AND_DISK)\n" in fixed


def test_handmade_level_gets_disk(spark):
    src = """
    from pyspark import StorageLevel

    df = spark.range(20)
    df.persist(StorageLevel(False, True, False, False))
    result = df.selectExpr("id * 2 AS x")
    df.unpersist()
    """
    fixed = prove_fix(spark, "SPK502", src)
    assert "df.persist(StorageLevel(True, True, False, False))\n" in fixed


def test_level_held_in_a_variable(spark):
    src = """
    from pyspark import StorageLevel

    level = StorageLevel.MEMORY_ONLY
    df = spark.range(30)
    df.persist(level)
    result = df.selectExpr("sum(id)")
    df.unpersist()
    """
    fixed = prove_fix(spark, "SPK502", src)
    assert "df.persist(StorageLevel.MEMORY_AND_DISK)\n" in fixed
