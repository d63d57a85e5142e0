"""Pushing Spark results into systems Spark has no connector for.

Used by the order-status sync and the event archiver.  The ``*_batched`` variants are the ones the
platform team recommends; the others are still called by two older jobs.
"""
import json
import logging
import os
from typing import Iterable, Iterator

import boto3
import psycopg2
import psycopg2.extras
import redis
import requests
from pyspark.sql import DataFrame, Row, SparkSession

log = logging.getLogger(__name__)

PG_DSN = os.environ.get("ORDERS_PG_DSN", "postgresql://sync@orders-db.internal:5432/orders")
WEBHOOK_URL = os.environ.get("STATUS_WEBHOOK_URL", "https://hooks.internal/order-status")
REDIS_HOST = os.environ.get("REDIS_HOST", "cache.internal")

UPSERT_SQL = """
    INSERT INTO order_status (order_id, status, updated_at)
    VALUES %s
    ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
"""


# --------------------------------------------------------------------------- postgres
def _upsert_row(row: Row) -> None:
    conn = psycopg2.connect(PG_DSN)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO order_status (order_id, status, updated_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status",
                (row.order_id, row.status, row.updated_at),
            )
        conn.commit()
    finally:
        conn.close()


def push_status_updates(df: DataFrame) -> None:
    df.select("order_id", "status", "updated_at").foreach(_upsert_row)  # expect: SPK404


def _upsert_partition(rows: Iterable[Row]) -> None:
    conn = psycopg2.connect(PG_DSN)
    try:
        with conn.cursor() as cur:
            batch = [(r.order_id, r.status, r.updated_at) for r in rows]
            if batch:
                psycopg2.extras.execute_values(cur, UPSERT_SQL, batch, page_size=1000)
        conn.commit()
    finally:
        conn.close()


def push_status_updates_batched(df: DataFrame) -> None:
    df.select("order_id", "status", "updated_at").foreachPartition(_upsert_partition)


# --------------------------------------------------------------------------- webhooks
def notify_webhook(status_rdd) -> None:
    status_rdd.foreach(lambda rec: requests.post(WEBHOOK_URL, json=rec, timeout=5))  # expect: SPK404


def _post_partition(records: Iterable[dict]) -> None:
    with requests.Session() as session:
        chunk = []
        for rec in records:
            chunk.append(rec)
            if len(chunk) == 500:
                session.post(WEBHOOK_URL, json=chunk, timeout=30).raise_for_status()
                chunk = []
        if chunk:
            session.post(WEBHOOK_URL, json=chunk, timeout=30).raise_for_status()


def notify_webhook_batched(status_rdd) -> None:
    status_rdd.foreachPartition(_post_partition)


# --------------------------------------------------------------------------- redis
def enrich_with_cache(keys_rdd):
    return keys_rdd.map(lambda key: (key, redis.Redis(host=REDIS_HOST, port=6379).get(key)))  # expect: SPK404


def _lookup_partition(keys: Iterable[str]) -> Iterator[tuple]:
    client = redis.Redis(host=REDIS_HOST, port=6379)
    keys = list(keys)
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        yield from zip(chunk, client.mget(chunk))


def enrich_with_cache_batched(keys_rdd):
    return keys_rdd.mapPartitions(_lookup_partition)


# --------------------------------------------------------------------------- s3 archive
def archive_events(df: DataFrame, bucket: str) -> None:
    def put(row):
        s3 = boto3.client("s3")
        s3.put_object(Bucket=bucket, Key=f"events/{row.event_id}.json", Body=json.dumps(row.asDict(), default=str))

    df.foreach(put)  # expect: SPK404


def archive_events_batched(df: DataFrame, bucket: str) -> None:
    def put_partition(rows):
        s3 = boto3.client("s3")
        for row in rows:
            s3.put_object(Bucket=bucket, Key=f"events/{row.event_id}.json", Body=json.dumps(row.asDict(), default=str))

    df.foreachPartition(put_partition)


# --------------------------------------------------------------------------- streaming
def stream_status_to_delta(spark: SparkSession, stream_df: DataFrame, checkpoint: str):
    """Upsert each micro-batch into the Delta table; foreachBatch functions run on the driver."""

    def merge_batch(batch_df: DataFrame, batch_id: int) -> None:
        batch_df.createOrReplaceTempView("status_updates")
        spark.sql(
            "MERGE INTO ops.order_status t USING status_updates s ON t.order_id = s.order_id "
            "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
        )
        log.info("merged batch %s", batch_id)

    return (
        stream_df.writeStream.foreachBatch(merge_batch)
        .option("checkpointLocation", checkpoint)
        .trigger(processingTime="1 minute")
        .start()
    )


def stream_status_to_postgres(stream_df: DataFrame, checkpoint: str):
    def write_batch(batch_df: DataFrame, batch_id: int) -> None:
        (
            batch_df.write.format("jdbc")
            .option("url", "jdbc:postgresql://orders-db.internal:5432/orders")
            .option("dbtable", "order_status_staging")
            .option("user", os.environ["PG_USER"])
            .option("password", os.environ["PG_PASSWORD"])
            .mode("append")
            .save()
        )

    return stream_df.writeStream.foreachBatch(write_batch).option("checkpointLocation", checkpoint).start()
