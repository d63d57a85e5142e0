"""SPK701 has no fix; these check its messages and a notebook's %sql-free SET statements."""

import textwrap

from sparkcoach.engine.lint import Settings, lint_cells, lint_source


def _found(src: str):
    return lint_source(textwrap.dedent(src), settings=Settings(select=("SPK701",)))


def test_message_quotes_the_setting_and_suggests_alternatives():
    (f,) = _found('spark.conf.set("spark.sql.autoBroadcastJoinThreshold", -1)\n')
    assert '`spark.conf.set("spark.sql.autoBroadcastJoinThreshold", -1)`' in f.message
    assert "sort-merge" in f.message and "broadcast(small)" in f.message
    assert f.fix is None
    assert (f.line, f.column) == (1, 12)


def test_conf_loop_over_a_dict_is_reported_once():
    found = _found("""
    from pyspark.sql import SparkSession

    CONF = {"spark.sql.autoBroadcastJoinThreshold": "-1", "spark.sql.shuffle.partitions": "64"}
    builder = SparkSession.builder
    for key, value in CONF.items():
        builder = builder.config(key, value)
    """)
    assert [f.line for f in found] == [4]


def test_notebook_cells():
    found = lint_cells([
        "%%time\nspark.sql('SET spark.sql.autoBroadcastJoinThreshold = -1')",
        "%%sql\nSET spark.sql.autoBroadcastJoinThreshold=-1",
    ], settings=Settings(select=("SPK701",)))
    assert [(f.cell, f.line) for f in found] == [(0, 2)]
