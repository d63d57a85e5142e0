"""SPK604: NOT IN (subquery) -> NOT EXISTS gives the same rows when no NULLs are involved (unsafe fix)."""

import pytest

from helpers import _run, normalize, prove_fix

pytestmark = pytest.mark.spark

DATA = """
spark.createDataFrame(
    [(i, i % 11, f"2024-03-{i % 3 + 1:02d}") for i in range(100)], "id INT, customer_id INT, day STRING"
).createOrReplaceTempView("orders")
spark.createDataFrame([(c, c % 2 == 0) for c in (1, 2, 3, 5, 8)], "id INT, active BOOLEAN") \\
    .createOrReplaceTempView("blocked")
"""


@pytest.mark.parametrize("query, rewritten", [
    (
        "SELECT * FROM orders WHERE customer_id NOT IN (SELECT id FROM blocked)",
        "WHERE NOT EXISTS (SELECT 1 FROM blocked WHERE blocked.id = orders.customer_id)",
    ),
    (
        "SELECT o.id FROM orders o WHERE o.customer_id NOT IN (SELECT b.id FROM blocked b WHERE b.active)",
        "WHERE NOT EXISTS (SELECT 1 FROM blocked AS b WHERE b.id = o.customer_id AND b.active)",
    ),
    (
        "SELECT id FROM orders WHERE day = '2024-03-01' AND NOT (customer_id IN (SELECT id FROM blocked))",
        "AND NOT EXISTS (SELECT 1 FROM blocked WHERE blocked.id = orders.customer_id)",
    ),
    (
        "SELECT o.id FROM orders o WHERE o.customer_id NOT IN "
        "(SELECT b.id FROM blocked b WHERE b.active OR b.id > 4)",
        "AND (b.active OR b.id > 4))",
    ),
])
def test_not_exists_keeps_the_result_without_nulls(spark, query, rewritten):
    fixed = prove_fix(spark, "SPK604", DATA + f"result = spark.sql({query!r})\n", unsafe=True)
    assert rewritten in fixed


def test_the_fix_is_unsafe_because_nulls_change_the_result(spark):
    src = DATA.replace("(c, c % 2 == 0) for c in (1, 2, 3, 5, 8)", "(c, True) for c in (1, None)")
    src += "result = spark.sql('SELECT * FROM orders WHERE customer_id NOT IN (SELECT id FROM blocked)')\n"
    before = _run(spark, src)["result"]
    after_src = src.replace("customer_id NOT IN (SELECT id FROM blocked)",
                            "NOT EXISTS (SELECT 1 FROM blocked WHERE blocked.id = orders.customer_id)")
    after = _run(spark, after_src)["result"]
    assert normalize(before) == []  # one NULL in the subquery: NOT IN keeps nothing
    assert normalize(after) != []
