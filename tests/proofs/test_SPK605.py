"""SPK605: a function on a filtered column rewritten as a range on the column keeps the rows
for DATE, TIMESTAMP and ISO-string columns (unsafe: the type is not in the SQL text)."""

import pytest

from helpers import prove_fix

pytestmark = pytest.mark.spark

DATA = """
import datetime as _dt
_stamps = [
    _dt.datetime(2023, 12, 31, 23, 59, 59), _dt.datetime(2024, 1, 1, 0, 0, 0), _dt.datetime(2024, 1, 31, 23, 0),
    _dt.datetime(2024, 2, 1, 0, 0), _dt.datetime(2024, 2, 29, 12, 0), _dt.datetime(2024, 3, 1, 0, 0),
    _dt.datetime(2024, 3, 5, 0, 0), _dt.datetime(2024, 3, 5, 23, 59, 59), _dt.datetime(2024, 3, 6, 0, 0),
    _dt.datetime(2024, 3, 31, 23, 59), _dt.datetime(2024, 4, 1, 0, 0), _dt.datetime(2024, 12, 31, 23, 59, 59),
    _dt.datetime(2025, 1, 1, 0, 0), _dt.datetime(2025, 6, 1, 8, 30), None,
]
spark.createDataFrame(
    [(i, t, t.date() if t else None, t.isoformat(sep=" ") if t else None, t.strftime("%Y-%m-%d") if t else None)
     for i, t in enumerate(_stamps)],
    "id INT, ts TIMESTAMP, d DATE, s STRING, dt STRING",
).createOrReplaceTempView("events")
"""

CASES = [
    ("year(ts) = 2024", "ts >= '2024-01-01' AND ts < '2025-01-01'"),
    ("year(d) = 2024", "d >= '2024-01-01' AND d < '2025-01-01'"),
    ("year(ts) > 2023", "ts >= '2024-01-01'"),
    ("year(ts) <= 2024", "ts < '2025-01-01'"),
    ("2024 = year(ts)", "ts >= '2024-01-01' AND ts < '2025-01-01'"),
    ("year(ts) BETWEEN 2023 AND 2024", "ts >= '2023-01-01' AND ts < '2025-01-01'"),
    ("year(ts) = 2024 AND month(ts) = 3", "ts >= '2024-03-01' AND ts < '2024-04-01'"),
    ("month(d) = 2 AND year(d) = 2024", "d >= '2024-02-01' AND d < '2024-03-01'"),
    ("to_date(ts) = '2024-03-05'", "ts >= '2024-03-05' AND ts < '2024-03-06'"),
    ("to_date(s) = '2024-03-05'", "s >= '2024-03-05' AND s < '2024-03-06'"),
    ("CAST(ts AS DATE) BETWEEN '2024-02-01' AND '2024-03-05'", "ts >= '2024-02-01' AND ts < '2024-03-06'"),
    ("date(ts) >= '2024-03-05'", "ts >= '2024-03-05'"),
    ("to_date(ts) > '2024-03-05'", "ts >= '2024-03-06'"),
    ("to_date(ts) < DATE'2024-03-05'", "ts < '2024-03-05'"),
    ("date_format(ts, 'yyyy-MM') = '2024-02'", "ts >= '2024-02-01' AND ts < '2024-03-01'"),
    ("date_format(ts, 'yyyyMMdd') = '20240305'", "ts >= '2024-03-05' AND ts < '2024-03-06'"),
    ("trunc(ts, 'MM') = '2024-03-01'", "ts >= '2024-03-01' AND ts < '2024-04-01'"),
    ("date_trunc('month', ts) = '2024-03-01'", "ts >= '2024-03-01' AND ts < '2024-04-01'"),
    ("date_trunc('YEAR', d) = '2024-01-01'", "d >= '2024-01-01' AND d < '2025-01-01'"),
    ("NOT year(ts) = 2024", "NOT (ts >= '2024-01-01' AND ts < '2025-01-01')"),
    ("id > 2 OR year(ts) = 2025", "id > 2 OR (ts >= '2025-01-01' AND ts < '2026-01-01')"),
]


@pytest.mark.parametrize("predicate, rewritten", CASES)
def test_range_rewrite_keeps_the_rows(spark, predicate, rewritten):
    src = DATA + f"result = spark.sql(\"SELECT id FROM events WHERE {predicate}\")\n"
    fixed = prove_fix(spark, "SPK605", src, unsafe=True)
    assert f"WHERE {rewritten}\")" in fixed


def test_constant_expressions(spark):
    src = DATA + "result = spark.sql(\"SELECT id FROM events WHERE to_date(ts) = date_sub(DATE'2024-03-06', 1)\")\n"
    fixed = prove_fix(spark, "SPK605", src, unsafe=True)
    assert ("ts >= date_sub(DATE'2024-03-06', 1) AND ts < date_add(date_sub(DATE'2024-03-06', 1), 1)"
            in fixed)


def test_fstring_day(spark):
    src = DATA + "day = '2024-03-05'\nresult = spark.sql(f\"SELECT id FROM events WHERE to_date(ts) = '{day}'\")\n"
    fixed = prove_fix(spark, "SPK605", src, unsafe=True)
    assert "WHERE ts >= '{day}' AND ts < date_add('{day}', 1)\")" in fixed


def test_fstring_year(spark):
    src = DATA + "year = 2024\nresult = spark.sql(f\"SELECT id FROM events WHERE year(ts) = {year}\")\n"
    fixed = prove_fix(spark, "SPK605", src, unsafe=True)
    assert "WHERE ts >= make_date({year}, 1, 1) AND ts < make_date({year} + 1, 1, 1)\")" in fixed


def test_join_condition(spark):
    src = DATA + ("result = spark.sql(\"SELECT a.id, b.id FROM events a JOIN events b "
                  "ON a.id = b.id AND to_date(a.ts) = '2024-03-05'\")\n")
    fixed = prove_fix(spark, "SPK605", src, unsafe=True)
    assert "ON a.id = b.id AND a.ts >= '2024-03-05' AND a.ts < '2024-03-06'" in fixed


@pytest.mark.parametrize("predicate, rewritten", [
    ("substr(dt, 1, 7) = '2024-03'", "dt LIKE '2024-03%'"),
    ("substring(s, 1, 4) = '2024'", "s LIKE '2024%'"),
    ("left(dt, 4) = '2025'", "dt LIKE '2025%'"),
    ("substr(ts, 1, 10) = '2024-03-05'", "ts LIKE '2024-03-05%'"),
])
def test_prefix_rewrite_is_safe(spark, predicate, rewritten):
    src = DATA + f"result = spark.sql(\"SELECT id FROM events WHERE {predicate}\")\n"
    fixed = prove_fix(spark, "SPK605", src)
    assert f"WHERE {rewritten}\")" in fixed
