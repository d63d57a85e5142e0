"""SPK602: removing an ORDER BY whose order the outer query discards keeps the result."""

import pytest

from helpers import prove_fix

pytestmark = pytest.mark.spark

DATA = """
spark.createDataFrame(
    [(i, f"c{i % 7}", i * 13 % 101, f"2024-01-{i % 28 + 1:02d}") for i in range(200)],
    "id INT, customer STRING, amount INT, day STRING",
).createOrReplaceTempView("orders")
spark.createDataFrame([(f"c{i}", f"name{i}") for i in range(5)], "customer STRING, name STRING") \\
    .createOrReplaceTempView("customers")
"""


@pytest.mark.parametrize("query, rewritten", [
    (
        "SELECT customer, count(*) AS n, sum(amount) AS total FROM (SELECT * FROM orders ORDER BY amount) o "
        "GROUP BY customer",
        "FROM (SELECT * FROM orders) o GROUP BY customer",
    ),
    (
        "SELECT DISTINCT day FROM (SELECT day FROM orders ORDER BY day DESC) d",
        "FROM (SELECT day FROM orders) d",
    ),
    (
        "SELECT o.id, c.name FROM (SELECT * FROM orders ORDER BY id) o JOIN customers c ON o.customer = c.customer",
        "FROM (SELECT * FROM orders) o JOIN",
    ),
    (
        "SELECT * FROM orders WHERE customer IN (SELECT customer FROM customers ORDER BY name)",
        "IN (SELECT customer FROM customers)",
    ),
    (
        "SELECT * FROM (SELECT * FROM orders ORDER BY amount) o ORDER BY id",
        "FROM (SELECT * FROM orders) o ORDER BY id",
    ),
    (
        "(SELECT customer FROM orders ORDER BY customer) UNION (SELECT customer FROM customers)",
        "(SELECT customer FROM orders) UNION",
    ),
])
def test_removing_a_discarded_order_by_keeps_the_result(spark, query, rewritten):
    fixed = prove_fix(spark, "SPK602", DATA + f"result = spark.sql({query!r})\n")
    assert rewritten in fixed
    assert fixed.count("ORDER BY") == query.count("ORDER BY") - 1


def test_cte_in_a_triple_quoted_string(spark):
    src = DATA + '''
result = spark.sql("""
    WITH recent AS (
        SELECT *
        FROM orders
        WHERE day >= '2024-01-10'
        ORDER BY day DESC
    )
    SELECT customer, count(*) AS n
    FROM recent
    GROUP BY customer
""")
'''
    fixed = prove_fix(spark, "SPK602", src)
    assert "WHERE day >= '2024-01-10'\n    )" in fixed
