"""SPK303's rewrites (filter one side before the RDD join) give the same result on real Spark."""

import textwrap

import pytest

from helpers import prove_fix
from sparkcoach.engine.lint import Settings, lint_source

DATA = """
users = sc.parallelize([(f"u{i % 50}", i % 90) for i in range(400)], 4)
orders = sc.parallelize([(f"u{i % 70}", float(i % 13)) for i in range(20000)], 4)
"""


@pytest.mark.spark
@pytest.mark.parametrize("original, rewritten", [
    ("users.join(orders).filter(lambda kv: kv[1][0] >= 18)",
     "users.filter(lambda kv: kv[1] >= 18).join(orders)"),
    ("users.join(orders).filter(lambda kv: kv[1][1] > 6.0)",
     "users.join(orders.filter(lambda kv: kv[1] > 6.0))"),
    ("users.join(orders, 3).filter(lambda p: p[0].endswith('1') and p[1][1] < 4)",
     "users.join(orders.filter(lambda p: p[0].endswith('1') and p[1] < 4), 3)"),
    ("users.leftOuterJoin(orders).filter(lambda kv: kv[1][0] % 2 == 0)",
     "users.filter(lambda kv: kv[1] % 2 == 0).leftOuterJoin(orders)"),
    ("users.rightOuterJoin(orders).filter(lambda kv: kv[1][1] != 3.0)",
     "users.rightOuterJoin(orders.filter(lambda kv: kv[1] != 3.0))"),
    ("users.map(lambda kv: (kv[0], kv[1] + 1)).join(orders).filter(lambda kv: kv[1][0] > 40)",
     "users.map(lambda kv: (kv[0], kv[1] + 1)).filter(lambda kv: kv[1] > 40).join(orders)"),
])
def test_filter_moves_before_the_join(spark, original, rewritten):
    fixed = prove_fix(spark, "SPK303", DATA + f"result = {original}\n")
    assert f"result = {rewritten}\n" in fixed


@pytest.mark.spark
def test_multiline_chain_and_captured_default(spark):
    src = DATA + """
limit = 5.0
result = (
    users
    .join(orders)
    .filter(lambda kv, lim=limit: kv[1][1] > lim)
    .mapValues(lambda v: v[0] * v[1])
)
"""
    fixed = prove_fix(spark, "SPK303", src)
    assert "    .join(orders.filter(lambda kv, lim=limit: kv[1] > lim))\n    .mapValues" in fixed


@pytest.mark.spark
def test_parenthesized_join_with_a_comment(spark):
    src = DATA + """
result = (users.join(orders)  # one row per order
          .filter(lambda kv: kv[1][0] < 30))
"""
    fixed = prove_fix(spark, "SPK303", src)
    assert "result = (users.filter(lambda kv: kv[1] < 30).join(orders)  # one row per order\n" in fixed


def _lint(src: str):
    return lint_source(textwrap.dedent(src), settings=Settings(select=("SPK303",)))


def test_through_a_variable_is_reported_without_a_fix():
    found = _lint("""
    users = sc.textFile("u").map(lambda l: (l, 1))
    orders = sc.textFile("o").map(lambda l: (l, 2))
    joined = users.join(orders)
    adults = joined.filter(lambda kv: kv[1][0] > 17)
    """)
    assert [(f.line, f.fix) for f in found] == [(5, None)]
    assert "users.filter(lambda kv: kv[1] > 17).join(orders)" in found[0].message


def test_key_only_test_is_a_message():
    found = _lint("""
    users = sc.textFile("u").map(lambda l: (l, 1))
    orders = sc.textFile("o").map(lambda l: (l, 2))
    kept = users.join(orders).filter(lambda kv: kv[0] != "admin")
    """)
    assert [(f.line, f.fix) for f in found] == [(4, None)]
    assert "only the key" in found[0].message


def test_dataframes_and_both_sides_are_silent():
    assert _lint("""
    people = spark.read.parquet("p")
    buys = spark.read.parquet("b")
    kept = people.join(buys, "id").filter("age > 18")
    users = sc.textFile("u").map(lambda l: (l, 1))
    orders = sc.textFile("o").map(lambda l: (l, 2))
    both = users.join(orders).filter(lambda kv: kv[1][0] > kv[1][1])
    """) == []


@pytest.mark.spark
def test_backslash_chain_and_multiline_lambda(spark):
    src = DATA + (
        "result = users.join(orders) \\\n"
        "    .filter(lambda kv: (kv[1][1] >\n"
        "                        2.0)) \\\n"
        "    .mapValues(lambda v: v[1])\n"
    )
    fixed = prove_fix(spark, "SPK303", src)
    assert "result = users.join(orders.filter(lambda kv: (kv[1] >\n                        2.0))) \\\n" \
           "    .mapValues(lambda v: v[1])\n" in fixed
