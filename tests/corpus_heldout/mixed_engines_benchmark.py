"""Store-level demand features: polars / duckdb for the small local pieces,
Spark for the 3 TB transaction history, pandas for the final touches.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

STORES_CSV = "/data/ref/stores.csv"
HOLIDAYS_PARQUET = "/data/ref/holidays.parquet"
TX_PATH = "s3://retail-lake/transactions/"

# ---------------------------------------------------------------- local reference data
stores_pl = (
    pl.scan_csv(STORES_CSV)
    .filter(pl.col("status") == "open")
    .with_columns(pl.col("opened").str.to_date("%Y-%m-%d"))
    .select(["store_id", "format", "region", "sqm", "opened"])
    .collect()
)
con = duckdb.connect()
con.register("stores", stores_pl.to_arrow())
holiday_calendar = duckdb.sql(
    f"SELECT * FROM read_parquet('{HOLIDAYS_PARQUET}') h JOIN stores s ON h.region = s.region"
).df()
region_sizes = con.execute("SELECT region, sum(sqm) AS sqm FROM stores GROUP BY region ORDER BY sqm DESC").df()

# a 1.2 GB product master exported nightly from the ERP as CSV
product_master = pd.read_csv("/data/ref/product_master.csv", dtype={"sku": "string", "dept": "string"})

# ---------------------------------------------------------------- Spark for the history
spark = (
    SparkSession.builder.appName("demand-features")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)
tx = spark.read.parquet(TX_PATH).where(F.col("tx_date") >= "2023-01-01")
stores_sdf = spark.createDataFrame(stores_pl.to_pandas())
holidays_sdf = spark.createDataFrame(holiday_calendar[["store_id", "holiday_date", "holiday_name"]])

daily = (
    tx.join(stores_sdf.select("store_id", "format", "region"), "store_id")
    .groupBy("store_id", "format", "region", "tx_date")
    .agg(F.sum("amount").alias("sales"), F.countDistinct("basket_id").alias("baskets"))
)


@pandas_udf(StringType())  # expect: SPK405
def format_code(fmt: pd.Series) -> pd.Series:
    return fmt.str.upper()


@pandas_udf(DoubleType())
def trading_days_open(opened: pd.Series, tx_date: pd.Series) -> pd.Series:
    # Mon-Sat trading days since the store opened (no Spark built-in for business days)
    o = pd.to_datetime(opened).values.astype("datetime64[D]")
    t = pd.to_datetime(tx_date).values.astype("datetime64[D]")
    return pd.Series(np.busday_count(o, t, weekmask="1111110").astype("float64"))


daily = daily.withColumn("format_code", format_code("format"))
stores_age = stores_sdf.select("store_id", "opened")
daily = daily.join(stores_age, "store_id").withColumn("trading_days_open", trading_days_open("opened", "tx_date")).drop("opened")
daily = daily.join(holidays_sdf, (daily.store_id == holidays_sdf.store_id) & (daily.tx_date == holidays_sdf.holiday_date), "left") \
    .drop(holidays_sdf.store_id)
zscores = daily.groupBy("store_id").applyInPandas(
    lambda pdf: pdf.assign(z=(pdf.sales - pdf.sales.median()) / (pdf.sales.std() or 1.0)),
    schema="store_id string, format string, region string, tx_date date, sales double, baskets long, "
           "format_code string, trading_days_open double, holiday_date date, holiday_name string, z double",
)

# department mix per store: the product master joins the line items on the executors
lines = spark.read.parquet("s3://retail-lake/transaction_lines/").where(F.col("tx_date") >= "2023-01-01")


def add_dept(batches):
    for pdf in batches:
        yield pdf.merge(product_master[["sku", "dept"]], on="sku", how="left")


line_schema = StructType(lines.schema.fields + [StructField("dept", StringType())])
with_dept = lines.mapInPandas(add_dept, line_schema)  # expect: SPK402
dept_mix = with_dept.groupBy("store_id", "dept").agg(F.sum("amount").alias("sales"))

# ---------------------------------------------------------------- back to local tools
weekly_pdf = (
    zscores.groupBy("store_id", F.date_trunc("week", "tx_date").alias("week"))
    .agg(F.sum("sales").alias("sales"), F.max(F.abs("z")).alias("max_abs_z"))
    .toPandas()
)
weekly = pl.from_pandas(weekly_pdf).sort(["store_id", "week"])

# basket-size distribution over the last month, in polars
recent_lines = lines.where(F.col("tx_date") >= "2024-04-01").select("store_id", "basket_id", "sku", "qty")
recent_pdf = recent_lines.toPandas()  # expect: SPK101
basket_sizes = (
    pl.from_pandas(recent_pdf)
    .lazy()
    .group_by(["store_id", "basket_id"])
    .agg(pl.col("qty").sum().alias("items"))
    .group_by("store_id")
    .agg(pl.col("items").mean().alias("avg_items"), pl.col("items").quantile(0.9).alias("p90_items"))
    .collect()
)

mix_pdf = dept_mix.toPandas()
mix_wide = mix_pdf.pivot_table(index="store_id", columns="dept", values="sales", aggfunc="sum").fillna(0.0)
mix_wide = mix_wide.div(mix_wide.sum(axis=1), axis=0)
mix_wide["entropy"] = mix_wide.apply(lambda r: -(r[r > 0] * np.log(r[r > 0])).sum(), axis=1)

summary = duckdb.sql("""
    SELECT w.store_id, avg(w.sales) AS avg_weekly_sales, max(w.max_abs_z) AS worst_z, s.format
    FROM weekly w JOIN stores_pl s USING (store_id)
    GROUP BY w.store_id, s.format
    ORDER BY avg_weekly_sales DESC
""").pl()

# the modelling team wants the features back in the lake as a Spark table
features_sdf = spark.createDataFrame(zscores.toPandas())  # expect: SPK103
features_sdf.write.mode("overwrite").saveAsTable("demand.store_daily_features")
spark.createDataFrame(mix_wide.reset_index()).write.mode("overwrite").saveAsTable("demand.store_dept_mix")
summary.write_parquet("/data/out/store_summary.parquet")
basket_sizes.write_parquet("/data/out/basket_sizes.parquet")
