"""SPK102's rewrites give the same result as the original on real Spark."""

import pytest

from helpers import prove_fix

pytestmark = pytest.mark.spark

DATA = """
events = spark.range(20000).selectExpr("id", "id % 7 AS k")
lines = sc.parallelize(range(20000), 4).map(lambda i: f"line {i}")
"""


DF_CHECKS = [
    ("{df}.count() == 0", "{df}.isEmpty()"),
    ("{df}.count() > 0", "not {df}.isEmpty()"),
    ("{df}.count() != 0", "not {df}.isEmpty()"),
    ("{df}.count() >= 1", "not {df}.isEmpty()"),
    ("{df}.count() < 1", "{df}.isEmpty()"),
    ("{df}.count() <= 0", "{df}.isEmpty()"),
    ("0 == {df}.count()", "{df}.isEmpty()"),
    ("0 < {df}.count()", "not {df}.isEmpty()"),
    ("not {df}.count()", "{df}.isEmpty()"),
    ("bool({df}.count())", "not {df}.isEmpty()"),
    ("not {df}.count() > 0", "{df}.isEmpty()"),
    ("len({df}.collect()) == 0", "{df}.isEmpty()"),
    ("len({df}.collect()) > 0", "not {df}.isEmpty()"),
    ("not {df}.collect()", "{df}.isEmpty()"),
    ("bool({df}.collect())", "not {df}.isEmpty()"),
]
RDD_CHECKS = [
    ("{df}.count() == 0", "{df}.isEmpty()"),
    ("{df}.count() > 0", "not {df}.isEmpty()"),
    ("bool({df}.count())", "not {df}.isEmpty()"),
    ("len({df}.collect()) == 0", "{df}.isEmpty()"),
]


def _checks_source(df: str, checks) -> str:
    """``result`` maps each check's index to its value, so every rewrite is compared on its own."""
    body = "".join(f"    {i}: {check.format(df=df)},\n" for i, (check, _) in enumerate(checks))
    return DATA + "result = {\n" + body + "}\n"


@pytest.mark.parametrize("where", ["k = 3", "k > 100"])  # non-empty and empty
def test_dataframe_checks(spark, where):
    df = f'events.filter("{where}")'
    fixed = prove_fix(spark, "SPK102", _checks_source(df, DF_CHECKS))
    for i, (_, rewritten) in enumerate(DF_CHECKS):
        assert f"    {i}: {rewritten.format(df=df)},\n" in fixed


@pytest.mark.parametrize("where", ["'7' in l", "l == 'nothing'"])
def test_rdd_checks(spark, where):
    rdd = f"lines.filter(lambda l: {where})"
    fixed = prove_fix(spark, "SPK102", _checks_source(rdd, RDD_CHECKS))
    for i, (_, rewritten) in enumerate(RDD_CHECKS):
        assert f"    {i}: {rewritten.format(df=rdd)},\n" in fixed


@pytest.mark.parametrize("where, expected", [("k = 3", "rows"), ("k > 100", "none")])
def test_if_statement(spark, where, expected):
    src = DATA + f'df = events.filter("{where}")\nif df.count():\n    result = "rows"\nelse:\n    result = "none"\n'
    fixed = prove_fix(spark, "SPK102", src)
    assert "if not df.isEmpty():\n" in fixed


def test_multiline_chain_and_bool_in_a_comparison(spark):
    src = DATA + (
        "result = (\n"
        "    events\n"
        "    .filter('k = 3')\n"
        "    .count()\n"
        "    > 0\n"
        ")\n"
        "flag = bool(events.filter('k = 9').count()) == False\n"
    )
    fixed = prove_fix(spark, "SPK102", src)
    assert "result = (\n    not (events\n    .filter('k = 3')\n    .isEmpty())\n)\n" in fixed
    assert "flag = (not events.filter('k = 9').isEmpty()) == False\n" in fixed
    flag_ns: dict = {"spark": spark, "sc": spark.sparkContext}
    exec(compile(fixed, "<fixed>", "exec"), flag_ns)
    assert flag_ns["flag"] is True
