"""Reusable feature transformations for the marketing propensity models.

Every function takes a DataFrame and returns a new one so they chain with ``DataFrame.transform``:

    features = (events
                .transform(cast_numeric(NUMERIC_COLS))
                .transform(add_recency_rank)
                .transform(add_ratio_features([("orders", "visits")])))
"""
from __future__ import annotations

import re
from functools import partial
from typing import Callable, Iterable, Sequence

import pandas as pd
from rapidfuzz import fuzz
from scipy.stats import norm
from pyspark.ml.feature import Bucketizer
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, IntegerType, StringType

NUMERIC_COLS = ["visits", "orders", "basket_value", "days_since_signup", "support_tickets"]
NUMERIC_DEFAULTS = {"visits": 0, "orders": 0, "basket_value": 0.0, "support_tickets": 0}
AGE_SPLITS = [0, 18, 25, 35, 45, 55, 65, float("inf")]

Transform = Callable[[DataFrame], DataFrame]


def cast_numeric(cols: Sequence[str]) -> Transform:
    def _apply(df: DataFrame) -> DataFrame:
        for c in cols:
            df = df.withColumn(c, F.col(c).cast("double"))  # expect: SPK504
        return df

    return _apply


def cast_columns(df: DataFrame, types: dict[str, str]) -> DataFrame:
    """Cast many columns in one projection."""
    return df.select(*[F.col(c).cast(types[c]).alias(c) if c in types else F.col(c) for c in df.columns])


def fill_defaults(df: DataFrame, defaults: dict | None = None) -> DataFrame:
    return df.fillna(defaults or NUMERIC_DEFAULTS)


def add_ratio_features(pairs: Iterable[tuple[str, str]]) -> Transform:
    def _apply(df: DataFrame) -> DataFrame:
        return df.withColumns(
            {f"{a}_per_{b}": F.col(a) / F.when(F.col(b) != 0, F.col(b)) for a, b in pairs}
        )

    return _apply


def lowercase_columns(df: DataFrame) -> DataFrame:
    return df.toDF(*[re.sub(r"\W+", "_", c).lower() for c in df.columns])


normalize_name = F.udf(lambda s: s.strip().lower() if s is not None else None, StringType())  # expect: SPK405

digits_only = F.udf(lambda s: re.sub(r"[^0-9]", "", s) if s else s, StringType())  # expect: SPK405


def add_normalized_contact(df: DataFrame) -> DataFrame:
    return df.withColumn("name_norm", normalize_name("full_name")).withColumn("phone_digits", digits_only("phone"))


def add_clean_contact(df: DataFrame) -> DataFrame:
    """Same as above with the built-in functions (what new code should use)."""
    return df.withColumn("name_norm", F.lower(F.trim("full_name"))).withColumn(
        "phone_digits", F.regexp_replace("phone", r"[^0-9]", "")
    )


@F.udf(returnType=DoubleType())
def name_similarity(a, b):
    """Token-set similarity between the CRM name and the name typed on the web shop."""
    if a is None or b is None:
        return None
    return fuzz.token_set_ratio(a, b) / 100.0


@F.pandas_udf(DoubleType())
def spend_percentile(z: pd.Series) -> pd.Series:
    # z-scores come precomputed per segment; map them through the normal CDF
    return pd.Series(norm.cdf(z.fillna(0.0).to_numpy()))


def add_name_match(df: DataFrame) -> DataFrame:
    return df.withColumn("name_sim", name_similarity("crm_name", "web_name")).withColumn(
        "name_match", F.col("name_sim") >= 0.85
    )


def add_spend_percentile(df: DataFrame) -> DataFrame:
    w = Window.partitionBy("segment")
    z = (F.col("basket_value") - F.avg("basket_value").over(w)) / F.stddev("basket_value").over(w)
    return df.withColumn("spend_z", z).withColumn("spend_pct", spend_percentile("spend_z"))


def add_recency_rank(df: DataFrame) -> DataFrame:
    w = Window.partitionBy("customer_id").orderBy(F.col("event_ts").desc())
    return df.withColumn("recency_rank", F.row_number().over(w))


def add_global_rank(df: DataFrame, col: str) -> DataFrame:
    w = Window.orderBy(F.col(col).desc())  # expect: SPK203
    return df.withColumn(f"{col}_rank", F.rank().over(w))


def add_rolling_mean(df: DataFrame, value_col: str, days: int = 7) -> DataFrame:
    seconds = F.col("day").cast("timestamp").cast("long")
    w = Window.partitionBy("store_id").orderBy(seconds).rangeBetween(-(days - 1) * 86400, 0)
    return df.withColumn(f"{value_col}_{days}d_avg", F.avg(value_col).over(w))


def add_lag_features(df: DataFrame, col: str, lags: Sequence[int]) -> DataFrame:
    w = Window.partitionBy("customer_id").orderBy("month")
    return df.select("*", *[F.lag(col, k).over(w).alias(f"{col}_lag_{k}") for k in lags])


def bucketize_age(df: DataFrame) -> DataFrame:
    bucketizer = Bucketizer(splits=AGE_SPLITS, inputCol="age", outputCol="age_bucket", handleInvalid="keep")
    return bucketizer.transform(df.withColumn("age", F.col("age").cast("double")))


def explode_tags(df: DataFrame) -> DataFrame:
    return df.withColumn("tag", F.explode(F.split(F.col("tags"), r"\s*,\s*"))).filter(F.col("tag") != "")


def hash_email(df: DataFrame) -> DataFrame:
    return df.withColumn("email_sha", F.sha2(F.lower(F.trim("email")), 256)).drop("email")


def flag_outliers(df: DataFrame, col: str, k: float = 3.0) -> DataFrame:
    stats = df.agg(F.avg(col).alias("mu"), F.stddev(col).alias("sigma")).first()
    mu, sigma = stats["mu"], stats["sigma"] or 1.0
    return df.withColumn(f"{col}_outlier", F.abs(F.col(col) - F.lit(mu)) > k * sigma)


def pipeline(*steps: Transform) -> Transform:
    def _apply(df: DataFrame) -> DataFrame:
        for step in steps:
            df = df.transform(step)
        return df

    return _apply


default_features = pipeline(
    cast_numeric(NUMERIC_COLS),
    fill_defaults,
    add_ratio_features([("orders", "visits"), ("support_tickets", "orders")]),
    add_recency_rank,
    partial(add_lag_features, col="basket_value", lags=[1, 2, 3]),
)
