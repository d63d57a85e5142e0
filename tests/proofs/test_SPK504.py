"""SPK504's rewrite (a withColumn loop into one withColumns / withColumnsRenamed) on real Spark."""

import textwrap

import pytest

from helpers import prove_fix
from sparkcoach.engine.lint import Settings, lint_source

pytestmark = pytest.mark.spark

DATA = """
from pyspark.sql import functions as F

df = spark.createDataFrame(
    [(" a ", "1", "2.5", "x"), ("b", " 2", None, "y"), (None, "3 ", "0.5", "z")],
    ["name", "qty", "price", "Code"],
)
"""


def _fixes(src: str):
    found = lint_source(textwrap.dedent(src), "t.py", settings=Settings(select=("SPK504",)))
    return [f.fix for f in found]


def test_literal_columns_cast(spark):
    src = DATA + """
for c in ["qty", "price"]:
    df = df.withColumn(c, F.col(c).cast("double"))
result = df
"""
    fixed = prove_fix(spark, "SPK504", src)
    assert 'df = df.withColumns({c: F.col(c).cast("double") for c in ["qty", "price"]})\nresult = df\n' in fixed
    assert "for c in" in fixed and "withColumn(" not in fixed


def test_every_column_trimmed_reading_only_itself(spark):
    src = DATA + """
for c in df.columns:
    df = df.withColumn(c, F.when(F.trim(F.col(c)) == "", None).otherwise(F.trim(c)))
result = df
"""
    fixed = prove_fix(spark, "SPK504", src)
    assert ('df = df.withColumns({c: F.when(F.trim(F.col(c)) == "", None).otherwise(F.trim(c)) '
            'for c in df.columns})') in fixed


def test_columns_from_a_variable_inside_a_function(spark):
    src = DATA + """
from pyspark.sql.functions import col, coalesce, lit


def fill(df, cols):
    for name in cols:
        df = df.withColumn(name, coalesce(col(name), lit("0")))
    return df


result = fill(df, ["qty", "price"])
"""
    fixed = prove_fix(spark, "SPK504", src)
    assert '    df = df.withColumns({name: coalesce(col(name), lit("0")) for name in cols})\n    return df' in fixed


def test_new_columns_named_after_the_loop_variable_with_df_subscript(spark):
    src = DATA + """
for c in ("qty", "price"):
    df = df.withColumn(c, df[c].cast("double") * 2)
result = df
"""
    fixed = prove_fix(spark, "SPK504", src)
    assert 'df = df.withColumns({c: df[c].cast("double") * 2 for c in ("qty", "price")})' in fixed


def test_literal_renames(spark):
    src = DATA + """
for old, new in {"qty": "quantity", "Code": "code"}.items():
    df = df.withColumnRenamed(old, new)
result = df.select("quantity", "code", "name")
"""
    fixed = prove_fix(spark, "SPK504", src)
    assert ('df = df.withColumnsRenamed({old: new for old, new in {"qty": "quantity", "Code": "code"}.items()})'
            in fixed)


def test_computed_renames_are_unsafe_but_equal_here(spark):
    src = DATA + """
for c in df.columns:
    df = df.withColumnRenamed(c, c.lower() + "_v1")
result = df.select(sorted(df.columns))
"""
    assert [f.safety for f in _fixes(src)] == ["unsafe"]
    fixed = prove_fix(spark, "SPK504", src, unsafe=True)
    assert 'df = df.withColumnsRenamed({c: c.lower() + "_v1" for c in df.columns})' in fixed


def test_reading_a_column_an_earlier_iteration_wrote_is_unsafe(spark):
    # The loop's second iteration sees qty already doubled; the rewrite would read the original.
    src = DATA + """
df = df.withColumn("qty", F.col("qty").cast("int"))
for c in ["qty", "total"]:
    df = df.withColumn(c, F.col("qty") * 2)
result = df
"""
    assert [f.safety for f in _fixes(src)] == ["unsafe"]


def test_loop_variable_read_after_the_loop_is_unsafe():
    src = DATA + """
for c in ["qty", "price"]:
    df = df.withColumn(c, F.col(c).cast("double"))
print("last column", c)
"""
    assert [f.safety for f in _fixes(src)] == ["unsafe"]


def test_loop_variable_rebound_before_being_read_stays_safe():
    src = DATA + """
for c in ["qty", "price"]:
    df = df.withColumn(c, F.col(c).cast("double"))
for c in ["name"]:
    print(c)


def later(c):
    return c
"""
    assert [f.safety for f in _fixes(src)] == ["safe"]


def test_values_from_arbitrary_expressions_are_unsafe(spark):
    src = DATA + """
exprs = {"qty_d": F.col("qty").cast("double"), "price_d": F.col("price").cast("double")}
for name, e in exprs.items():
    df = df.withColumn(name, e)
result = df
"""
    assert [f.safety for f in _fixes(src)] == ["unsafe"]
    fixed = prove_fix(spark, "SPK504", src, unsafe=True)
    assert "df = df.withColumns({name: e for name, e in exprs.items()})" in fixed


def test_no_fix_when_the_loop_does_more():
    src = DATA + """
for c in ["qty", "price"]:
    if c in df.columns:
        df = df.withColumn(c, F.col(c).cast("double"))
"""
    assert _fixes(src) == [None]
