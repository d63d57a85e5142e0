"""The engine's dataflow, scopes, import styles and notebook handling, seen through findings."""

from __future__ import annotations

import ast

from sparkcoach.engine import values as V
from sparkcoach.engine.cells import cell_to_python
from sparkcoach.engine.lint import Settings, lint_cell, lint_cells, lint_source
from sparkcoach.engine.python import Analyzer, Unit
from sparkcoach.engine.source import Source

ONLY_201 = Settings(select=("SPK201",))


def values_of(src: str, *names: str) -> dict:
    """Bind names by running the analyzer, then read their values at the end of the module."""
    a = Analyzer([])
    a.run(ast.parse(src), Unit(Source(src), "t.py"))
    return {n: a.lookup(n) for n in names}


def test_kinds_from_how_values_were_made():
    v = values_of(
        "from pyspark.sql import SparkSession\n"
        "s = SparkSession.builder.appName('x').getOrCreate()\n"
        "ctx = s.sparkContext\n"
        "df = s.read.format('csv').option('header', True).load('p')\n"
        "t = s.table('t')\nq = s.sql('select 1')\nr = s.range(10)\n"
        "rdd = ctx.textFile('p')\npairs = rdd.map(lambda l: (l, 1))\nred = pairs.reduceByKey(max)\n"
        "rows = df.rdd\nb = ctx.broadcast({1: 2})\ng = df.groupBy('a')\nagg = g.count()\n"
        "w = df.write\nsmall = s.createDataFrame([(1, 'a')], ['n', 's'])\nlim = df.limit(5)\n",
        "s", "ctx", "df", "t", "q", "r", "rdd", "pairs", "red", "rows", "b", "g", "agg", "w", "small", "lim")
    kinds = {k: (x.kind if x else None) for k, x in v.items()}
    assert kinds == {"s": V.SESSION, "ctx": V.CONTEXT, "df": V.DATAFRAME, "t": V.DATAFRAME, "q": V.DATAFRAME,
                     "r": V.DATAFRAME, "rdd": V.RDD, "pairs": V.RDD, "red": V.RDD, "rows": V.RDD,
                     "b": V.BROADCAST, "g": V.GROUPED, "agg": V.DATAFRAME, "w": V.WRITER, "small": V.DATAFRAME,
                     "lim": V.DATAFRAME}
    assert v["pairs"].pair and not v["pairs"].partitioned
    assert v["red"].pair and v["red"].partitioned
    assert v["r"].small and v["small"].small and v["small"].unsized and v["lim"].small
    assert not v["df"].small and v["agg"].reduced


def test_chains_split_across_lines_and_rebinding():
    src = ("from pyspark import SparkContext\nsc = SparkContext.getOrCreate()\n"
           "x = (sc.textFile('p')\n     .map(lambda l: (l, 1))\n)\n"
           "y = x\\\n    .groupByKey()\\\n    .mapValues(sum)\n"
           "x = 3\n"
           "x.groupByKey().mapValues(sum)\n")
    found = lint_source(src, settings=ONLY_201)
    assert [f.line for f in found] == [7]  # x is an int on the last line: silent


def test_names_flow_across_notebook_cells():
    cells = ["from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()",
             "pairs = spark.sparkContext.parallelize([(1, 2)])",
             "pairs = 5",
             "pairs.groupByKey().mapValues(sum)"]
    assert lint_cells(cells, settings=ONLY_201) == []
    found = lint_cells(cells[:2] + cells[3:], settings=ONLY_201)
    assert [(f.cell, f.line) for f in found] == [(2, 1)]


def test_lint_cell_sees_previous_cells():
    found = lint_cell("p2 = pairs.groupByKey().mapValues(len)", cell=7,
                      previous=["import pyspark\npairs = sc.parallelize([(1, 2)])", "x = 1"], settings=ONLY_201)
    assert [(f.cell, f.line) for f in found] == [(7, 1)]


def test_function_scopes_and_parameter_hints():
    src = ("from pyspark.sql import DataFrame\nfrom pyspark import RDD\n"
           "def f(data: RDD):\n    return data.groupByKey().mapValues(sum)\n"
           "def g(events_rdd):\n    return events_rdd.groupByKey().mapValues(sum)\n"
           "def h(pdf):\n    pdf = 1\n    return pdf\n")
    assert [f.line for f in lint_source(src, settings=ONLY_201)] == [4, 6]


def test_import_styles_resolve():
    for imp, name in [("from pyspark.sql import functions as F", "F.broadcast"),
                      ("import pyspark.sql.functions as func", "func.broadcast"),
                      ("from pyspark.sql.functions import broadcast, col, udf", "broadcast")]:
        a = Analyzer([])
        src = imp + "\n"
        a.run(ast.parse(src), Unit(Source(src), "t.py"))
        assert a.qualname(ast.parse(name, mode="eval").body) == "pyspark.sql.functions.broadcast", imp


def test_ipython_syntax_keeps_cell_line_numbers():
    code = cell_to_python("%matplotlib inline\n!pip list\nx?\ny = 1\n")
    assert code.python.splitlines()[3] == "y = 1" and code.line_offset == 0
    code = cell_to_python("%%sparklint --quiet\nz = 2\n")
    assert code.python == "z = 2\n" and code.line_offset == 1
    assert cell_to_python("%%sql\nSELECT 1").python is None


def test_non_ascii_columns_count_characters():
    src = "import pyspark\nnom = 'é'; pairs = sc.parallelize([(1, 2)]); c = pairs.groupByKey().mapValues(sum)\n"
    f = lint_source(src, settings=ONLY_201)[0]
    assert src.splitlines()[1][f.column - 1:].startswith("groupByKey")


def test_findings_are_immutable():
    import dataclasses

    import pytest

    f = lint_source("import pyspark\npairs = sc.parallelize([(1, 2)])\npairs.groupByKey().mapValues(sum)\n")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.line = 3  # type: ignore[misc]


def test_syntax_error_in_a_file_is_one_finding():
    found = lint_source("def f(:\n", "x.py")
    assert [(f.code, f.name, f.line) for f in found] == [("SPK000", "syntax-error", 1)]


def test_a_cell_too_deep_for_the_parser_is_one_spk000_and_the_others_are_linted():
    """CPython's parser raises MemoryError on very deep nesting; that is one SPK000, not a crash."""
    from sparkcoach.engine.lint import lint_cells, lint_source

    deep = "y = " + "-" * 200000 + "1\n"
    assert [f.code for f in lint_source(deep)] == ["SPK000"]
    found = lint_cells([deep, "rdd = sc.parallelize([(1, 2)])\ncounts = rdd.groupByKey().mapValues(sum)\n"])
    assert [(f.cell, f.code) for f in found] == [(0, "SPK000"), (1, "SPK201")]
