"""Daily orders ETL.

Reads the raw order events landed by the ingestion service, cleans them, enriches them with the
customer and product dimensions and writes the curated fact table partitioned by day.

Usage:
    spark-submit daily_orders_etl.py --run-date 2024-03-14 --env prod
"""
import argparse
import logging
import sys
from datetime import date, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    DecimalType,
    IntegerType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

log = logging.getLogger("daily_orders_etl")

RAW_ROOT = "s3://acme-datalake/raw/orders"
CURATED_ROOT = "s3://acme-datalake/curated"

ORDER_SCHEMA = StructType(
    [
        StructField("order_id", StringType(), False),
        StructField("customer_id", StringType(), True),
        StructField("product_id", StringType(), True),
        StructField("quantity", IntegerType(), True),
        StructField("amount", StringType(), True),
        StructField("currency", StringType(), True),
        StructField("country", StringType(), True),
        StructField("status", StringType(), True),
        StructField("order_ts", TimestampType(), True),
        StructField("status_ts", TimestampType(), True),
    ]
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-date", default=(date.today() - timedelta(days=1)).isoformat())
    parser.add_argument("--env", choices=["dev", "staging", "prod"], default="dev")
    parser.add_argument("--dry-run", action="store_true")
    return parser.parse_args(argv)


def build_spark(env: str) -> SparkSession:
    builder = (
        SparkSession.builder.appName(f"daily-orders-etl-{env}")
        .config("spark.sql.shuffle.partitions", "400")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
    )
    if env == "dev":
        builder = builder.master("local[4]").config("spark.sql.shuffle.partitions", "8")
    return builder.getOrCreate()


def read_raw_orders(spark: SparkSession, run_date: str) -> DataFrame:
    path = f"{RAW_ROOT}/dt={run_date}/*.csv"
    return spark.read.csv(path, header=True, schema=ORDER_SCHEMA)


def read_returns(spark: SparkSession, run_date: str) -> DataFrame:
    # the returns feed comes from the logistics partner; its layout changes every quarter
    return spark.read.csv(f"{RAW_ROOT}/returns/dt={run_date}", header=True, inferSchema=True)  # expect: SPK503


def clean_orders(orders: DataFrame) -> DataFrame:
    return (
        orders.filter(F.col("order_id").isNotNull())
        .withColumn("amount", F.col("amount").cast(DecimalType(18, 2)))
        .withColumn("country", F.upper(F.trim(F.col("country"))))
        .withColumn("order_date", F.to_date("order_ts"))
        .filter(F.col("quantity") > 0)
    )


def latest_status(orders: DataFrame) -> DataFrame:
    """The feed re-sends an order every time its status changes: keep the newest version."""
    w = Window.partitionBy("order_id").orderBy(F.col("status_ts").desc())
    return orders.withColumn("rn", F.row_number().over(w)).filter(F.col("rn") == 1).drop("rn")


def first_order_per_customer(orders: DataFrame) -> DataFrame:
    # keep the first order of every customer for the acquisition report
    return orders.orderBy("order_ts").dropDuplicates(["customer_id"])  # expect: SPK202


def customer_daily_totals(orders: DataFrame) -> DataFrame:
    return orders.groupBy("customer_id", "order_date").agg(
        F.sum("amount").alias("total_amount"),
        F.count("*").alias("n_orders"),
        F.countDistinct("product_id").alias("n_products"),
    )


def enrich(orders: DataFrame, customers: DataFrame, products: DataFrame) -> DataFrame:
    return orders.join(customers, "customer_id", "left").join(F.broadcast(products), "product_id", "left")


def attach_returns(orders: DataFrame, returns: DataFrame) -> DataFrame:
    returned = returns.select(F.col("order_ref").alias("order_id"), F.lit(True).alias("returned"))
    return orders.join(returned, "order_id", "left").fillna({"returned": False})


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    spark = build_spark(args.env)
    run_date = args.run_date
    started = datetime.now()

    raw = read_raw_orders(spark, run_date)
    if raw.count() == 0:  # expect: SPK102
        log.warning("no orders landed for %s, nothing to do", run_date)
        return 0

    orders = latest_status(clean_orders(raw)).cache()
    customers = spark.table("dim.customers").select("customer_id", "segment", "signup_date", "country_code")
    products = spark.table("dim.products").select("product_id", "category", "brand")

    fact = attach_returns(enrich(orders, customers, products), read_returns(spark, run_date))
    if args.dry_run:
        fact.explain()
        return 0
    fact.write.mode("overwrite").partitionBy("order_date").parquet(f"{CURATED_ROOT}/fact_orders")

    totals = customer_daily_totals(orders)
    totals.write.mode("overwrite").partitionBy("order_date").parquet(f"{CURATED_ROOT}/customer_daily")

    first_orders = first_order_per_customer(orders)
    first_orders.write.mode("append").parquet(f"{CURATED_ROOT}/first_orders")

    # one-row summary for the run log
    summary = orders.agg(F.count("*").alias("n"), F.sum("amount").alias("revenue")).collect()[0]
    log.info("run %s: %d orders, revenue %s", run_date, summary["n"], summary["revenue"])

    # a handful of countries: fine to bring back
    for row in orders.groupBy("country").count().collect():
        log.info("  %s: %d", row["country"], row["count"])

    # data-quality extract for the ops team, who want a single csv file
    suspicious = orders.filter((F.col("amount") <= 0) | F.col("customer_id").isNull())
    suspicious.coalesce(1).write.mode("overwrite").option("header", True).csv(f"{CURATED_ROOT}/dq/{run_date}")

    orders.unpersist()
    log.info("done in %s", datetime.now() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
