"""Structured Streaming job: Kafka order events -> Delta + fraud alerts.

Each micro-batch is upserted into the orders Delta table, aggregated into a
per-store minute table, and high-value orders are pushed to the fraud service.
"""
import json
import os
import time

import redis
import requests
from delta.tables import DeltaTable
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (ArrayType, DoubleType, IntegerType, LongType, StringType,
                               StructField, StructType, TimestampType)

KAFKA_BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "kafka-0:9092,kafka-1:9092")
FRAUD_WEBHOOK = os.environ.get("FRAUD_WEBHOOK", "https://fraud.internal/api/v2/orders")
REDIS_HOST = os.environ.get("REDIS_HOST", "redis.internal")
ORDERS_TABLE = "/mnt/delta/orders"
STORE_MINUTE_TABLE = "/mnt/delta/store_minute"
CHECKPOINT = "/mnt/checkpoints/order_events_v3"

LINE_SCHEMA = StructType([
    StructField("sku", StringType()),
    StructField("qty", IntegerType()),
    StructField("unit_price", DoubleType()),
])
EVENT_SCHEMA = StructType([
    StructField("order_id", StringType()),
    StructField("store_id", StringType()),
    StructField("customer_id", StringType()),
    StructField("op", StringType()),
    StructField("lines", ArrayType(LINE_SCHEMA)),
    StructField("event_ts", TimestampType()),
    StructField("version", LongType()),
])

spark = (
    SparkSession.builder.appName("order-events-stream")
    .config("spark.sql.streaming.stateStore.providerClass",
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
    .getOrCreate()
)

raw = (
    spark.readStream.format("kafka")
    .option("kafka.bootstrap.servers", KAFKA_BOOTSTRAP)
    .option("subscribe", "orders.v3")
    .option("startingOffsets", "latest")
    .option("maxOffsetsPerTrigger", 200_000)
    .load()
)

events = (
    raw.select(F.from_json(F.col("value").cast("string"), EVENT_SCHEMA).alias("e"))
    .select("e.*")
    .withWatermark("event_ts", "10 minutes")
    .dropDuplicates(["order_id", "version"])
    .withColumn("order_total", F.aggregate("lines", F.lit(0.0), lambda acc, l: acc + l.qty * l.unit_price))
)


def post_alert(row):
    resp = requests.post(FRAUD_WEBHOOK, json={"order_id": row.order_id, "total": row.order_total}, timeout=5)
    resp.raise_for_status()


def push_counters(rows):
    # one client per partition; the pipeline batches the INCRBYs
    client = redis.Redis(host=REDIS_HOST, port=6379, socket_timeout=2)
    pipe = client.pipeline(transaction=False)
    for r in rows:
        pipe.hincrby(f"store:{r.store_id}:orders", r.minute.strftime("%H%M"), r.orders)
    pipe.execute()
    client.close()


def upsert_orders(batch: DataFrame, batch_id: int) -> None:
    if batch.count() == 0:  # expect: SPK102
        return

    batch.persist(StorageLevel.MEMORY_ONLY)  # expect: SPK502

    latest = batch.groupBy("order_id").agg(F.max_by(F.struct("*"), "version").alias("r")).select("r.*")
    target = DeltaTable.forPath(spark, ORDERS_TABLE)
    (
        target.alias("t")
        .merge(latest.alias("s"), "t.order_id = s.order_id")
        .whenMatchedDelete(condition="s.op = 'd'")
        .whenMatchedUpdateAll(condition="s.version > t.version")
        .whenNotMatchedInsertAll(condition="s.op != 'd'")
        .execute()
    )

    per_minute = (
        batch.where(F.col("op") != "d")
        .groupBy("store_id", F.date_trunc("minute", "event_ts").alias("minute"))
        .agg(F.count("*").alias("orders"), F.sum("order_total").alias("revenue"))
    )
    per_minute.write.format("delta").mode("append").save(STORE_MINUTE_TABLE)
    per_minute.foreachPartition(push_counters)

    suspicious = batch.where((F.col("order_total") > 5000) & (F.col("op") == "c"))
    suspicious.foreach(post_alert)  # expect: SPK404

    print(f"batch {batch_id}: {batch.count()} events at {time.strftime('%H:%M:%S')}")
    batch.unpersist()


def write_store_snapshot(batch: DataFrame, batch_id: int) -> None:
    # runs on the driver: using spark / the DataFrame here is fine
    stores = spark.read.format("delta").load("/mnt/delta/dim_store").select("store_id", "region")
    snap = batch.join(F.broadcast(stores), "store_id").withColumn("batch_id", F.lit(batch_id))
    if snap.isEmpty():
        return
    snap.coalesce(1).write.mode("append").json(f"/mnt/exports/store_snapshots/batch={batch_id}")


def lookup_loyalty_tier(customer_ids):
    # executed per partition on the executors, one connection for the whole partition
    client = redis.Redis(host=REDIS_HOST, port=6379)
    for cid in customer_ids:
        tier = client.get(f"loyalty:{cid}")
        yield (cid, tier.decode() if tier else "none")
    client.close()


orders_query = (
    events.writeStream.foreachBatch(upsert_orders)
    .option("checkpointLocation", CHECKPOINT)
    .trigger(processingTime="30 seconds")
    .start()
)

snap_query = (
    events.select("store_id", "order_id", "order_total", "event_ts")
    .writeStream.foreachBatch(write_store_snapshot)
    .option("checkpointLocation", CHECKPOINT + "_snap")
    .trigger(processingTime="5 minutes")
    .start()
)

# periodic enrichment of the customer dimension with loyalty tiers (batch side job)
customers = spark.read.format("delta").load("/mnt/delta/dim_customer").select("customer_id")
tiers = customers.rdd.map(lambda r: r.customer_id).mapPartitions(lookup_loyalty_tier)
tiers.toDF(["customer_id", "tier"]).write.format("delta").mode("overwrite").save("/mnt/delta/customer_tier")

for q in (orders_query, snap_query):
    status = q.status
    print(json.dumps({"id": str(q.id), "active": q.isActive, "message": status["message"]}))

spark.streams.awaitAnyTermination()
