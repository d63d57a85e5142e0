"""SPK503 has no fix (only the user knows the columns); its messages name the read and the path."""

import textwrap

from sparkcoach.engine.lint import Settings, lint_cells, lint_source

ONLY = Settings(select=("SPK503",))


def _lint(src: str):
    return lint_source(textwrap.dedent(src), "t.py", settings=ONLY)


def test_csv_message_names_the_call_the_path_and_a_schema():
    [f] = _lint("""
    orders = spark.read.csv("s3://lake/orders.csv", header=True, inferSchema=True)
    """)
    assert f.fix is None
    assert f.message.startswith('`spark.read.csv("s3://lake/orders.csv", header=True, inferSchema=True)` infers the '
                                'schema: an extra pass over `s3://lake/orders.csv`')
    assert '.schema("col1 STRING, col2 INT")' in f.message and "Parquet" in f.message
    assert (f.line, f.column) == (2, 21)


def test_path_held_in_a_constant_is_named():
    [f] = _lint("""
    CLICKS = "s3://lake/clicks/"
    clicks = spark.read.json(CLICKS)
    """)
    assert "`s3://lake/clicks/`" in f.message and "has no schema" in f.message


def test_the_last_inferschema_option_wins():
    assert _lint("""
    df = spark.read.option("inferSchema", "true").option("inferSchema", "false").csv("x.csv")
    """) == []
    assert len(_lint("""
    df = spark.read.option("inferSchema", "false").csv("x.csv", inferSchema=True)
    """)) == 1


def test_reader_kept_in_a_variable_across_notebook_cells():
    cells = [
        "reader = spark.read.format('csv').option('header', 'true').option('inferSchema', 'true')",
        "df = reader.load('s3://lake/a.csv')",
    ]
    [f] = lint_cells(cells, settings=ONLY)
    assert (f.cell, f.line) == (1, 1)


def test_streaming_reads_are_left_alone():
    assert _lint("""
    events = spark.readStream.format("json").load("s3://lake/in/")
    rows = spark.readStream.option("inferSchema", "true").csv("s3://lake/csv/")
    """) == []
