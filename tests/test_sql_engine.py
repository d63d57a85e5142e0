"""The SQL-string engine: which ``.sql(...)`` calls are read, how the text is rebuilt, where findings
point, and how fixes are written back into the Python literal."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest

from sparkcoach.engine.lint import Settings, lint_cells, lint_source
from sparkcoach.fixes import apply_fixes

HEADER = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n"

CROSS = "SELECT a.x, b.y FROM a CROSS JOIN b"
STAR = "SELECT * FROM a JOIN b ON a.id = b.id"


def lint(src: str, select=("SPK6",)):
    return lint_source(textwrap.dedent(src), "t.py", settings=Settings(select=select))


def codes(src: str, select=("SPK6",)):
    return [(f.line, f.code) for f in lint(src, select)]


def fixed(src: str, code: str, unsafe: bool = True) -> str:
    src = textwrap.dedent(src)
    found = [f for f in lint_source(src, "t.py", settings=Settings(select=(code,))) if f.fix]
    out, applied = apply_fixes(src, found, unsafe=unsafe)
    assert applied, f"no {code} fix applied"
    return out


def sql_value(src: str, name: str = "q") -> str:
    """The string value a rewritten ``q = spark.sql(<literal>)`` passes to Spark (f-strings: evaluated)."""
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name:
            arg = node.value.args[0]
            ns = {"day": "2024-03-05", "t": "events", "year": 2024}
            return eval(compile(ast.Expression(arg), "<arg>", "eval"), ns)
    raise AssertionError("no assignment")


# ---------------------------------------------------------------------------- receivers
@pytest.mark.parametrize("receiver", [
    "spark", "self.spark", "spark_session", "self._spark", "SparkSession.builder.getOrCreate()",
    "SparkSession.getActiveSession()", "SparkSession.active()", "df.sparkSession", "sqlContext",
])
def test_session_receivers_are_read(receiver):
    src = HEADER + f"def f(self, df):\n    return {receiver}.sql({CROSS!r})\n"
    assert [c for _, c in codes(src)] == ["SPK603"]


def test_annotated_session_parameter():
    src = HEADER + f"def f(s: SparkSession):\n    return s.sql({CROSS!r})\n"
    assert [c for _, c in codes(src)] == ["SPK603"]


@pytest.mark.parametrize("receiver", ["duckdb", "con", "conn", "ctx", "session", "pl", "db", "engine", "cursor"])
def test_other_sql_receivers_are_silent(receiver):
    src = "import duckdb\nimport polars as pl\n" + HEADER + f"con = duckdb.connect()\n{receiver}.sql({CROSS!r})\n"
    assert codes(src) == []


def test_snowpark_session_is_silent():
    src = ("from snowflake.snowpark import Session\n"
           f"Session.builder.getOrCreate().sql({CROSS!r})\n"
           f"Session.builder.configs({{}}).create().sql({CROSS!r})\n")
    assert codes(src) == []


def test_name_bound_to_something_else_is_silent():
    src = HEADER + f"frame = spark.table('t')\nframe.sql({CROSS!r})\n"
    assert codes(src) == []


def test_code_that_never_mentions_spark_is_silent():
    assert codes(f"import duckdb\nss = duckdb.connect()\nss.sql({CROSS!r})\n") == []


# ---------------------------------------------------------------------------- the text
def test_fstring_fields_become_names_and_come_back_in_messages():
    src = HEADER + 'def f(a, b):\n    return spark.sql(f"SELECT * FROM {a} x JOIN {b} y ON x.id = y.id")\n'
    (f,) = lint(src)
    assert f.code == "SPK601"
    assert "`{a} x`" in f.message and "`{b} y`" in f.message


def test_fstring_field_inside_quotes_stays_a_string():
    src = HEADER + 'def f(day):\n    return spark.sql(f"SELECT * FROM t WHERE to_date(ts) = \'{day}\'")\n'
    (f,) = lint(src)
    assert f.code == "SPK605"
    assert "ts >= '{day}' AND ts < date_add('{day}', 1)" in f.message


def test_fstring_field_holding_a_clause_skips_the_query():
    # {on_clause} parses as an alias of b: the join condition is invisible to us
    src = HEADER + 'def f(on_clause):\n    return spark.sql(f"SELECT a.x, b.y FROM a JOIN b {on_clause}")\n'
    assert codes(src) == []


def test_keyword_arguments_formatted_by_spark():
    src = HEADER + 'def f(d1, d2):\n    return spark.sql("SELECT * FROM {l} JOIN {r} ON {l}.id = {r}.id", l=d1, r=d2)\n'
    (f,) = lint(src)
    assert f.code == "SPK601" and "`{l}`" in f.message


def test_implicit_concatenation_and_escapes():
    src = HEADER + 'q = spark.sql("SELECT a.x, b.y\\n"\n              "FROM a CROSS JOIN b")\n'
    assert codes(src) == [(3, "SPK603")]


@pytest.mark.parametrize("sql", [
    "SELEC * FROM",  # not SQL
    "SELECT * FROM a CROSS JOIN b WHERE (x = 1",  # unbalanced
    "OPTIMIZE events ZORDER BY (user_id)",  # Delta commands sqlglot does not know
    "SELECT 1; SELECT 2",  # spark.sql runs one statement
    "",
    "   ",
    "MSCK REPAIR TABLE events",
])
def test_unparseable_or_unsupported_sql_is_skipped(sql):
    src = HEADER + f"spark.sql({sql!r})\n"
    assert codes(src, select=()) == []


def test_trailing_semicolon_is_tolerated():
    src = HEADER + f"spark.sql({CROSS + ';'!r})\n"
    assert [c for _, c in codes(src)] == ["SPK603"]


def test_parameter_markers_parse():
    src = HEADER + "spark.sql('SELECT * FROM a JOIN b ON a.id = b.id WHERE a.day = :day', args={'day': '2024'})\n"
    assert [c for _, c in codes(src)] == ["SPK601"]


def test_a_name_bound_to_a_literal_is_read_at_its_definition():
    src = HEADER + f"q = {CROSS!r}\nspark.sql(q)\n"
    assert codes(src) == [(HEADER.count("\n") + 1, "SPK603")]


def test_non_literal_first_argument_is_not_read():
    src = HEADER + f"q = {CROSS!r}\nspark.sql(q.format())\nq2 = build()\nspark.sql(q2)\n"
    assert codes(src) == []


def test_a_literal_from_an_earlier_cell_is_not_mapped_into_this_one():
    from sparkcoach.engine.lint import lint_cells

    found = lint_cells([HEADER + f"q = {CROSS!r}\n", "spark.sql(q)\n"])
    assert [f.code for f in found] == []


# ---------------------------------------------------------------------------- where findings point
def test_finding_points_at_the_string_in_a_multiline_call():
    src = HEADER + textwrap.dedent(f"""\
        df = spark.sql(
            {CROSS!r},
        )
    """)
    (f,) = lint(src)
    assert (f.line, f.column) == (4, 5)
    assert (f.end_line, f.end_column) == (4, 5 + len(repr(CROSS)))


def test_finding_points_at_the_start_of_a_triple_quoted_string():
    src = HEADER + 'df = spark.sql(\n    """\n    SELECT a.x, b.y\n    FROM a CROSS JOIN b\n    """\n)\n'
    (f,) = lint(src)
    assert (f.line, f.end_line) == (4, 7)


def test_suppression_on_the_string_line():
    src = HEADER + f"spark.sql({CROSS!r})  # sparkcoach: ignore[SPK603]\n"
    assert codes(src) == []


def test_notebook_cells():
    found = lint_cells([HEADER, f"df = spark.sql({CROSS!r})"], settings=Settings(select=("SPK6",)))
    assert [(f.cell, f.line, f.code) for f in found] == [(1, 1, "SPK603")]


def test_rules_can_be_selected_one_by_one():
    src = HEADER + f"spark.sql('SELECT * FROM a CROSS JOIN b')\n"
    assert [c for _, c in codes(src, select=("SPK601",))] == ["SPK601"]
    assert [c for _, c in codes(src, select=("SPK603",))] == ["SPK603"]
    assert sorted(c for _, c in codes(src)) == ["SPK601", "SPK603"]
    assert codes(src, select=("SPK2",)) == []


# ---------------------------------------------------------------------------- fixes written back
def test_fix_in_a_single_quoted_python_string_escapes_quotes():
    src = HEADER + "q = spark.sql('SELECT * FROM events WHERE year(ts) = 2024')\n"
    out = fixed(src, "SPK605")
    assert "q = spark.sql('SELECT * FROM events WHERE ts >= \\'2024-01-01\\' AND ts < \\'2025-01-01\\'')" in out
    assert sql_value(out) == "SELECT * FROM events WHERE ts >= '2024-01-01' AND ts < '2025-01-01'"


def test_fix_after_escape_sequences_lands_on_the_right_characters():
    src = HEADER + 'q = spark.sql("SELECT *\\n\\tFROM events\\n\\tWHERE year(ts) = 2024 AND kind = \\"x\\"")\n'
    out = fixed(src, "SPK605")
    assert sql_value(out) == "SELECT *\n\tFROM events\n\tWHERE ts >= '2024-01-01' AND ts < '2025-01-01' AND kind = \"x\""


def test_fix_in_a_triple_quoted_string_keeps_the_layout():
    src = HEADER + textwrap.dedent('''\
        q = spark.sql("""
            SELECT user_id, count(*) AS n
            FROM (
                SELECT * FROM events
                ORDER BY ts
            ) e
            GROUP BY user_id
        """)
    ''')
    out = fixed(src, "SPK602", unsafe=False)
    assert "SELECT * FROM events\n    ) e" in out
    assert "ORDER BY" not in out


def test_fix_in_an_fstring_keeps_fields_and_doubles_braces():
    src = HEADER + 'def f(t, day):\n    q = spark.sql(f"SELECT * FROM {t} WHERE to_date(ts) = \'{day}\' AND m = \'{{}}\'")\n'
    out = fixed(src, "SPK605")
    assert "ts >= '{day}' AND ts < date_add('{day}', 1) AND m = '{{}}'" in out
    compile(out, "<fixed>", "exec")


def test_fix_moving_an_fstring_field_keeps_it():
    src = HEADER + 'def f(t, u):\n    q = spark.sql(f"SELECT * FROM {t} x WHERE x.id NOT IN (SELECT id FROM {u})")\n'
    out = fixed(src, "SPK604")
    assert 'f"SELECT * FROM {t} x WHERE NOT EXISTS (SELECT 1 FROM {u} WHERE {u}.id = x.id)"' in out


def test_fix_spanning_two_string_pieces_is_not_offered():
    src = HEADER + 'q = spark.sql("SELECT * FROM events WHERE year(ts) "\n              "= 2024")\n'
    (f,) = lint(src)
    assert f.code == "SPK605" and f.fix is None


def test_raw_string_fix_without_quotes_or_backslashes():
    src = HEADER + "q = spark.sql(r'SELECT * FROM logs WHERE substr(dt, 1, 4) = \"2024\"')\n"
    (f,) = lint(src)
    assert f.fix is None  # the replacement would need a quote the raw literal cannot hold
    src = HEADER + 'q = spark.sql(r"SELECT * FROM logs WHERE substr(dt, 1, 4) = \'2024\'")\n'
    out = fixed(src, "SPK605", unsafe=False)
    assert sql_value(out) == "SELECT * FROM logs WHERE dt LIKE '2024%'"


def test_same_predicate_written_twice_gets_no_fix():
    src = HEADER + 'q = spark.sql("SELECT * FROM a WHERE year(ts) = 2024 UNION ALL SELECT * FROM b WHERE year(ts) = 2024")\n'
    found = lint(src)
    assert [f.code for f in found] == ["SPK605", "SPK605"]
    assert all(f.fix is None for f in found)


# ---------------------------------------------------------------------------- import discipline
def test_registry_does_not_import_sqlglot():
    code = (
        "import sys\n"
        "from sparkcoach import registry\n"
        "rules = registry.all_rules()\n"
        "assert any(r.kind == 'sql' for r in rules)\n"
        "from sparkcoach.engine.lint import lint_source\n"
        "lint_source('x = 1\\n', 't.py')\n"
        "assert 'sqlglot' not in sys.modules, 'sqlglot imported'\n"
        "lint_source('spark.sql(\"SELECT 1\")\\n', 't.py')\n"
        "assert 'sqlglot' not in sys.modules, 'no rule could flag SELECT 1: nothing to parse'\n"
        "lint_source('spark.sql(\"SELECT * FROM a JOIN b ON a.id = b.id\")\\n', 't.py')\n"
        "assert 'sqlglot' in sys.modules\n"
        "assert 'pyspark' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_text_precheck_never_hides_a_finding(monkeypatch):
    """Skipping the parse of SQL no rule could flag must not change any result."""
    from pathlib import Path

    from sparkcoach.engine import sql as sql_engine

    root = Path(__file__).parent
    files = sorted((root / "fixtures" / "python").glob("SPK*.py")) + sorted((root / "corpus").glob("*.py")) + sorted(
        (root / "corpus_heldout").glob("*.py"))
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    with_check = {p: [f.to_dict() for f in lint_source(t, str(p))] for p, t in texts.items()}
    monkeypatch.setattr(sql_engine, "_may_apply", lambda rule, text: True)
    without = {p: [f.to_dict() for f in lint_source(t, str(p))] for p, t in texts.items()}
    assert with_check == without


def test_white_space_wrappers_are_seen_through():
    src = (HEADER + "import textwrap\nfrom textwrap import dedent\n"
           f"a = spark.sql(dedent({CROSS!r}))\n"
           f"b = spark.sql(textwrap.dedent({CROSS!r}).strip())\n"
           f"c = spark.sql(shout({CROSS!r}))\n")
    n = HEADER.count("\n")
    assert codes(src) == [(n + 3, "SPK603"), (n + 4, "SPK603")]
