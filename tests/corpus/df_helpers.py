"""Small DataFrame helpers shared by the ingestion and reporting jobs."""
from __future__ import annotations

import logging
from functools import reduce
from typing import Iterable, Sequence

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType

log = logging.getLogger(__name__)


def is_empty(df: DataFrame) -> bool:
    return df.count() == 0  # expect: SPK102


def has_rows(df: DataFrame) -> bool:
    return len(df.head(1)) > 0


def log_size(df: DataFrame, name: str) -> int:
    n = df.count()
    log.info("%s: %d rows", name, n)
    if n == 0:
        log.warning("%s is empty", name)
    return n


def trim_all_strings(df: DataFrame) -> DataFrame:
    for name, dtype in df.dtypes:
        if dtype == "string":
            df = df.withColumn(name, F.trim(F.col(name)))  # expect: SPK504
    return df


def trim_all_strings_select(df: DataFrame) -> DataFrame:
    return df.select(*[F.trim(F.col(n)).alias(n) if t == "string" else F.col(n) for n, t in df.dtypes])


def null_fractions(df: DataFrame) -> dict[str, float]:
    row = df.select(
        F.count(F.lit(1)).alias("__total"),
        *[F.count(F.when(F.col(c).isNull(), 1)).alias(c) for c in df.columns],
    ).collect()[0].asDict()
    total = row.pop("__total") or 1
    return {c: n / total for c, n in row.items()}


def drop_mostly_null(df: DataFrame, threshold: float = 0.95) -> DataFrame:
    fractions = null_fractions(df)
    return df.drop(*[c for c, f in fractions.items() if f >= threshold])


def dedupe_latest(df: DataFrame, keys: Sequence[str], order_col: str) -> DataFrame:
    w = Window.partitionBy(*keys).orderBy(F.col(order_col).desc_nulls_last())
    return df.withColumn("_rn", F.row_number().over(w)).filter(F.col("_rn") == 1).drop("_rn")


def with_missing_flag(df: DataFrame, col: str) -> DataFrame:
    is_missing = F.udf(lambda v: v is None or v == "", BooleanType())  # expect: SPK405
    return df.withColumn(f"{col}_missing", is_missing(col))


def with_missing_flag_builtin(df: DataFrame, col: str) -> DataFrame:
    return df.withColumn(f"{col}_missing", F.col(col).isNull() | (F.col(col) == ""))


def union_all(dfs: Iterable[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), dfs)


def write_single_csv(df: DataFrame, path: str) -> None:
    """For hand-offs to people who open the file in Excel; the frames are small."""
    df.coalesce(1).write.mode("overwrite").option("header", True).csv(path)


def sample_rows(df: DataFrame, n: int = 20) -> list:
    return df.limit(n).collect()


def attach_reference(ids_rdd, reference: DataFrame):
    return ids_rdd.map(lambda key: (key, reference.filter(F.col("id") == key).first()))  # expect: SPK403


def attach_reference_join(ids: DataFrame, reference: DataFrame) -> DataFrame:
    return ids.join(reference.dropDuplicates(["id"]), "id", "left")


def row_counts(spark: SparkSession, paths: list[str]):
    paths_rdd = spark.sparkContext.parallelize(paths, len(paths) or 1)
    counts = paths_rdd.map(lambda p: (p, spark.read.parquet(p).count()))  # expect: SPK403
    return counts


def row_counts_driver(spark: SparkSession, paths: list[str]) -> dict[str, int]:
    return {p: spark.read.parquet(p).count() for p in paths}


def rename_with_prefix(df: DataFrame, prefix: str, keep: Sequence[str] = ()) -> DataFrame:
    return df.toDF(*[c if c in keep else f"{prefix}{c}" for c in df.columns])


def describe_numeric(df: DataFrame) -> DataFrame:
    numeric = [n for n, t in df.dtypes if t in ("int", "bigint", "double", "float") or t.startswith("decimal")]
    return df.select(numeric).summary("count", "mean", "stddev", "min", "50%", "max")
