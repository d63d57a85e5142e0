"""Weekly business reports, written in Spark SQL by the analytics team.

Each function returns a DataFrame; ``publish`` writes them all to the reporting schema.
"""
from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession

spark = SparkSession.builder.appName("weekly-reports").enableHiveSupport().getOrCreate()

REVENUE_BY_REGION = """
    SELECT r.region_name,
           SUM(o.amount)              AS revenue,
           COUNT(DISTINCT o.customer_id) AS buyers
    FROM sales.orders o
    JOIN ref.regions r ON o.region_id = r.region_id
    WHERE o.order_date >= date_sub(current_date(), 7)
    GROUP BY r.region_name
    ORDER BY revenue DESC
"""

LATEST_ORDER_PER_CUSTOMER = """
    WITH ranked AS (
        SELECT o.*,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_ts DESC) AS rn
        FROM sales.orders o
        WHERE order_date >= '2024-01-01'
    )
    SELECT customer_id, order_id, order_ts, amount
    FROM ranked
    WHERE rn = 1
"""


def revenue_by_region() -> DataFrame:
    return spark.sql(REVENUE_BY_REGION)


def latest_orders() -> DataFrame:
    return spark.sql(LATEST_ORDER_PER_CUSTOMER)


def todays_orders() -> DataFrame:
    return spark.sql("SELECT * FROM sales.orders WHERE order_date = current_date()")


def order_details_last_week() -> DataFrame:
    return spark.sql(
        "SELECT * FROM sales.orders o "  # expect: SPK601
        "JOIN sales.order_lines l ON o.order_id = l.order_id "
        "WHERE o.order_date >= date_sub(current_date(), 7)"
    )


def shipments_with_carrier() -> DataFrame:
    return spark.sql("""-- expect: SPK601
        SELECT *
        FROM logistics.shipments s
        LEFT JOIN logistics.carriers c ON s.carrier_id = c.carrier_id
        WHERE s.ship_date >= date_sub(current_date(), 7)
    """)


def top_customers(n: int = 100) -> DataFrame:
    return spark.sql(
        "WITH totals AS ("  # expect: SPK602
        "  SELECT customer_id, SUM(amount) AS total FROM sales.orders"
        "  WHERE order_date >= date_sub(current_date(), 365)"
        "  GROUP BY customer_id ORDER BY total DESC"
        ") "
        "SELECT c.customer_id, c.name, t.total "
        "FROM totals t JOIN crm.customers c ON t.customer_id = c.customer_id"
    ).limit(n)


def top_products_per_category() -> DataFrame:
    # the inner ORDER BY is bounded by LIMIT, the outer one orders the final result
    return spark.sql("""
        SELECT p.category, p.product_id, s.units
        FROM (
            SELECT product_id, SUM(quantity) AS units
            FROM sales.order_lines
            WHERE order_date >= date_sub(current_date(), 30)
            GROUP BY product_id
            ORDER BY units DESC
            LIMIT 500
        ) s
        JOIN ref.products p ON p.product_id = s.product_id
        ORDER BY p.category, s.units DESC
    """)


def returns_by_reason() -> DataFrame:
    return spark.sql("""-- expect: SPK602
        SELECT reason, COUNT(*) AS n
        FROM (
            SELECT r.order_id, r.reason
            FROM sales.returns r
            WHERE r.return_date >= date_sub(current_date(), 7)
            ORDER BY r.return_date
        ) recent
        GROUP BY reason
    """)


def campaign_attribution() -> DataFrame:
    # every order is matched with every campaign touch of the previous day
    return spark.sql(
        "SELECT o.order_id, e.campaign_id, e.event_ts "  # expect: SPK603
        "FROM sales.orders o CROSS JOIN marketing.campaign_events e "
        "WHERE e.event_ts BETWEEN o.order_ts - INTERVAL 1 DAY AND o.order_ts"
    )


def customers_without_orders() -> DataFrame:
    return spark.sql(
        "SELECT c.customer_id, c.email FROM crm.customers c "  # expect: SPK604
        "WHERE c.customer_id NOT IN (SELECT o.customer_id FROM sales.orders o WHERE o.order_date >= '2024-01-01')"
    )


def lapsed_customers(table: str = "crm.customers", since: str = "2024-01-01") -> DataFrame:
    return spark.sql(f"SELECT customer_id FROM {table} WHERE customer_id NOT IN (SELECT customer_id FROM sales.orders WHERE order_date >= '{since}')")  # expect: SPK604


def lapsed_customers_anti_join(since: str = "2024-01-01") -> DataFrame:
    return spark.sql(f"""
        SELECT c.customer_id
        FROM crm.customers c
        LEFT ANTI JOIN (SELECT customer_id FROM sales.orders WHERE order_date >= '{since}') o
          ON c.customer_id = o.customer_id
    """)


def real_customers() -> DataFrame:
    return spark.sql(
        "SELECT customer_id, email FROM crm.customers "
        "WHERE segment NOT IN ('internal', 'test', 'qa') "
        "AND NOT EXISTS (SELECT 1 FROM crm.blocklist b WHERE b.email = crm.customers.email)"
    )


def orders_2024() -> DataFrame:
    return spark.sql("SELECT order_id, amount FROM sales.orders WHERE year(order_ts) = 2024")  # expect: SPK605


def orders_2024_by_range() -> DataFrame:
    return spark.sql(
        "SELECT order_id, amount, year(order_ts) AS order_year FROM sales.orders "
        "WHERE order_ts >= TIMESTAMP '2024-01-01 00:00:00' AND order_ts < TIMESTAMP '2025-01-01 00:00:00'"
    )


def monthly_revenue(months: int = 13) -> DataFrame:
    start = (date.today().replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    return spark.sql(f"""
        SELECT date_trunc('month', order_ts) AS month, SUM(amount) AS revenue
        FROM sales.orders
        WHERE order_date >= DATE '{start.isoformat()}'
        GROUP BY date_trunc('month', order_ts)
        ORDER BY month
    """)


REPORTS = {
    "revenue_by_region": revenue_by_region,
    "latest_orders": latest_orders,
    "top_customers": top_customers,
    "top_products_per_category": top_products_per_category,
    "returns_by_reason": returns_by_reason,
    "customers_without_orders": customers_without_orders,
    "orders_2024": orders_2024,
    "monthly_revenue": monthly_revenue,
}


def publish(schema: str = "reporting") -> None:
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
    for name, build in REPORTS.items():
        build().write.mode("overwrite").saveAsTable(f"{schema}.{name}")
        spark.sql(f"ANALYZE TABLE {schema}.{name} COMPUTE STATISTICS")


if __name__ == "__main__":
    publish()
