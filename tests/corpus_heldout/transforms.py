"""Reusable DataFrame transforms shared by the marketing-data jobs.

Every function takes a DataFrame (plus options) and returns a new DataFrame,
so they compose with ``DataFrame.transform``::

    out = (events
           .transform(standardize_columns)
           .transform(lambda d: dedupe_latest(d, ["event_id"], "updated_at"))
           .transform(lambda d: sessionize(d, "user_id", "event_ts", gap_minutes=30)))
"""
from __future__ import annotations

import re
from functools import reduce
from typing import Iterable, Mapping, Sequence

from pyspark.sql import Column, DataFrame, Row, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")

REGIONS = [
    ("AT", "DACH"), ("CH", "DACH"), ("DE", "DACH"),
    ("BE", "BENELUX"), ("NL", "BENELUX"), ("LU", "BENELUX"),
    ("DK", "NORDICS"), ("FI", "NORDICS"), ("NO", "NORDICS"), ("SE", "NORDICS"),
]


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name.strip()).replace(" ", "_").replace("-", "_").lower()


def standardize_columns(df: DataFrame) -> DataFrame:
    """Rename every column to snake_case in a single projection."""
    return df.toDF(*[_snake(c) for c in df.columns])


def cast_columns(df: DataFrame, types: Mapping[str, str]) -> DataFrame:
    """Cast the given columns, e.g. ``{"amount": "decimal(18,2)", "qty": "int"}``."""
    out = df
    for name, dtype in types.items():
        out = out.withColumn(name, F.col(name).cast(dtype))  # expect: SPK504
    return out


def trim_strings(df: DataFrame) -> DataFrame:
    """Trim every string column, leaving the others untouched (one select)."""
    cols = [
        F.trim(F.col(f.name)).alias(f.name) if isinstance(f.dataType, StringType) else F.col(f.name)
        for f in df.schema.fields
    ]
    return df.select(*cols)


def dedupe_latest(df: DataFrame, keys: Sequence[str], ts_col: str) -> DataFrame:
    """Keep the newest row per key."""
    w = Window.partitionBy(*keys).orderBy(F.col(ts_col).desc_nulls_last())
    return df.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def dedupe_sorted(df: DataFrame, keys: Sequence[str], ts_col: str) -> DataFrame:
    """Older variant kept for the v1 jobs (do not use in new code)."""
    return (
        df.sort(F.col(ts_col).desc())  # expect: SPK202
        .dropDuplicates(list(keys))
    )


def sessionize(df: DataFrame, user_col: str, ts_col: str, gap_minutes: int = 30) -> DataFrame:
    w = Window.partitionBy(user_col).orderBy(ts_col)
    gap = F.col(ts_col).cast("long") - F.lag(F.col(ts_col).cast("long")).over(w)
    new_session = F.when(gap.isNull() | (gap > gap_minutes * 60), 1).otherwise(0)
    return (
        df.withColumn("_new", new_session)
        .withColumn("session_idx", F.sum("_new").over(w.rowsBetween(Window.unboundedPreceding, 0)))
        .withColumn("session_id", F.concat_ws("-", F.col(user_col), F.col("session_idx")))
        .drop("_new")
    )


def add_running_total(df: DataFrame, value_col: str, order_col: str) -> DataFrame:
    """Cumulative sum of value_col over the whole DataFrame in order_col order."""
    w = Window.orderBy(order_col).rowsBetween(Window.unboundedPreceding, Window.currentRow)  # expect: SPK203
    return df.withColumn(f"{value_col}_cumulative", F.sum(value_col).over(w))


def top_n_per_group(df: DataFrame, group_cols: Sequence[str], order_col: Column | str, n: int) -> DataFrame:
    order = F.col(order_col).desc() if isinstance(order_col, str) else order_col
    w = Window.partitionBy(*group_cols).orderBy(order)
    return df.withColumn("_rank", F.dense_rank().over(w)).where(F.col("_rank") <= n).drop("_rank")


def with_region(df: DataFrame, spark: SparkSession, country_col: str = "country") -> DataFrame:
    regions = spark.createDataFrame(REGIONS, ["_country", "region"])
    return (
        df.join(regions, df[country_col] == regions["_country"], "inner")  # expect: SPK301
        .drop("_country")
    )


def with_fiscal_calendar(df: DataFrame, spark: SparkSession, date_col: str = "day") -> DataFrame:
    quarters = spark.createDataFrame(
        [(1, "Q4"), (2, "Q4"), (3, "Q1"), (4, "Q1"), (5, "Q1"), (6, "Q2"),
         (7, "Q2"), (8, "Q2"), (9, "Q3"), (10, "Q3"), (11, "Q3"), (12, "Q4")],
        ["_month", "fiscal_quarter"],
    )
    return (
        df.withColumn("_month", F.month(date_col))
        .join(F.broadcast(quarters), "_month", "left")
        .drop("_month")
    )


def explode_scenarios(df: DataFrame, spark: SparkSession) -> DataFrame:
    """Every row three times: pessimistic / base / optimistic uplift."""
    scenarios = spark.createDataFrame(
        [("pessimistic", 0.9), ("base", 1.0), ("optimistic", 1.15)], ["scenario", "uplift"]
    )
    return df.crossJoin(scenarios).withColumn("forecast", F.col("baseline") * F.col("uplift"))  # expect: SPK301


def attribute_campaigns(sessions: DataFrame, campaigns: DataFrame) -> DataFrame:
    """Tag each session with every campaign that was live when it started."""
    return (
        sessions.join(campaigns, how="cross")  # expect: SPK302
        .where(F.col("session_start").between(F.col("campaign_start"), F.col("campaign_end")))
        .select("session_id", "user_id", "campaign_id", "channel")
    )


def union_all(frames: Iterable[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)


def is_empty(df: DataFrame) -> bool:
    return df.count() == 0  # expect: SPK102


def has_rows(df: DataFrame) -> bool:
    return len(df.head(1)) > 0


def preview(df: DataFrame, n: int = 20) -> list[Row]:
    return df.limit(n).collect()


def distinct_values(df: DataFrame, col: str) -> list:
    return sorted(r[0] for r in df.select(col).distinct().collect())


def null_fractions(df: DataFrame) -> dict[str, float]:
    row = df.select([F.avg(F.col(c).isNull().cast("double")).alias(c) for c in df.columns]).first()
    return row.asDict() if row else {}


def pivot_metrics(df: DataFrame, key: str, metric_col: str, value_col: str,
                  metrics: Sequence[str]) -> DataFrame:
    return df.groupBy(key).pivot(metric_col, list(metrics)).agg(F.first(value_col))


def hash_pii(df: DataFrame, cols: Sequence[str], salt: str) -> DataFrame:
    return df.withColumns({c: F.sha2(F.concat(F.lit(salt), F.col(c).cast("string")), 256) for c in cols})


def bucketize(df: DataFrame, col: str, edges: Sequence[float]) -> DataFrame:
    expr = reduce(
        lambda acc, i: acc.when(F.col(col) < edges[i], F.lit(i)),
        range(1, len(edges)),
        F.when(F.col(col) < edges[0], F.lit(0)),
    ).otherwise(F.lit(len(edges)))
    return df.withColumn(f"{col}_bucket", expr)


def write_single_csv(df: DataFrame, path: str) -> None:
    """Small extracts for partners who want exactly one file."""
    df.coalesce(1).write.mode("overwrite").option("header", "true").csv(path)
