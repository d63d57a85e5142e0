"""SPK301's rewrites give the same result as the original on real Spark, and the hint changes the plan."""

import textwrap

import pytest

from helpers import prove_fix
from sparkcoach.engine.lint import Settings, lint_source

pytestmark = pytest.mark.spark

DATA = """
big = spark.range(1_500_000).where("id < 3000").selectExpr("id", "CAST(id % 5 AS STRING) AS code")
dim = spark.createDataFrame([("0", "zero"), ("1", "one"), ("2", "two")], ["code", "name"])
"""


def _join_strategy(spark, source: str, name: str = "joined") -> str:
    ns = {"spark": spark, "sc": spark.sparkContext}
    exec(compile(textwrap.dedent(source), "<plan>", "exec"), ns)
    # The initial plan (before adaptive execution re-plans at runtime): what Spark decided from its estimates.
    plan = ns[name]._jdf.queryExecution().executedPlan().toString()
    for strategy in ("BroadcastHashJoin", "SortMergeJoin", "BroadcastNestedLoopJoin", "CartesianProduct"):
        if strategy in plan:
            return strategy
    return plan


def test_functions_alias_is_used(spark):
    src = "from pyspark.sql import functions as F\n" + DATA + (
        "joined = big.join(dim, 'code')\n"
        "result = joined.groupBy('name').count()\n"
    )
    fixed = prove_fix(spark, "SPK301", src)
    assert "joined = big.join(F.broadcast(dim), 'code')\n" in fixed
    assert _join_strategy(spark, src) == "SortMergeJoin"
    assert _join_strategy(spark, fixed) == "BroadcastHashJoin"


def test_broadcast_imported_by_name_is_used(spark):
    src = "from pyspark.sql.functions import broadcast, col\n" + DATA + (
        "joined = big.join(dim, big.code == dim.code, 'left')\n"
        "result = joined.where(col('name').isNotNull()).groupBy('name').count()\n"
    )
    fixed = prove_fix(spark, "SPK301", src)
    assert "big.join(broadcast(dim), big.code == dim.code, 'left')" in fixed
    assert fixed.count("import") == 1


def test_import_is_added_after_the_last_import(spark):
    src = "import os\nfrom pyspark.sql import Row\n\n" + DATA + (
        "joined = dim.join(big, on='code')\n"
        "result = joined.groupBy('name').count()\n"
    )
    fixed = prove_fix(spark, "SPK301", src)
    assert fixed.startswith("import os\nfrom pyspark.sql import Row\nfrom pyspark.sql.functions import broadcast\n\n")
    assert "joined = broadcast(dim).join(big, on='code')\n" in fixed
    assert _join_strategy(spark, fixed) == "BroadcastHashJoin"


def test_import_goes_after_the_docstring_when_there_is_none(spark):
    src = '"""An ETL job."""\n' + DATA + (
        "joined = big.join(dim, 'code', how='left_anti')\n"
        "result = joined.groupBy('code').count()\n"
    )
    fixed = prove_fix(spark, "SPK301", src)
    assert fixed.startswith('"""An ETL job."""\nfrom pyspark.sql.functions import broadcast\n')
    assert "big.join(broadcast(dim), 'code', how='left_anti')" in fixed


def test_import_at_the_top_of_a_script_without_imports(spark):
    src = DATA + "joined = big.join(dim, 'code')\nresult = joined.groupBy('name').count()\n"
    fixed = prove_fix(spark, "SPK301", src)
    assert fixed.lstrip("\n").startswith("from pyspark.sql.functions import broadcast\nbig = ")


def test_right_join_broadcasts_the_left_side(spark):
    src = "from pyspark.sql import functions as F\n" + DATA + (
        "joined = dim.join(big, 'code', 'right_outer')\n"
        "result = joined.groupBy('name').count()\n"
    )
    fixed = prove_fix(spark, "SPK301", src)
    assert "joined = F.broadcast(dim).join(big, 'code', 'right_outer')\n" in fixed
    assert _join_strategy(spark, fixed) == "BroadcastHashJoin"


def test_rdd_to_df_side_inside_a_function(spark):
    src = """
    from pyspark.sql import functions as F


    def enrich(df):
        labels = sc.parallelize([("0", "zero"), ("3", "three")]).toDF(["code", "label"])
        return df.join(labels, "code", "left")


    big = spark.range(1_500_000).where("id < 3000").selectExpr("id", "CAST(id % 5 AS STRING) AS code")
    joined = enrich(big)
    result = joined.groupBy("label").count()
    """
    fixed = prove_fix(spark, "SPK301", src)
    assert 'return df.join(F.broadcast(labels), "code", "left")' in fixed
    assert _join_strategy(spark, fixed) == "BroadcastHashJoin"


def test_multiline_chain(spark):
    src = """
    from pyspark.sql import functions as F

    big = spark.range(1_500_000).where("id < 3000").selectExpr("id", "CAST(id % 5 AS STRING) AS code")
    dim = spark.createDataFrame([("0", "zero"), ("1", "one")], ["code", "name"])
    result = (
        big
        .where(F.col("id") > 10)
        .join(dim.select("code", "name"), "code")
        .groupBy("name")
        .count()
    )
    """
    fixed = prove_fix(spark, "SPK301", src)
    assert '.join(F.broadcast(dim.select("code", "name")), "code")' in fixed


def test_rdd_join_with_a_small_literal_is_an_unsafe_lookup(spark):
    src = """
    lookup = sc.parallelize([("a", 1), ("b", 2), ("c", 3)])
    events = sc.parallelize(range(20000), 4).map(lambda i: ("abcd"[i % 4], i))
    result = events.join(lookup)
    """
    fixed = prove_fix(spark, "SPK301", src, unsafe=True)
    assert "result = events.flatMap(lambda kv: [(kv[0], (kv[1], lookup_by_key.value[kv[0]]))] " \
           "if kv[0] in lookup_by_key.value else [])" in fixed
    assert "lookup_by_key = lookup.context.broadcast(lookup.collectAsMap())\nresult = " in fixed


def test_rdd_small_left_and_left_outer_lookups(spark):
    src = """
    events = sc.parallelize(range(20000), 4).map(lambda i: ("abcd"[i % 4], i))
    result = sc.parallelize([("a", "A"), ("b", "B")]).join(events).mapValues(lambda v: v[0] + str(v[1]))
    """
    fixed = prove_fix(spark, "SPK301", src, unsafe=True)
    assert "lookup_by_key = sc.broadcast(dict([(\"a\", \"A\"), (\"b\", \"B\")]))" in fixed
    assert "(lookup_by_key.value[kv[0]], kv[1])" in fixed

    src = """
    lookup = sc.parallelize([("a", 1), ("b", 2)])
    events = sc.parallelize(range(20000), 4).map(lambda i: ("abcd"[i % 4], i))
    if True:
        result = events.leftOuterJoin(lookup, 8)
    """
    fixed = prove_fix(spark, "SPK301", src, unsafe=True)
    assert "    lookup_by_key = lookup.context.broadcast(lookup.collectAsMap())\n    result = events.map(" in fixed


def _fixes(src: str):
    return [f.fix for f in lint_source(textwrap.dedent(src), settings=Settings(select=("SPK301",)))]


def test_no_rdd_fix_when_keys_repeat_or_are_not_literal():
    assert _fixes("""
    lookup = sc.parallelize([("a", 1), ("a", 2)])
    events = sc.textFile("x").map(lambda l: (l, 1))
    result = events.join(lookup)
    """) == [None]
    assert _fixes("""
    lookup = sc.parallelize([(k, 1) for k in range(10)])
    events = sc.textFile("x").map(lambda l: (l, 1))
    result = events.join(lookup)
    """) == [None]


def test_no_fix_when_broadcast_names_something_else():
    found = _fixes("""
    broadcast = sc.broadcast({"a": 1})
    big = spark.read.parquet("x")
    dim = spark.createDataFrame([("a", 1)], ["k", "v"])
    result = big.join(dim, "k")
    """)
    assert found == [None]


def test_notebook_cell_uses_an_earlier_cells_import():
    from sparkcoach.engine.lint import lint_cells

    cells = [
        "from pyspark.sql import functions as F\nbig = spark.read.parquet('x')",
        "dim = spark.createDataFrame([('a', 1)], ['k', 'v'])\njoined = big.join(dim, 'k')",
    ]
    found = lint_cells(cells, settings=Settings(select=("SPK301",)))
    assert [(f.cell, f.line) for f in found] == [(1, 2)]
    assert [e.replacement for e in found[0].fix.edits] == ["F.broadcast(dim)"]


def test_aliased_sides_keep_resolving(spark):
    src = "from pyspark.sql import functions as F\n" + DATA + (
        "joined = big.alias('b').join(dim.alias('d'), F.col('b.code') == F.col('d.code'), 'left_outer')\n"
        "result = joined.select('b.id', 'd.name')\n"
    )
    fixed = prove_fix(spark, "SPK301", src)
    assert "big.alias('b').join(F.broadcast(dim.alias('d')), F.col('b.code')" in fixed
    assert _join_strategy(spark, fixed) == "BroadcastHashJoin"


def test_cross_join_with_an_unsized_side_becomes_a_broadcast_nested_loop(spark):
    src = "from pyspark.sql import functions as F\n" + DATA + (
        "joined = big.crossJoin(dim)\n"
        "result = joined.groupBy('name').count()\n"
    )
    fixed = prove_fix(spark, "SPK301", src)
    assert "joined = big.crossJoin(F.broadcast(dim))\n" in fixed
    assert _join_strategy(spark, src) == "CartesianProduct"
    assert _join_strategy(spark, fixed) == "BroadcastNestedLoopJoin"


def test_spark_connect_sizes_local_lists():
    assert _fixes("""
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.remote("sc://localhost:15002").getOrCreate()
    big = spark.read.parquet("x")
    dim = spark.createDataFrame([("a", 1)], ["k", "v"])
    result = big.join(dim, "k")
    """) == []


def test_spark_connect_session_from_an_earlier_cell():
    """The session is built in one cell and the join written in a later one: still Connect, still silent;
    the same cells on a classic session are reported."""
    from sparkcoach.engine.lint import lint_cell

    session = 'from pyspark.sql import SparkSession\nspark = SparkSession.builder.{}.getOrCreate()\n'
    tables = ('people = spark.range(2_000_000).selectExpr("id", "id % 50 AS state_id")\n'
              'states = spark.createDataFrame([(i, f"s{i}") for i in range(50)], ["state_id", "name"])\n')
    join = '%%sparklint\nrows = people.join(states, "state_id").groupBy("name").count().collect()\n'
    connect = [session.format('remote("sc://127.0.0.1:15002")'), tables]
    classic = [session.format('master("local[2]")'), tables]
    assert [f.code for f in lint_cell(join, previous=connect)] == []
    assert [f.code for f in lint_cell(join, previous=classic)] == ["SPK301"]
