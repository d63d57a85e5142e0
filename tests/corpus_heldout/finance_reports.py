"""Monthly finance reporting: every report is a Spark SQL query over the warehouse views.

The reports are rendered to Excel by the finance team's tooling from the
Parquet extracts written here.
"""
from __future__ import annotations

import calendar
import datetime as dt
from textwrap import dedent

from pyspark.sql import DataFrame, SparkSession

EXTRACT_ROOT = "s3://finance-extracts/monthly"


def _month_bounds(year: int, month: int) -> tuple[str, str]:
    first = dt.date(year, month, 1)
    last_day = calendar.monthrange(year, month)[1]
    nxt = first + dt.timedelta(days=last_day)
    return first.isoformat(), nxt.isoformat()


def _iban_checksum_ok(iban: str | None) -> bool | None:
    """ISO 13616 mod-97 check of an IBAN."""
    if iban is None:
        return None
    s = iban.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha():
        return False
    rearranged = s[4:] + s[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def register_udfs(spark: SparkSession) -> None:
    spark.udf.register("clean_vat", lambda v: v.replace(" ", "").upper() if v is not None else None, "string")  # expect: SPK405
    spark.udf.register("iban_valid", _iban_checksum_ok, "boolean")


def revenue_by_region(spark: SparkSession, year: int, month: int) -> DataFrame:
    start, end = _month_bounds(year, month)
    return spark.sql(f"""
        WITH monthly AS (
            SELECT o.region,
                   o.channel,
                   sum(o.net_amount)               AS net_revenue,
                   count(DISTINCT o.customer_id)   AS customers
            FROM dw.orders o
            WHERE o.order_ts >= '{start}' AND o.order_ts < '{end}'
              AND o.status NOT IN ('cancelled', 'test')
            GROUP BY o.region, o.channel
        )
        SELECT region,
               channel,
               net_revenue,
               customers,
               net_revenue / sum(net_revenue) OVER (PARTITION BY region) AS share_of_region,
               rank() OVER (PARTITION BY region ORDER BY net_revenue DESC) AS channel_rank
        FROM monthly
        ORDER BY region, channel_rank
    """)


def revenue_by_region_legacy(spark: SparkSession, year: int, month: int) -> DataFrame:
    # kept until the Q3 reconciliation is signed off
    return spark.sql(f"""-- expect: SPK605
        SELECT region, sum(net_amount) AS net_revenue
        FROM dw.orders
        WHERE year(order_ts) = {year} AND month(order_ts) = {month}
        GROUP BY region
    """)


def customer_ledger(spark: SparkSession, year: int, month: int) -> DataFrame:
    start, end = _month_bounds(year, month)
    query = (
        "SELECT * FROM dw.invoices i "  # expect: SPK601
        "JOIN dw.customers c ON i.customer_id = c.customer_id "
        f"WHERE i.invoice_date >= '{start}' AND i.invoice_date < '{end}'"
    )
    return spark.sql(query)


def ledger_with_payments(spark: SparkSession, year: int, month: int) -> DataFrame:
    start, end = _month_bounds(year, month)
    return spark.sql(f"""
        SELECT i.*, p.paid_amount, p.paid_at, c.legal_name, c.vat_id
        FROM dw.invoices i
        LEFT JOIN dw.payments p ON p.invoice_id = i.invoice_id
        JOIN dw.customers c ON c.customer_id = i.customer_id
        WHERE i.invoice_date >= '{start}' AND i.invoice_date < '{end}'
    """)


def late_payers(spark: SparkSession, as_of: str) -> DataFrame:
    sql = dedent(f"""-- expect: SPK602
        WITH recent_invoices AS (
            SELECT customer_id, invoice_id, due_date, amount
            FROM dw.invoices
            WHERE due_date < '{as_of}'
            ORDER BY due_date DESC
        )
        SELECT r.customer_id, count(*) AS overdue_invoices, sum(r.amount) AS overdue_amount
        FROM recent_invoices r
        LEFT ANTI JOIN dw.payments p ON p.invoice_id = r.invoice_id
        GROUP BY r.customer_id
    """)
    return spark.sql(sql)


def latest_invoices_per_customer(spark: SparkSession) -> DataFrame:
    return spark.sql("""
        WITH ranked AS (
            SELECT customer_id, invoice_id, invoice_date, amount,
                   row_number() OVER (PARTITION BY customer_id ORDER BY invoice_date DESC) AS rn
            FROM dw.invoices
        ),
        top_customers AS (
            SELECT customer_id, sum(amount) AS lifetime
            FROM dw.invoices
            GROUP BY customer_id
            ORDER BY lifetime DESC
            LIMIT 100
        )
        SELECT r.customer_id, t.lifetime, r.invoice_id, r.invoice_date, r.amount
        FROM ranked r JOIN top_customers t ON r.customer_id = t.customer_id
        WHERE r.rn <= 3
        ORDER BY t.lifetime DESC, r.invoice_date DESC
    """)


def fx_exposure(spark: SparkSession, month_end: str) -> DataFrame:
    return spark.sql(f"""
        SELECT b.currency,
               sum(b.balance)                    AS balance,
               sum(b.balance * r.rate_to_eur)    AS balance_eur,
               max(m.last_day)                   AS as_of
        FROM dw.open_balances b
        JOIN dw.fx_rates r ON r.currency = b.currency AND r.rate_date = '{month_end}'
        CROSS JOIN (SELECT max(balance_date) AS last_day FROM dw.open_balances) m
        GROUP BY b.currency
    """)


def contract_coverage(spark: SparkSession) -> DataFrame:
    # which invoices fall inside some contract's validity window
    return spark.sql("""-- expect: SPK603
        SELECT i.invoice_id, k.contract_id
        FROM dw.invoices i, dw.contracts k
        WHERE i.invoice_date BETWEEN k.valid_from AND k.valid_to
    """)


def contract_coverage_v2(spark: SparkSession) -> DataFrame:
    return spark.sql("""
        SELECT i.invoice_id, k.contract_id
        FROM dw.invoices i
        JOIN dw.contracts k
          ON k.customer_id = i.customer_id
         AND i.invoice_date BETWEEN k.valid_from AND k.valid_to
    """)


def unbilled_customers(spark: SparkSession, year: int) -> DataFrame:
    return spark.sql(f"""-- expect: SPK604
        SELECT c.customer_id, c.legal_name, c.segment
        FROM dw.customers c
        WHERE c.active
          AND c.customer_id NOT IN (SELECT customer_id FROM dw.invoices WHERE invoice_date >= '{year}-01-01')
    """)


def q1_sku_family_sales(spark: SparkSession, family: str) -> DataFrame:
    return spark.sql(
        f"SELECT sku, sum(qty) AS units FROM dw.order_lines WHERE substr(sku, 1, 3) = '{family}' "  # expect: SPK605
        "AND order_date >= '2024-01-01' AND order_date < '2024-04-01' GROUP BY sku"
    )


def march_orders(spark: SparkSession) -> DataFrame:
    # a seasonality report across all years: month alone has no range equivalent
    return spark.sql("""
        SELECT year(order_ts) AS yr, count(*) AS orders, sum(net_amount) AS revenue
        FROM dw.orders
        WHERE month(order_ts) = 3
        GROUP BY year(order_ts)
        ORDER BY yr
    """)


def refunds_vs_sales(spark: SparkSession, year: int) -> DataFrame:
    return spark.sql(f"""-- expect: SPK602
        SELECT kind, count(*) AS n, sum(amount) AS total
        FROM (
            SELECT 'sale' AS kind, order_id, net_amount AS amount FROM dw.orders
            WHERE order_ts >= '{year}-01-01' AND order_ts < '{year + 1}-01-01'
            UNION
            SELECT 'refund' AS kind, order_id, -refund_amount AS amount FROM dw.refunds
            WHERE refund_ts >= '{year}-01-01' AND refund_ts < '{year + 1}-01-01'
            ORDER BY amount DESC
        ) t
        GROUP BY kind
    """)


def vendor_master_issues(spark: SparkSession) -> DataFrame:
    return spark.sql("""
        SELECT vendor_id, clean_vat(vat_id) AS vat_id, iban
        FROM dw.vendors
        WHERE NOT iban_valid(iban) OR clean_vat(vat_id) IS NULL
    """)


def gl_mapping_gaps(spark: SparkSession) -> DataFrame:
    return spark.sql("""
        SELECT a.account_code, a.description
        FROM dw.gl_accounts a
        WHERE NOT EXISTS (SELECT 1 FROM dw.gl_mapping m WHERE m.account_code = a.account_code)
          AND a.account_code NOT IN ('9999', '0000')
    """)


def month_end_close(spark: SparkSession, year: int, month: int) -> None:
    start, end = _month_bounds(year, month)
    tag = f"{year}{month:02d}"
    register_udfs(spark)
    spark.sql("SET spark.sql.autoBroadcastJoinThreshold=-1")  # expect: SPK701
    reports = {
        "revenue_by_region": revenue_by_region(spark, year, month),
        "customer_ledger": customer_ledger(spark, year, month),
        "ledger_with_payments": ledger_with_payments(spark, year, month),
        "late_payers": late_payers(spark, end),
        "fx_exposure": fx_exposure(spark, end),
        "unbilled": unbilled_customers(spark, year),
    }
    for name, df in reports.items():
        df.coalesce(4).write.mode("overwrite").parquet(f"{EXTRACT_ROOT}/{tag}/{name}")

    daily = spark.sql(f"""
        SELECT CAST(order_ts AS DATE) AS day, region, sum(net_amount) AS revenue
        FROM dw.orders
        WHERE order_ts >= '{start}' AND order_ts < '{end}'
        GROUP BY CAST(order_ts AS DATE), region
    """)
    daily.createOrReplaceTempView("daily_revenue")
    totals = spark.sql("""
        SELECT region, sum(revenue) AS revenue, max(revenue) AS best_day
        FROM daily_revenue GROUP BY region ORDER BY revenue DESC
    """).collect()
    for row in totals:
        print(f"{row.region:10s} {row.revenue:>15,.2f} {row.best_day:>15,.2f}")
