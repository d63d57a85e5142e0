"""Plan capture: ``parse_explain`` over real explain texts, ``plan_of`` over live DataFrames.

The fixture texts in tests/fixtures/plans/ are named ``<spark version>-<case>-<mode>.txt``
("4.3.0" classic local session, "4.3.0+connect" a Spark Connect session, "3.5.9" classic
under pyspark 3.5); :func:`build_cases` below is what produced them (see the README there).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from servers import connect_server, connect_session  # noqa: F401  (fixtures: a real Spark Connect server)
from sparkcoach.capture.explain import parse_bytes, parse_explain, parse_explain_result
from sparkcoach.capture.model import PlanNode

PLANS = FIXTURES / "plans"
FILES = sorted(PLANS.glob("*.txt"))


# -- the DataFrames behind the fixtures (also run live below) ------------------------------------------------


def build_cases(spark, csv: str, parquet: str) -> dict:
    """case name -> a function building the DataFrame (nothing runs until a test runs it)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf, udf

    big = spark.range(0, 1000).withColumn("k", F.col("id") % 10).withColumn("v", F.col("id") * 2)
    small = spark.range(0, 10).withColumnRenamed("id", "k").withColumn("name", F.concat(F.lit("n"), F.col("k")))
    big.createOrReplaceTempView("big")
    small.createOrReplaceTempView("small")

    def plus1(x):
        return x + 1

    plus1_batch = udf(plus1, "long", useArrow=False)
    plus1_default = udf(plus1, "long")

    @pandas_udf("long")
    def plus2(s):
        return s + 2

    agg = big.groupBy("k").agg(F.max("v").alias("m"))
    return {
        "smj": lambda: big.join(small.hint("merge"), "k"),
        "bhj": lambda: big.join(F.broadcast(small), "k"),
        "shj": lambda: big.join(small.hint("shuffle_hash"), "k"),
        "bnlj": lambda: big.join(small, big.v < small.k),
        "cartesian": lambda: big.join(small.hint("shuffle_replicate_nl"), big.v < small.k),
        "notin": lambda: spark.sql("SELECT * FROM big WHERE k NOT IN (SELECT k FROM small WHERE name <> 'n3')"),
        "sortgroupby": lambda: big.orderBy("v").groupBy("k").agg(F.sum("v").alias("s")),
        "groupbysort": lambda: big.groupBy("k").agg(F.sum("v").alias("s")).orderBy(F.desc("s")),
        "window": lambda: big.withColumn("rn", F.row_number().over(Window.orderBy("v"))),
        "coalesce": lambda: big.coalesce(1).groupBy("k").count(),
        "repartition": lambda: big.repartition(8, "v").groupBy("k").count(),
        "repartitionrr": lambda: big.repartition(8).groupBy("k").count(),
        "pyudf": lambda: big.select("k", plus1_batch("v").alias("v1")),
        "defaultudf": lambda: big.select("k", plus1_default("v").alias("v1")),
        "pandasudf": lambda: big.select("k", plus2("v").alias("v2")),
        "reuse": lambda: agg.join(agg.withColumnRenamed("m", "m2"), "k"),
        "subquery": lambda: spark.sql("SELECT * FROM big WHERE v > (SELECT avg(v) FROM big)"),
        "union": lambda: big.select("k").union(small.select("k")).distinct(),
        "csvscan": lambda: spark.read.option("header", True).csv(csv),
        "csvfilter": lambda: spark.read.option("header", True).csv(csv).filter(F.col("k") == "3").select("id", "k"),
        "parquetfilter": lambda: spark.read.parquet(parquet).filter((F.col("k") == 3) & (F.col("v") > 100))
        .select("id", "v"),
        "cached": lambda: _cached(spark, parquet),
        # AQE cases: the fixtures were explained after df.collect() (a classic session shows the final plan)
        "aqesmj": lambda: big.join(small.hint("merge"), "k"),
        "aqejoin": lambda: big.join(small, "k").groupBy("name").count(),
        "aqegroupby": lambda: big.groupBy("k").agg(F.sum("v")),
        # captured with spark.sql.autoBroadcastJoinThreshold=-1 and spark.sql.adaptive.autoBroadcastJoinThreshold=10MB
        "aqeconvert": lambda: big.join(small, "k").groupBy("name").count(),
    }


def _cached(spark, parquet):
    from pyspark.sql import functions as F

    df = spark.read.parquet(parquet).filter(F.col("v") > 10)
    df.cache()
    return df.groupBy("k").count()


# -- expected operators (walk order) and details per case ----------------------------------------------------

AQE_CLASSIC = {"4.3.0", "3.5.9"}  # sessions whose explain after collect() shows AQE's final plan

OPERATORS = {
    "smj": "Project SortMergeJoin Sort Exchange Project Filter Range Sort Exchange Project Range",
    "bhj": "Project BroadcastHashJoin Project Filter Range BroadcastExchange Project Range",
    "shj": "Project ShuffledHashJoin Exchange Project Filter Range Exchange Project Range",
    "bnlj": "BroadcastNestedLoopJoin Project Range BroadcastExchange Project Range",
    "cartesian": "CartesianProduct Project Range Project Range",
    "notin": "Project BroadcastHashJoin Range BroadcastExchange Project Filter Range",
    "sortgroupby": "HashAggregate Exchange HashAggregate Project Range",
    "groupbysort": "Sort Exchange HashAggregate Exchange HashAggregate Project Range",
    "window": "Window Sort Exchange Project Range",
    "coalesce": {"3.5.9": "HashAggregate HashAggregate Coalesce Project Range",
                 "*": "HashAggregate Coalesce Project Range"},
    "repartition": "HashAggregate Exchange HashAggregate Project Exchange Project Range",
    "repartitionrr": "HashAggregate Exchange HashAggregate Exchange Project Range",
    "pyudf": "Project BatchEvalPython Range",
    "defaultudf": {"3.5.9": "Project BatchEvalPython Range", "*": "Project ArrowEvalPython Range"},
    "pandasudf": "Project ArrowEvalPython Range",
    "reuse": "Project BroadcastHashJoin HashAggregate Exchange HashAggregate Project Filter Range "
             "BroadcastExchange HashAggregate Exchange HashAggregate Project Filter Range",
    "subquery": "Project Filter Range Subquery HashAggregate Exchange HashAggregate Project Range",
    "union": "HashAggregate Exchange HashAggregate Union Project Range Project Range",
    "csvscan": "FileScan",
    "csvfilter": "Filter FileScan",
    "parquetfilter": "Project Filter ColumnarToRow FileScan",
    "cached": "HashAggregate Exchange HashAggregate InMemoryTableScan InMemoryRelation Filter ColumnarToRow FileScan",
    "aqesmj": {"final": "Project SortMergeJoin Sort AQEShuffleRead Exchange Project Filter Range "
                        "Sort AQEShuffleRead Exchange Project Range",
               "*": "Project SortMergeJoin Sort Exchange Project Filter Range Sort Exchange Project Range"},
    "aqejoin": {"final": "HashAggregate AQEShuffleRead Exchange HashAggregate Project BroadcastHashJoin Project Filter "
                         "Range BroadcastExchange Project Range",
                "*": "HashAggregate Exchange HashAggregate Project BroadcastHashJoin Project Filter Range "
                     "BroadcastExchange Project Range"},
    "aqegroupby": {"final": "HashAggregate AQEShuffleRead Exchange HashAggregate Project Range",
                   "*": "HashAggregate Exchange HashAggregate Project Range"},
    # AQE turned the planned sort-merge join into a broadcast join at runtime (3.5 built the left side)
    "aqeconvert": {
        "3.5.9": "HashAggregate AQEShuffleRead Exchange HashAggregate Project BroadcastHashJoin BroadcastExchange "
                 "AQEShuffleRead Exchange Project Filter Range AQEShuffleRead Exchange Project Range",
        "final": "HashAggregate AQEShuffleRead Exchange HashAggregate Project BroadcastHashJoin AQEShuffleRead "
                 "Exchange Project Filter Range BroadcastExchange AQEShuffleRead Exchange Project Range",
        "*": "HashAggregate Exchange HashAggregate Project SortMergeJoin Sort Exchange Project Filter Range "
             "Sort Exchange Project Range"},
}


def _split(path: Path) -> tuple[str, str, str]:
    version, case, mode = path.stem.split("-")
    return version, case, mode


def _expected(case: str, version: str) -> list[str]:
    spec = OPERATORS[case]
    if isinstance(spec, str):
        return spec.split()
    if version in spec:
        return spec[version].split()
    if version in AQE_CLASSIC and "final" in spec:
        return spec["final"].split()
    return spec["*"].split()


def ops(root: PlanNode, name: str) -> list[PlanNode]:
    return [n for n in root.walk() if n.operator == name]


def one(root: PlanNode, name: str) -> PlanNode:
    found = ops(root, name)
    assert len(found) == 1, (name, [n.operator for n in root.walk()])
    return found[0]


def parent_of(root: PlanNode, node: PlanNode) -> PlanNode | None:
    for n in root.walk():
        if any(c is node for c in n.children):
            return n
    return None


def check_details(case: str, version: str, mode: str, root: PlanNode) -> None:
    """The key details of each case, the same in every mode and version."""
    d = root.details
    classic_final = version in AQE_CLASSIC and case.startswith("aqe")
    assert d["final"] is classic_final
    assert d["adaptive"] is (case not in ("cartesian", "pyudf", "defaultudf", "pandasudf", "csvscan", "csvfilter",
                                          "parquetfilter"))
    if case == "smj":
        j = one(root, "SortMergeJoin")
        assert j.details["Join type"] == "Inner"
        assert re.fullmatch(r"\[k#\d+L\]", j.details["Left keys"]) and re.fullmatch(r"\[k#\d+L\]",
                                                                                     j.details["Right keys"])
        assert "Join condition" not in j.details
        for ex in ops(root, "Exchange"):
            assert re.fullmatch(r"hashpartitioning\(k#\d+L, 4\)", ex.details["Partitioning"])
            assert ex.args.startswith("hashpartitioning(k#")
            assert ex.details["Partitions"] == 4 and ex.details["Shuffle origin"] == "ENSURE_REQUIREMENTS"
        assert [s.details["Global"] for s in ops(root, "Sort")] == [False, False]
        assert [c.operator for c in j.children] == ["Sort", "Sort"]
    elif case in ("bhj", "shj", "notin"):
        j = one(root, {"bhj": "BroadcastHashJoin", "shj": "ShuffledHashJoin", "notin": "BroadcastHashJoin"}[case])
        assert j.details["Join type"] == ("LeftAnti" if case == "notin" else "Inner")
        assert j.details["Build side"] == "right"
        if case != "shj":
            assert one(root, "BroadcastExchange").args.startswith("HashedRelationBroadcastMode(")
            assert j.children[1].operator == "BroadcastExchange"
    elif case in ("bnlj", "cartesian"):
        j = one(root, "BroadcastNestedLoopJoin" if case == "bnlj" else "CartesianProduct")
        assert j.details["Join type"] == "Inner"
        assert re.fullmatch(r"\(v#\d+L < k#\d+L\)", j.details["Join condition"])
        if case == "bnlj":
            assert j.details["Build side"] == "right"
            assert one(root, "BroadcastExchange").args.startswith("IdentityBroadcastMode")
        else:
            assert "Build side" not in j.details
    elif case == "sortgroupby":
        assert not ops(root, "Sort")  # the optimizer drops a sort below an aggregate
    elif case == "groupbysort":
        sort = one(root, "Sort")
        assert sort.details["Global"] is True
        ex = sort.children[0]
        assert ex.operator == "Exchange" and ex.details["Partitioning"].startswith("rangepartitioning(s#")
        assert ex.details["Partitions"] == 4
    elif case == "window":
        ex = one(root, "Exchange")
        assert ex.details["Partitioning"] == "SinglePartition" and ex.details["Partitions"] == 1
        assert ex.args.startswith("SinglePartition")
        assert parent_of(root, ex).operator == "Sort"
        assert parent_of(root, parent_of(root, ex)).operator == "Window"
    elif case == "coalesce":
        assert one(root, "Coalesce").details["Partitions"] == 1
        assert not ops(root, "Exchange")
    elif case in ("repartition", "repartitionrr"):
        upper, lower = ops(root, "Exchange")
        assert upper.details["Shuffle origin"] == "ENSURE_REQUIREMENTS"
        assert re.fullmatch(r"hashpartitioning\(k#\d+L, 4\)", upper.details["Partitioning"])
        assert lower.details["Shuffle origin"] == "REPARTITION_BY_NUM" and lower.details["Partitions"] == 8
        if case == "repartition":
            assert re.fullmatch(r"hashpartitioning\(v#\d+L, 8\)", lower.details["Partitioning"])
        else:
            assert lower.details["Partitioning"] == "RoundRobinPartitioning(8)"
    elif case in ("pyudf", "defaultudf", "pandasudf"):
        ev = root.children[0]
        assert ev.operator in ("BatchEvalPython", "ArrowEvalPython")
        assert re.search(r"plus[12]\(", ev.args)
        assert "Codegen id" not in ev.details  # Python evaluation is not whole-stage code
        if mode != "formatted":
            assert root.details["Codegen id"] == 2
    elif case == "subquery":
        sub = one(root, "Subquery")
        assert sub.details["Inner child"] is True
        assert parent_of(root, sub).operator == "Filter"
        assert one(sub, "Exchange").details["Partitioning"] == "SinglePartition"
    elif case in ("csvscan", "csvfilter", "parquetfilter"):
        scan = one(root, "FileScan")
        fmt = "parquet" if case == "parquetfilter" else "csv"
        assert scan.details["Format"] == fmt
        assert scan.details["Location"].startswith("InMemoryFileIndex") and f"data.{fmt}" in scan.details["Location"]
        assert scan.details["ReadSchema"].startswith("struct<")
        pushed = scan.details.get("PushedFilters", "[]")
        expect = {"csvscan": "[]", "csvfilter": "[IsNotNull(k), EqualTo(k,3)]",
                  "parquetfilter": "[IsNotNull(k), IsNotNull(v), EqualTo(k,3), GreaterThan(v,100)]"}[case]
        assert pushed == expect
        if mode != "formatted":  # the simple line's own "Format: CSV" does not override the normalised one
            assert scan.details["PartitionFilters"] == "[]"
        if case == "parquetfilter":
            assert scan.details["Batched"] == "true"
            assert [n.details.get("Codegen id") for n in root.walk()] == [1, 1, 1, None]
    elif case == "cached":
        rel = one(root, "InMemoryRelation")
        assert rel.details["Inner child"] is True
        assert parent_of(root, rel).operator == "InMemoryTableScan"
        assert one(rel, "FileScan").details["Format"] == "parquet"
    elif case == "reuse":
        assert len(ops(root, "Exchange")) == 2
    elif case.startswith("aqe"):
        reads = ops(root, "AQEShuffleRead")
        if classic_final:
            assert reads and all(r.args in ("coalesced", "local") for r in reads)
            stages = [n.details["Query stage"] for n in root.walk() if "Query stage" in n.details]
            assert len(stages) == len(set(stages)) >= 1
            for r in reads:
                assert r.children[0].operator == "Exchange" and "Query stage" in r.children[0].details
            runtime = [n.details.get("Runtime size") for n in root.walk() if "Query stage" in n.details
                       and n.operator in ("Exchange", "BroadcastExchange")]
            if mode == "formatted":
                assert runtime and all(isinstance(x, int) and x > 0 for x in runtime)
            if case == "aqeconvert":
                j = one(root, "BroadcastHashJoin")
                assert j.details["Build side"] == ("left" if version == "3.5.9" else "right")
        else:
            assert not reads and not any("Query stage" in n.details for n in root.walk())
    if mode == "cost":
        assert root.size and root.size > 0
        for j in root.walk():
            if j.operator in ("SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin", "BroadcastNestedLoopJoin",
                              "CartesianProduct"):
                big_side, small_side = j.children
                if case == "reuse":
                    assert big_side.size == small_side.size > 0
                else:  # the 1000-row side is the bigger one
                    assert big_side.size > small_side.size > 0


# -- the fixture-pair tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture_text_parses(path: Path):
    version, case, mode = _split(path)
    result = parse_explain_result(path.read_text())
    root = result.root
    assert [n.operator for n in root.walk()] == _expected(case, version)
    assert result.formatted is (mode == "formatted")
    assert result.adaptive is root.details["adaptive"] and result.final is root.details["final"]
    if mode == "formatted":
        assert all(n.id is not None for n in root.walk() if n.operator not in ("Subquery",))
    else:
        assert all(n.id is None for n in root.walk())
    check_details(case, version, mode, root)
    assert parse_explain(path.read_bytes().decode()) == root


def test_fixtures_cover_every_case_mode_and_version():
    have = {_split(p) for p in FILES}
    for version in ("4.3.0", "4.3.0+connect", "3.5.9"):
        for case in OPERATORS:
            for mode in ("simple", "formatted"):
                assert (version, case, mode) in have, (version, case, mode)
        assert {c for v, c, m in have if v == version and m == "cost"} >= {"smj", "bhj", "shj", "bnlj", "cartesian"}
        assert {c for v, c, m in have if v == version and m == "extended"} >= {"smj", "aqeconvert"}


def test_simple_and_formatted_texts_agree():
    """The same DataFrame explained in two modes gives the same operators and normalised details."""
    keys = ("Join type", "Build side", "Left keys", "Right keys", "Join condition", "Partitioning", "Partitions",
            "Shuffle origin", "Global", "Format", "PushedFilters", "Location", "Query stage", "Inner child")
    always = ("Join type", "Build side", "Partitioning", "Partitions", "Shuffle origin", "Global", "Format",
              "Query stage", "Inner child")
    for simple in PLANS.glob("*-simple.txt"):
        formatted = simple.with_name(simple.name.replace("-simple", "-formatted"))
        a, b = parse_explain(simple.read_text()), parse_explain(formatted.read_text())
        assert [n.operator for n in a.walk()] == [n.operator for n in b.walk()], simple.name
        for x, y in zip(a.walk(), b.walk()):
            for k in keys:
                if k in x.details and k in y.details and k != "Location":
                    assert x.details[k] == y.details[k], (simple.name, x.operator, k)
                elif k in always:
                    assert k not in x.details and k not in y.details, (simple.name, x.operator, k)
            if x.operator == "Exchange":  # AQE's final plans number their exchanges anew for each explain
                assert re.sub(r"plan_id=\d+", "", x.args) == re.sub(r"plan_id=\d+", "", y.args)


# -- texts beyond the captured ones ------------------------------------------------------------------------------


def test_bare_tree_without_header_and_bytes():
    text = ("*(2) HashAggregate(keys=[k#1L], functions=[count(1)])\n"
            "+- Exchange hashpartitioning(k#1L, 200), ENSURE_REQUIREMENTS, [plan_id=7]\n"
            "   +- *(1) HashAggregate(keys=[k#1L], functions=[partial_count(1)])\n"
            "      +- *(1) Scan ExistingRDD[k#1L]\n")
    root = parse_explain(text.encode())
    assert [n.operator for n in root.walk()] == ["HashAggregate", "Exchange", "HashAggregate", "Scan"]
    assert root.args == "keys=[k#1L], functions=[count(1)]"
    assert root.children[0].details["Partitions"] == 200
    assert root.details == {"Codegen id": 2, "adaptive": False, "final": False}


def test_current_plan_reused_exchange_and_table_scan():
    text = """== Physical Plan ==
AdaptiveSparkPlan isFinalPlan=false
+- == Current Plan ==
   SortMergeJoin [k#1L], [k#5L], LeftOuter, (v#2L > 3)
   :- Sort [k#1L ASC NULLS FIRST], false, 0
   :  +- ShuffleQueryStage 0
   :     +- Exchange hashpartitioning(k#1L, 4), ENSURE_REQUIREMENTS, [plan_id=40]
   :        +- *(1) ColumnarToRow
   :           +- FileScan parquet spark_catalog.default.t[k#1L,v#2L] Batched: true, DataFilters: [], Format: Parquet, Location: InMemoryFileIndex(1 paths)[file:/w/t], PartitionFilters: [], PushedFilters: [], ReadSchema: struct<k:bigint,v:bigint>
   +- Sort [k#5L ASC NULLS FIRST], false, 0
      +- ShuffleQueryStage 1
         +- ReusedExchange [k#5L], Exchange hashpartitioning(k#1L, 4), ENSURE_REQUIREMENTS, [plan_id=40]
+- == Initial Plan ==
   SortMergeJoin [k#1L], [k#5L], LeftOuter, (v#2L > 3)
   :- Sort [k#1L ASC NULLS FIRST], false, 0
   :  +- Exchange hashpartitioning(k#1L, 4), ENSURE_REQUIREMENTS, [plan_id=40]
   :     +- FileScan parquet spark_catalog.default.t[k#1L,v#2L] Batched: true, DataFilters: [], Format: Parquet, Location: InMemoryFileIndex(1 paths)[file:/w/t], PartitionFilters: [], PushedFilters: [], ReadSchema: struct<k:bigint,v:bigint>
   +- Sort [k#5L ASC NULLS FIRST], false, 0
      +- Exchange hashpartitioning(k#5L, 4), ENSURE_REQUIREMENTS, [plan_id=41]
         +- FileScan parquet spark_catalog.default.t[k#5L] Batched: true, DataFilters: [], Format: Parquet, Location: InMemoryFileIndex(1 paths)[file:/w/t], PartitionFilters: [], PushedFilters: [], ReadSchema: struct<k:bigint>
"""
    r = parse_explain_result(text)
    assert r.adaptive and not r.final
    assert [n.operator for n in r.root.walk()] == ["SortMergeJoin", "Sort", "Exchange", "ColumnarToRow", "FileScan",
                                                   "Sort", "ReusedExchange"]
    j = r.root
    assert j.details["Join type"] == "LeftOuter" and j.details["Join condition"] == "(v#2L > 3)"
    scan = one(r.root, "FileScan")
    assert scan.details["Format"] == "parquet" and scan.details["Location"] == "InMemoryFileIndex(1 paths)[file:/w/t]"
    assert one(r.root, "ReusedExchange").details["Query stage"] == 1


def test_unparseable_texts_raise_value_error():
    for text in ("", "   \n", "== Parsed Logical Plan ==\n'Project [*]\n", "Found 2 WholeStageCodegen subtrees."):
        with pytest.raises(ValueError):
            parse_explain(text)


def test_parse_bytes_units():
    assert parse_bytes("180.0 B") == 180
    assert parse_bytes("15.6 KiB") == int(15.6 * 1024)
    assert parse_bytes("2.4 MiB") == int(2.4 * 1024 * 1024)
    assert parse_bytes("8.0 EiB") == 8 * 2 ** 60
    assert parse_bytes("1.2E+3 B") == 1200
    assert parse_bytes("many") is None


def test_import_does_not_import_pyspark():
    code = ("import sys; import sparkcoach.capture.plan, sparkcoach.capture.explain, sparkcoach.capture.lineage;"
            "print(sorted(m for m in ('pyspark', 'py4j') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


# -- live capture on the shared local session ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cases(spark, tmp_path_factory):
    # Data another test left cached would show up as InMemoryTableScan in these plans.
    spark.catalog.clearCache()
    d = tmp_path_factory.mktemp("plan-data")
    csv, parquet = str(d / "data.csv"), str(d / "data.parquet")
    df = spark.range(0, 1000).selectExpr("id", "id % 10 as k", "id * 2 as v")
    df.write.option("header", True).csv(csv)
    df.write.parquet(parquet)
    return build_cases(spark, csv, parquet)


def _jobs(sc, group: str) -> int:
    return len(sc.statusTracker().getJobIdsForGroup(group))


def test_plan_of_matches_the_explain_text_and_starts_no_job(spark, cases):
    from sparkcoach.capture.plan import explain_string, plan_of

    sc = spark.sparkContext
    group = "sparkcoach-test-plan-of"
    sc.setJobGroup(group, "plan_of must not run jobs")
    try:
        for case, build in cases.items():
            if case.startswith("aqe"):
                continue
            df = build()
            before = _jobs(sc, group)
            captured = plan_of(df, case, 3)
            assert _jobs(sc, group) == before, case
            assert captured.source == "jvm" and captured.name == case and captured.line == 3
            text = explain_string(df, "simple")
            parsed = parse_explain(text)
            assert [n.operator for n in captured.root.walk()] == [n.operator for n in parsed.walk()], case
            assert [n.operator for n in captured.root.walk()] == _expected(case, "4.3.0"), case
            for a, b in zip(captured.root.walk(), parsed.walk()):
                assert a.args == b.args, (case, a.operator)
                for k, v in b.details.items():
                    if k not in ("adaptive", "final"):
                        assert a.details.get(k) == v, (case, a.operator, k)
            check_details(case, "4.3.0", "simple", captured.root)
            assert captured.text.startswith("== Physical Plan ==")
            assert captured.adaptive is captured.root.details["adaptive"]
    finally:
        sc.setJobGroup("sparkcoach-test-other", "")


def test_plan_of_sizes_root_and_join_sides(spark, cases):
    from sparkcoach.capture.plan import plan_of

    for case in ("smj", "bhj", "shj", "bnlj", "cartesian", "notin"):
        root = plan_of(cases[case](), case, None, text=False).root
        assert root.size and root.size > 0
        j = next(n for n in root.walk() if n.operator in ("SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin",
                                                          "BroadcastNestedLoopJoin", "CartesianProduct"))
        left, right = j.children
        assert left.size > right.size > 0, case
        if case == "notin":
            assert left.rows == 1000  # a Range knows its row count
    # the exact figures of the logical plan: 1000 rows of (id, k, v) longs; 10 rows of (k, name)
    root = plan_of(cases["smj"](), "smj", None, text=False).root
    sides = [c.size for c in root.children[0].children]
    assert sides == [16000, 180]  # exact: explain(mode="cost") prints 15.6 KiB and 180 B


def _logical(plan) -> list[tuple[str, int, int | None]]:
    """(node name, size, rows) of each node of a JVM logical plan, parents first."""
    st = plan.stats()
    rows = st.rowCount()
    out = [(plan.nodeName(), int(st.sizeInBytes()), int(rows.get()) if rows.isDefined() else None)]
    children = plan.children()
    for i in range(children.size()):
        out += _logical(children.apply(i))
    return out


def test_plan_of_sizes_every_node_spark_planned(spark):
    """Filter, Project, Aggregate, Range: each carries its optimized logical node's estimate, exactly."""
    from pyspark.sql import functions as F

    from sparkcoach.capture.plan import plan_of

    df = spark.range(0, 1000).withColumn("k", F.col("id") % 10).filter("id > 3").groupBy("k").agg(F.sum("id"))
    logical = _logical(df._jdf.queryExecution().optimizedPlan())
    assert [name for name, _, _ in logical] == ["Aggregate", "Project", "Filter", "Range"]
    root = plan_of(df, "df", 1, text=False).root
    final, exchange, partial, project, filt, rng = root.walk()
    assert [n.operator for n in (final, exchange, partial, project, filt, rng)] == [
        "HashAggregate", "Exchange", "HashAggregate", "Project", "Filter", "Range"]
    assert [(n.size, n.rows) for n in (final, project, filt, rng)] == [(size, rows) for _, size, rows in logical]
    assert rng.rows == 1000 and filt.size < project.size
    # Spark added the exchange; the partial aggregation's output is not the Aggregate's: no estimate
    assert exchange.size is None and partial.size is None


def test_plan_of_leaves_unknown_sizes_unknown(spark):
    """Local data Spark cannot size (8 EiB, spark.sql.defaultSizeInBytes), and what derives from it: None."""
    from pyspark.sql import functions as F

    from sparkcoach.capture.plan import plan_of

    local = spark.createDataFrame([(1, "a"), (2, "b")], ["k", "name"])
    narrowed = plan_of(local.select("k").filter("k > 1"), "df", 1, text=False).root
    assert [n.size for n in narrowed.walk()] == [None] * len(list(narrowed.walk()))
    joined = plan_of(spark.range(100).join(F.broadcast(local.select(F.col("k").alias("id"))), "id"), "df", 1,
                     text=False).root
    assert joined.size is None and one(joined, "BroadcastHashJoin").size is None
    assert one(joined, "Range").size == 800 and one(joined, "BroadcastExchange").size is None
    counted = plan_of(local.agg(F.count("*")), "df", 1, text=False).root  # one row, whatever the input
    assert counted.rows == 1 and 0 < counted.size < 100


def test_plan_of_final_aqe_plan_after_a_job(spark, cases):
    from sparkcoach.capture.plan import plan_of

    df = cases["aqejoin"]()
    before = plan_of(df, "df", 1, text=False)
    assert before.adaptive and not before.final
    assert not any(n.operator == "AQEShuffleRead" for n in before.root.walk())
    df.collect()
    after = plan_of(df, "df", 1)
    assert after.adaptive and after.final and after.root.details["final"] is True
    # AQE re-planned the final aggregation above a finished stage: the stage's statistics are not its output's
    assert after.root.size == before.root.size
    assert after.root.size != after.root.children[0].children[0].details["Runtime size"]
    assert [n.operator for n in after.root.walk()] == _expected("aqejoin", "4.3.0")
    check_details("aqejoin", "4.3.0", "simple", after.root)
    exchanges = [n for n in after.root.walk() if n.operator in ("Exchange", "BroadcastExchange")]
    assert all(isinstance(n.details.get("Runtime size"), int) for n in exchanges)
    shuffle = next(n for n in exchanges if n.operator == "Exchange")
    assert shuffle.details["Runtime rows"] > 0
    # the captured text is the same plan
    assert [n.operator for n in parse_explain(after.text).walk()] == [n.operator for n in after.root.walk()]


def test_plan_of_wraps_joins_in_subqueries_and_cached_plans(spark, cases):
    from sparkcoach.capture.plan import plan_of

    root = plan_of(cases["cached"](), "c", 1, text=False).root
    rel = one(root, "InMemoryRelation")
    assert rel.details["Inner child"] and one(rel, "FileScan").details["Format"] == "parquet"
    root = plan_of(cases["subquery"](), "s", 1, text=False).root
    assert one(root, "Subquery").details["Inner child"]


def test_plan_of_raises_on_a_broken_dataframe(spark):
    from sparkcoach.capture.plan import plan_of

    with pytest.raises(Exception):
        plan_of(spark.sql("SELECT no_such_column FROM range(3)"), "bad", 1)


def test_plan_of_under_spark_connect(connect_session):
    """A Connect DataFrame: the formatted explain text, parsed; sizes from the cost text."""
    from sparkcoach.capture.plan import plan_of

    s = connect_session
    big = s.sql("SELECT id, id % 10 AS k, id * 2 AS v FROM range(1000)")
    small = s.sql("SELECT id AS k, concat('n', id) AS name FROM range(10)")
    df = big.join(small.hint("merge"), "k")
    captured = plan_of(df, "joined", 2)
    assert captured.source == "explain" and captured.adaptive and not captured.final
    assert captured.text.startswith("== Physical Plan ==")
    assert [n.operator for n in captured.root.walk()] == _expected("smj", "4.3.0+connect")
    check_details("smj", "4.3.0+connect", "formatted", captured.root)
    j = one(captured.root, "SortMergeJoin")
    assert captured.root.size > 0 and j.children[0].size > j.children[1].size > 0
