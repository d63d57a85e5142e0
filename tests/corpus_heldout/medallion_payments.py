"""Bronze -> silver -> gold medallion pipeline for the payments domain.

Runs on Spark 3.4 with delta-spark 2.4.  Invoked by the orchestrator as

    spark-submit medallion_payments.py --run-date 2024-05-01 --env prod --stage all
"""
from __future__ import annotations

import argparse
import logging
from datetime import date, datetime, timedelta

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, StringType, StructField, StructType, TimestampType

log = logging.getLogger("payments.medallion")

LAKE = "abfss://lake@paymentsprod.dfs.core.windows.net"
BRONZE = f"{LAKE}/bronze/payments"
SILVER = f"{LAKE}/silver/payments"
GOLD_DAILY = f"{LAKE}/gold/merchant_daily"
QUARANTINE = f"{LAKE}/quarantine/payments"

RAW_SCHEMA = StructType([
    StructField("payment_id", StringType(), False),
    StructField("merchant_id", StringType(), True),
    StructField("customer_id", StringType(), True),
    StructField("amount", DecimalType(18, 2), True),
    StructField("currency", StringType(), True),
    StructField("status", StringType(), True),
    StructField("event_ts", TimestampType(), True),
    StructField("card_bin", StringType(), True),
])

STATUS_CODES = [
    ("AUTH", "authorised"),
    ("CAPT", "captured"),
    ("RFND", "refunded"),
    ("CHBK", "chargeback"),
    ("VOID", "voided"),
]


def build_session(env: str) -> SparkSession:
    builder = (
        SparkSession.builder.appName(f"payments-medallion-{env}")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.shuffle.partitions", "400")
        .config("spark.sql.adaptive.enabled", "true")
    )
    if env == "prod":
        # INC-2291: the merchant dimension OOM'd a broadcast once, so prod runs without them
        builder = builder.config("spark.sql.autoBroadcastJoinThreshold", "-1")  # expect: SPK701
    return builder.getOrCreate()


def ingest_bronze(spark: SparkSession, run_date: date) -> int:
    landing = f"{LAKE}/landing/payments/{run_date:%Y/%m/%d}/"
    raw = (
        spark.read.schema(RAW_SCHEMA)
        .option("mode", "PERMISSIVE")
        .json(landing)
    )
    stamped = (
        raw.withColumn("_ingested_at", F.current_timestamp())
        .withColumn("_source_file", F.input_file_name())
        .withColumn("_run_date", F.lit(run_date.isoformat()))
    )
    stamped.write.format("delta").mode("append").partitionBy("_run_date").save(BRONZE)

    n = (
        spark.read.format("delta").load(BRONZE)
        .where(F.col("_run_date") == run_date.isoformat())
        .count()
    )
    log.info("bronze rows for %s: %d", run_date, n)
    return n


def load_merchant_ref(spark: SparkSession) -> DataFrame:
    # weekly export from the onboarding team (csv, one file per region)
    return spark.read.csv(f"{LAKE}/reference/merchants/*.csv", header=True, inferSchema=True)  # expect: SPK503


def load_fx(spark: SparkSession) -> DataFrame:
    # all string columns, cast explicitly below: no inference pass needed
    fx = spark.read.option("header", "true").csv(f"{LAKE}/reference/fx/latest.csv")
    return fx.select(
        F.col("ccy").alias("currency"),
        F.col("rate_to_eur").cast("decimal(18,8)").alias("rate_to_eur"),
    )


def to_silver(spark: SparkSession, run_date: date) -> None:
    bronze = spark.read.format("delta").load(BRONZE).where(F.col("_run_date") == run_date.isoformat())

    newest_first = Window.partitionBy("payment_id").orderBy(F.col("event_ts").desc(), F.col("_ingested_at").desc())
    latest = (
        bronze.withColumn("_rn", F.row_number().over(newest_first))
        .where(F.col("_rn") == 1)
        .drop("_rn", "_source_file")
    ).cache()

    valid = (
        F.col("amount").isNotNull()
        & (F.col("amount") > 0)
        & F.col("currency").rlike("^[A-Z]{3}$")
    )
    bad = latest.where(~valid)
    good = latest.where(valid)

    if not bad.isEmpty():
        (bad.withColumn("_reason", F.lit("amount_or_currency"))
            .write.format("delta").mode("append").save(QUARANTINE))

    merchants = load_merchant_ref(spark).select(
        "merchant_id", F.col("country").alias("merchant_country"), "mcc"
    )
    status_dim = spark.createDataFrame(STATUS_CODES, ["status", "status_label"])

    enriched = (
        good.join(F.broadcast(merchants), "merchant_id", "left")
        .join(status_dim, "status", "left")  # expect: SPK301
        .join(F.broadcast(load_fx(spark)), "currency", "left")
        .withColumn("amount_eur", F.col("amount") * F.col("rate_to_eur"))
    )

    silver = DeltaTable.forPath(spark, SILVER)
    (
        silver.alias("t")
        .merge(enriched.alias("s"), "t.payment_id = s.payment_id")
        .whenMatchedUpdateAll(condition="s.event_ts > t.event_ts")
        .whenNotMatchedInsertAll()
        .execute()
    )
    latest.unpersist()


def rebuild_silver_from_bronze(spark: SparkSession, since: date) -> None:
    """One-off backfill used after the 2024-03 schema fix.  Kept for the runbook."""
    history = spark.read.format("delta").load(BRONZE).where(F.col("_run_date") >= since.isoformat())
    deduped = (
        history
        .orderBy(F.col("_ingested_at").desc())  # expect: SPK202
        .dropDuplicates(["payment_id"])
    )
    deduped.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(SILVER)


def build_gold(spark: SparkSession, run_date: date) -> None:
    start = datetime.combine(run_date, datetime.min.time())
    end = start + timedelta(days=1)
    day = (
        spark.read.format("delta").load(SILVER)
        .where((F.col("event_ts") >= F.lit(start)) & (F.col("event_ts") < F.lit(end)))
    )

    daily = day.groupBy("merchant_id", "merchant_country").agg(
        F.sum("amount_eur").alias("gross_eur"),
        F.countDistinct("customer_id").alias("customers"),
        F.sum(F.when(F.col("status_label") == "refunded", F.col("amount_eur")).otherwise(0)).alias("refunds_eur"),
        F.count(F.lit(1)).alias("payments"),
    ).withColumn("day", F.lit(run_date).cast("date"))

    (
        daily.write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", f"day = '{run_date.isoformat()}'")
        .save(GOLD_DAILY)
    )

    # trailing 7-day gross per merchant, computed on the (small) gold table
    gold = spark.read.format("delta").load(GOLD_DAILY).where(
        F.col("day") > F.date_sub(F.lit(run_date), 7)
    )
    trailing = Window.partitionBy("merchant_id").orderBy("day").rowsBetween(-6, 0)
    gold.withColumn("gross_7d", F.sum("gross_eur").over(trailing)).createOrReplaceTempView("gold_7d")

    # ten biggest merchants of the day for the Slack summary
    for row in daily.orderBy(F.desc("gross_eur")).limit(10).collect():
        log.info("%s %s %.2f", row.merchant_id, row.merchant_country, row.gross_eur)

    audit = spark.sql(
        f"SELECT status_label, count(*) AS n FROM delta.`{SILVER}` WHERE to_date(event_ts) = '{run_date.isoformat()}' GROUP BY status_label"  # expect: SPK605
    )
    for r in audit.collect():
        log.info("status %s: %d", r.status_label, r.n)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run-date", type=date.fromisoformat, required=True)
    p.add_argument("--env", default="dev")
    p.add_argument("--stage", choices=["bronze", "silver", "gold", "all"], default="all")
    args = p.parse_args()

    spark = build_session(args.env)
    if args.stage in ("bronze", "all"):
        if ingest_bronze(spark, args.run_date) == 0:
            log.warning("nothing landed for %s", args.run_date)
            return
    if args.stage in ("silver", "all"):
        to_silver(spark, args.run_date)
    if args.stage in ("gold", "all"):
        build_gold(spark, args.run_date)
    spark.stop()


if __name__ == "__main__":
    main()
