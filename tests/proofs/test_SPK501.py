"""SPK501: dropping a cache used once keeps the result on real Spark; notebooks count later cells."""

import textwrap

import pytest

from helpers import prove_fix
from sparkcoach.engine.lint import Settings, lint_cells, lint_source

ONLY = Settings(select=("SPK501",))


def _lint(src: str):
    return lint_source(textwrap.dedent(src), "t.py", settings=ONLY)


@pytest.mark.spark
def test_drop_cache_from_an_assignment(spark):
    src = """
    df = spark.range(100).selectExpr("id", "id % 3 AS k").cache()
    result = df.groupBy("k").count().collect()
    """
    fixed = prove_fix(spark, "SPK501", src, unsafe=True)
    assert 'df = spark.range(100).selectExpr("id", "id % 3 AS k")\n' in fixed


@pytest.mark.spark
def test_drop_the_standalone_cache_statement(spark):
    src = """
    df = spark.range(10)
    df.cache()
    result = df.selectExpr("sum(id) AS s").collect()
    """
    fixed = prove_fix(spark, "SPK501", src, unsafe=True)
    assert "cache" not in fixed
    assert 'df = spark.range(10)\nresult = df.selectExpr("sum(id) AS s").collect()\n' in fixed


@pytest.mark.spark
def test_drop_persist_with_a_level_from_a_split_chain(spark):
    src = """
    from pyspark import StorageLevel

    agg = (
        spark.range(50)
        .selectExpr("id % 5 AS k", "id")
        .groupBy("k")
        .sum("id")
        .persist(StorageLevel.DISK_ONLY)
    )
    result = agg.collect()
    """
    fixed = prove_fix(spark, "SPK501", src, unsafe=True)
    assert '    .sum("id")\n)\nresult = agg.collect()' in fixed


@pytest.mark.spark
def test_drop_cache_in_the_middle_of_a_chain_and_on_an_rdd(spark):
    src = """
    result = sc.parallelize(range(20), 2).map(lambda x: x * x).cache().sum()
    """
    fixed = prove_fix(spark, "SPK501", src, unsafe=True)
    assert "result = sc.parallelize(range(20), 2).map(lambda x: x * x).sum()\n" in fixed


@pytest.mark.spark
def test_self_assignment_is_removed_inside_a_function(spark):
    src = """
    def total(spark):
        df = spark.range(30).filter("id > 3")
        df = df.persist()
        out = df.selectExpr("count(*) AS n").collect()
        df.unpersist()
        return out


    result = total(spark)
    """
    fixed = prove_fix(spark, "SPK501", src, unsafe=True)
    assert "df = df.persist()" not in fixed and "    df.unpersist()\n" in fixed


@pytest.mark.spark
def test_comment_before_the_cache_call_is_kept(spark):
    src = """
    df = (spark.range(8)  # eight rows
          .cache())
    result = df.collect()
    """
    fixed = prove_fix(spark, "SPK501", src, unsafe=True)
    assert "# eight rows" in fixed and "cache" not in fixed


def test_message_names_the_single_use():
    [f] = _lint("""
    orders = spark.read.parquet("s3://lake/orders").cache()
    orders.write.parquet("s3://lake/copy")
    """)
    assert f.message.startswith("`orders` is cached with `.cache()` but is read only once afterwards "
                                "(`orders.write.parquet(\"s3://lake/copy\")`)")
    assert f.fix.safety == "unsafe"
    assert (f.line, f.column, f.end_column) == (2, 49, 56)


def test_reuse_in_a_later_notebook_cell_is_reuse():
    cells = [
        "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()",
        "df = spark.read.parquet('s3://lake/t').cache()",
        "df.count()",
        "df.groupBy('k').count().show()",
    ]
    assert lint_cells(cells, settings=ONLY) == []


def test_single_use_in_a_later_cell_is_reported_in_the_caching_cell():
    cells = [
        "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()",
        "x = 1\ndf = spark.read.parquet('s3://lake/t').cache()",
        "df.write.parquet('s3://lake/out')",
    ]
    [f] = lint_cells(cells, settings=ONLY)
    assert (f.cell, f.line) == (1, 2)


def test_rebinding_in_a_later_cell_ends_the_window():
    cells = [
        "df = spark.read.parquet('s3://lake/t').cache()",
        "df.count()",
        "df = spark.read.parquet('s3://lake/u')",
        "df.show()",
    ]
    assert [f.cell for f in lint_cells(cells, settings=ONLY)] == [0]


def test_conditional_rebinding_does_not_end_the_window():
    assert _lint("""
    df = spark.read.parquet("s3://lake/t").cache()
    if flag:
        df = spark.read.parquet("s3://lake/u")
    df.count()
    df.show()
    """) == []


def test_function_defined_earlier_reading_the_global_is_reuse():
    assert _lint("""
    def report():
        df.groupBy("k").count().show()

    df = spark.read.parquet("s3://lake/t").cache()
    report()
    df.write.parquet("s3://lake/out")
    """) == []


def test_later_query_over_the_cached_table_is_reuse():
    assert _lint("""
    events = spark.table("db.events").cache()
    events.count()
    spark.sql("SELECT kind, count(*) FROM db.events GROUP BY kind").show()
    """) == []


def test_other_frame_libraries_are_left_alone():
    assert _lint("""
    import polars as pl
    import dask.dataframe as dd

    lazy_df = pl.scan_csv("x.csv").cache()
    lazy_df.collect()
    ddf = dd.read_csv("x.csv").persist()
    ddf.sum().compute()
    """) == []


def test_rebinding_in_the_other_branch_does_not_end_the_window():
    assert _lint("""
    def f(spark, a):
        if a:
            df = spark.read.parquet("s3://lake/t").cache()
        else:
            df = spark.read.parquet("s3://lake/u")
        df.count()
        df.show()
    """) == []


def test_rebinding_after_the_branch_ends_the_window():
    [f] = _lint("""
    def f(spark, a):
        if a:
            df = spark.read.parquet("s3://lake/t").cache()
            df.count()
        df = spark.read.parquet("s3://lake/u")
        df.show()
    """)
    assert f.line == 4
