"""SPK302 has no fix; these check it tells Spark joins from pandas/polars ones in mixed code."""

import textwrap

from sparkcoach.engine.lint import Settings, lint_source


def _lines(src: str) -> list[int]:
    return [f.line for f in lint_source(textwrap.dedent(src), settings=Settings(select=("SPK302",)))]


def test_pandas_index_join_on_a_df_name_is_silent():
    assert _lines("""
    import pandas as pd
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()

    def combine(df, other):
        return df.join(other)

    def to_pandas(sdf):
        pdf = sdf.toPandas()
        return pdf.join(pd.DataFrame({"x": [1]}))

    wide = pd.read_csv("a.csv").join(pd.read_csv("b.csv"), how="cross")
    """) == []


def test_spark_provenance_still_counts_in_mixed_code():
    assert _lines("""
    import pandas as pd
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()

    def enrich(df):
        regions = spark.read.parquet("/regions")
        return df.join(regions)

    orders = spark.table("orders")
    customers = spark.table("customers")
    pairs = orders.join(customers, how="cross")
    """) == [9, 13]


def test_polars_cross_join_is_silent():
    assert _lines("""
    import polars as pl
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    a = pl.DataFrame({"x": [1, 2]})
    b = pl.DataFrame({"y": [3]})
    both = a.join(b, how="cross")

    def grid(df, other_df):
        return df.join(other_df, how="cross")
    """) == []


def test_message_names_the_code():
    found = lint_source("orders = spark.table('o')\nitems = spark.table('i')\nx = orders.crossJoin(items)\n",
                        settings=Settings(select=("SPK302",)))
    assert len(found) == 1
    assert "`orders.crossJoin(items)`" in found[0].message
    assert (found[0].line, found[0].column, found[0].end_column) == (3, 12, 28)
