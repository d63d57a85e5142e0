"""Tiny in-house job framework: every batch job is a subclass of ``SparkJob``.

    python -m jobs_framework device_health --date 2024-05-02
"""
from __future__ import annotations

import abc
import datetime as dt
import json
import logging
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

import boto3
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

logger = logging.getLogger(__name__)
SNS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:device-alerts"


@dataclass
class JobConfig:
    run_date: dt.date
    input_root: str = "s3://iot-lake/raw"
    output_root: str = "s3://iot-lake/curated"
    options: dict[str, Any] = field(default_factory=dict)


class SparkJob(abc.ABC):
    name: ClassVar[str] = "abstract"
    registry: ClassVar[dict[str, type["SparkJob"]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        SparkJob.registry[cls.name] = cls

    def __init__(self, spark: SparkSession, config: JobConfig):
        self.spark = spark
        self.config = config
        self.metrics: dict[str, Any] = {}

    @abc.abstractmethod
    def extract(self) -> dict[str, DataFrame]: ...

    @abc.abstractmethod
    def transform(self, inputs: dict[str, DataFrame]) -> DataFrame: ...

    def load(self, out: DataFrame) -> None:
        path = f"{self.config.output_root}/{self.name}/dt={self.config.run_date}"
        out.write.mode("overwrite").parquet(path)
        self.metrics["output_path"] = path

    def run(self) -> dict[str, Any]:
        started = dt.datetime.utcnow()
        out = self.transform(self.extract())
        self.load(out)
        self.metrics["seconds"] = (dt.datetime.utcnow() - started).total_seconds()
        logger.info("%s finished: %s", self.name, json.dumps(self.metrics, default=str))
        return self.metrics


def publish_alert(row) -> None:
    sns = boto3.client("sns", region_name="eu-west-1")
    sns.publish(TopicArn=SNS_TOPIC, Message=json.dumps(row.asDict(), default=str),
                Subject=f"device {row.device_id} unhealthy")


def publish_alerts_partition(rows) -> None:
    sns = boto3.client("sns", region_name="eu-west-1")
    for row in rows:
        sns.publish(TopicArn=SNS_TOPIC, Message=json.dumps(row.asDict(), default=str))


class DeviceHealthJob(SparkJob):
    name = "device_health"
    TELEMETRY_SCHEMA = "device_id STRING, ts TIMESTAMP, battery DOUBLE, temp_c DOUBLE, fw STRING, raw STRING"

    def __init__(self, spark: SparkSession, config: JobConfig):
        super().__init__(spark, config)
        self.temp_limit = float(config.options.get("temp_limit", 70.0))
        self.fw_aliases = {"1.2.0-rc1": "1.2.0", "1.2.0-hotfix": "1.2.1", "legacy": "0.9.0"}

    def extract(self) -> dict[str, DataFrame]:
        day = self.config.run_date
        telemetry = (
            self.spark.read.schema(self.TELEMETRY_SCHEMA)
            .json(f"{self.config.input_root}/telemetry/{day:%Y/%m/%d}/")
        )
        devices = self.spark.table("iot.dim_device").select("device_id", "model", "site_id")
        return {"telemetry": telemetry, "devices": devices}

    @staticmethod
    def parse_raw(line: str) -> tuple[str, int]:
        parts = line.split("|")
        return parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0

    def canonical_fw(self, fw: str) -> str:
        return self.fw_aliases.get(fw, fw)

    def transform(self, inputs: dict[str, DataFrame]) -> DataFrame:
        t = inputs["telemetry"]

        fw_udf = F.udf(lambda fw: self.canonical_fw(fw), "string")  # expect: SPK401
        t = t.withColumn("fw", fw_udf("fw"))

        # error codes packed in the raw payload
        codes = t.select("raw").rdd.map(lambda r: r.raw).map(DeviceHealthJob.parse_raw)
        code_counts = codes.reduceByKey(lambda a, b: a + b).toDF(["error_code", "n"])
        self.metrics["error_codes"] = {r.error_code: r.n for r in code_counts.orderBy(F.desc("n")).limit(20).collect()}

        hot = t.rdd.filter(lambda r: r.temp_c is not None and r.temp_c > self.temp_limit)  # expect: SPK401
        self.metrics["hot_readings"] = hot.count()

        limit = self.temp_limit
        overheating = t.where(F.col("temp_c") > F.lit(limit))

        per_device = (
            t.repartition(400)  # expect: SPK205
            .groupBy("device_id")
            .agg(
                F.min("battery").alias("min_battery"),
                F.max("temp_c").alias("max_temp"),
                F.count("*").alias("readings"),
                F.max_by("fw", "ts").alias("fw"),
            )
        )
        health = (
            per_device.join(inputs["devices"], "device_id", "left")
            .withColumn("unhealthy", (F.col("min_battery") < 0.1) | (F.col("max_temp") > F.lit(limit)))
        )

        alerts = health.where("unhealthy")
        if alerts.count() > 0:  # expect: SPK102
            alerts.foreach(publish_alert)  # expect: SPK404
        overheating.select("device_id", "ts", "temp_c").foreachPartition(publish_alerts_partition)
        return health


class SiteRollupJob(SparkJob):
    name = "site_rollup"

    def extract(self) -> dict[str, DataFrame]:
        root = f"{self.config.output_root}/device_health/dt={self.config.run_date}"
        return {
            "health": self.spark.read.parquet(root),
            "sites": self.spark.table("iot.dim_site"),
        }

    def transform(self, inputs: dict[str, DataFrame]) -> DataFrame:
        health = inputs["health"].repartition("site_id")
        rollup = health.groupBy("site_id").agg(
            F.count("*").alias("devices"),
            F.sum(F.col("unhealthy").cast("int")).alias("unhealthy_devices"),
        )
        enriched = rollup.join(inputs["sites"], "site_id").cache()  # expect: SPK501
        enriched.write.mode("overwrite").saveAsTable("iot.site_health_daily")

        # site managers get a small pandas report; mapping runs locally on the driver
        report = rollup.orderBy(F.desc("unhealthy_devices")).limit(50).toPandas()
        report["site_label"] = report["site_id"].map(lambda s: self.config.options.get("site_names", {}).get(s, s))
        report["share"] = report.apply(lambda r: r.unhealthy_devices / max(r.devices, 1), axis=1)
        report.to_csv(f"/tmp/site_report_{self.config.run_date}.csv", index=False)
        self.metrics["sites"] = len(report)
        return rollup


class FirmwareInventoryJob(SparkJob):
    name = "firmware_inventory"

    def extract(self) -> dict[str, DataFrame]:
        return {"health": self.spark.table("iot.device_health")}

    def parse(self, row):
        return (row.model, row.fw)

    def transform(self, inputs: dict[str, DataFrame]) -> DataFrame:
        pairs = inputs["health"].select("model", "fw").rdd.map(self.parse)  # expect: SPK401
        counts = pairs.map(lambda mf: (mf, 1)).reduceByKey(lambda a, b: a + b)
        return counts.map(lambda kv: (kv[0][0], kv[0][1], kv[1])).toDF(["model", "fw", "devices"])


def main(argv: list[str]) -> int:
    job_name, _, run_date = argv[1], argv[2], argv[3]
    spark = SparkSession.builder.appName(f"job-{job_name}").enableHiveSupport().getOrCreate()
    config = JobConfig(run_date=dt.date.fromisoformat(run_date))
    job = SparkJob.registry[job_name](spark, config)
    metrics = job.run()
    pd.Series(metrics, dtype="object").to_json(f"/tmp/{job_name}_metrics.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
