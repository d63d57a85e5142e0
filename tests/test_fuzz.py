"""The engine never raises, whatever Python (or almost-Python) it is given."""

from __future__ import annotations

import os

import hypothesmith
from hypothesis import HealthCheck, given, settings, strategies as st

from sparkcoach.engine.lint import lint_cells, lint_source
from sparkcoach.engine.python import Analyzer

# Fragments of PySpark-looking code, glued together at random.
FRAGMENTS = [
    "df = spark.read.parquet('p')\n", "rdd = sc.parallelize([(1, 2)])\n", "x = df.collect()\n",
    "rdd.groupByKey().mapValues(sum)\n", "for r in df.collect():\n    print(r)\n",
    "if df.count() == 0:\n    pass\n", "df = df.withColumn('a', F.col('b'))\n",
    "small = spark.createDataFrame([(1,)])\n", "df.join(small, 'id')\n", "class A:\n    def m(self):\n        return self.rdd.map(lambda x: self.k)\n",
    "spark.sql(f'SELECT * FROM {t} WHERE x NOT IN (SELECT y FROM z)')\n", "w = Window.orderBy('x')\n",
    "df.cache()\n", "u = udf(lambda s: s.upper())\n", "with open('f') as fh:\n    pass\n", "lambda: (yield)\n",
    "async def f():\n    async for x in y:\n        await z\n", "x: DataFrame = df\n", "(a := df.count())\n",
    "del x\n", "try:\n    pass\nexcept E as e:\n    pass\n", "@udf('string')\ndef f(s):\n    return s.lower()\n",
    "match x:\n    case [a, *b]:\n        pass\n", "global g\n", "df.orderBy('a').groupBy('b').count()\n",
]

prog = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)


def _strict():
    Analyzer.strict = True  # rule bugs must surface as failures here


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prog)
def test_engine_never_raises_on_spark_like_code(src):
    _strict()
    lint_source(src, "fuzz.py")
    lint_cells([src, src], "fuzz.ipynb")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_engine_never_raises_on_arbitrary_text(src):
    _strict()
    lint_source(src, "fuzz.py")
    lint_cells([src, "%%sparklint\n" + src, "!" + src], "fuzz.ipynb")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8), st.data())
def test_engine_never_raises_on_mangled_code(parts, data):
    _strict()
    src = "".join(parts)
    if src:
        i = data.draw(st.integers(0, len(src) - 1))
        j = data.draw(st.integers(i, len(src)))
        src = src[:i] + data.draw(st.sampled_from(["", "(", ")", ":", "\n    ", "'", "lambda", "."])) + src[j:]
    lint_source(src, "fuzz.py")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_engine_never_raises_on_generated_python(src):
    """Syntactically valid programs from the Python grammar (hypothesmith)."""
    _strict()
    lint_source(src, "fuzz.py")
    lint_cells([src], "fuzz.ipynb")


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_engine_never_raises_on_generated_syntax_trees(src):
    """Programs built from random syntax trees (hypothesmith/libcst), covering every node type."""
    _strict()
    lint_source(src, "fuzz.py")
