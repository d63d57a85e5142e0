"""Declarative data-quality checks run after each load.

    checks = [NotNull("orders", ["order_id", "customer_id"]),
              Unique("orders", ["order_id"]),
              ForeignKey("orders", "customer_id", "customers", "customer_id"),
              Freshness("orders", "updated_at", max_lag_hours=6)]
    report = run_checks(spark, checks, run_date="2024-05-02")
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol, Sequence

import psycopg2
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

log = logging.getLogger("dq")
ISSUES_DSN = "postgresql://dq_writer@dq-db.internal:5432/quality"


@dataclass
class CheckResult:
    check: str
    table: str
    passed: bool
    observed: float | int | None = None
    detail: str = ""


class Check(Protocol):
    def run(self, spark: SparkSession, run_date: str) -> CheckResult: ...


@dataclass
class RowCount:
    table: str
    minimum: int = 1

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        n = spark.table(self.table).where(F.col("load_date") == run_date).count()
        return CheckResult("row_count", self.table, n >= self.minimum, n, f"min {self.minimum}")


@dataclass
class NotEmpty:
    table: str

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        today = spark.table(self.table).where(F.col("load_date") == run_date)
        if today.isEmpty():
            return CheckResult("not_empty", self.table, False, detail=f"no rows for {run_date}")
        return CheckResult("not_empty", self.table, True)


@dataclass
class NotNull:
    table: str
    columns: Sequence[str]
    max_fraction: float = 0.0

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        df = spark.table(self.table).where(F.col("load_date") == run_date)
        row = df.agg(
            F.count(F.lit(1)).alias("_n"),
            *[F.sum(F.col(c).isNull().cast("long")).alias(c) for c in self.columns],
        ).collect()[0]
        total = row["_n"] or 1
        worst = max(self.columns, key=lambda c: row[c])
        frac = row[worst] / total
        return CheckResult("not_null", self.table, frac <= self.max_fraction, frac, f"worst column {worst}")


@dataclass
class Unique:
    table: str
    keys: Sequence[str]

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        df = spark.table(self.table).where(F.col("load_date") == run_date)
        dupes = df.groupBy(*self.keys).count().where(F.col("count") > 1)
        n_dupes = dupes.count()  # expect: SPK102
        if n_dupes > 0:
            sample = [r.asDict() for r in dupes.limit(5).collect()]
            return CheckResult("unique", self.table, False, detail=f"e.g. {sample}")
        return CheckResult("unique", self.table, True)


@dataclass
class ForeignKey:
    table: str
    column: str
    parent: str
    parent_column: str

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        orphans = spark.sql(
            f"SELECT count(*) AS n FROM {self.table} WHERE load_date = '{run_date}' AND {self.column} NOT IN (SELECT {self.parent_column} FROM {self.parent})"  # expect: SPK604
        ).first()["n"]
        return CheckResult("foreign_key", self.table, orphans == 0, orphans,
                           f"{self.column} -> {self.parent}.{self.parent_column}")


@dataclass
class ForeignKeyAnti:
    """Same check written as an anti join (NULL-safe, no broadcast of the parent)."""
    table: str
    column: str
    parent: str
    parent_column: str

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        q = f"""
            SELECT count(*) AS n
            FROM {self.table} c
            LEFT ANTI JOIN {self.parent} p ON c.{self.column} = p.{self.parent_column}
            WHERE c.load_date = '{run_date}' AND c.{self.column} IS NOT NULL
        """
        n = spark.sql(q).first()["n"]
        return CheckResult("foreign_key", self.table, n == 0, n)


@dataclass
class Freshness:
    table: str
    ts_column: str
    max_lag_hours: int = 6

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        latest = spark.sql(
            f"SELECT max({self.ts_column}) AS latest FROM {self.table} WHERE to_date({self.ts_column}) = '{run_date}'"  # expect: SPK605
        ).first()["latest"]
        if latest is None:
            return CheckResult("freshness", self.table, False, detail="no data")
        lag = (dt.datetime.utcnow() - latest).total_seconds() / 3600
        return CheckResult("freshness", self.table, lag <= self.max_lag_hours, round(lag, 2))


@dataclass
class AcceptedValues:
    table: str
    column: str
    values: Sequence[str]

    def run(self, spark: SparkSession, run_date: str) -> CheckResult:
        df = spark.table(self.table).where(F.col("load_date") == run_date)
        bad = df.where(~F.col(self.column).isin(list(self.values)) & F.col(self.column).isNotNull())
        bad_values = [r[0] for r in bad.select(self.column).distinct().limit(20).collect()]
        return CheckResult("accepted_values", self.table, not bad_values, len(bad_values), ", ".join(map(str, bad_values)))


def run_checks(spark: SparkSession, checks: Sequence[Check], run_date: str) -> DataFrame:
    results = []
    for chk in checks:
        try:
            results.append(chk.run(spark, run_date))
        except Exception as exc:  # a broken check must not hide the others
            log.exception("check %s failed", chk)
            results.append(CheckResult(type(chk).__name__, getattr(chk, "table", "?"), False, detail=str(exc)))

    report = spark.createDataFrame([r.__dict__ for r in results]).withColumn("run_date", F.lit(run_date))
    report.write.mode("append").saveAsTable("dq.check_results")

    failed = report.where(~F.col("passed"))
    if not failed.isEmpty():
        record_failures(spark, failed, run_date)
    return report


def record_failures(spark: SparkSession, failed: DataFrame, run_date: str) -> None:
    """Copy failed checks and their offending rows to the issues database."""
    conn = psycopg2.connect(ISSUES_DSN)
    try:
        with conn.cursor() as cur:
            for r in failed.collect():
                cur.execute("INSERT INTO dq_failures (run_date, check_name, tbl, detail) VALUES (%s, %s, %s, %s)",
                            (run_date, r.check, r.table, r.detail))
        conn.commit()
    finally:
        conn.close()

    # rows of the orders table violating the amount rule, for triage
    offending = spark.table("sales.orders").where((F.col("load_date") == run_date) & (F.col("amount") < 0))
    conn = psycopg2.connect(ISSUES_DSN)
    try:
        with conn.cursor() as cur:
            for row in offending.collect():  # expect: SPK103
                cur.execute("INSERT INTO dq_offending_rows (run_date, tbl, payload) VALUES (%s, %s, %s)",
                            (run_date, "sales.orders", str(row.asDict())))
        conn.commit()
    finally:
        conn.close()
