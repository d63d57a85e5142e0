"""The command line: formats, exit codes, bad input, fixes on files and notebooks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sparkcoach.cli import main

BAD = """\
from pyspark import SparkContext
sc = SparkContext.getOrCreate()
pairs = sc.parallelize([("a", 1), ("b", 2)])
counts = pairs.groupByKey().mapValues(sum)
"""


def run(*args, cwd=None):
    """Run the real console entry point in a subprocess."""
    proc = subprocess.run([sys.executable, "-m", "sparkcoach", *args], capture_output=True, text=True, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def notebook(*cells, language="python"):
    nb = {"cells": [], "metadata": {"language_info": {"name": language}}, "nbformat": 4, "nbformat_minor": 5}
    for i, (kind, src) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"c{i}", "metadata": {"tags": ["keep"]}, "source": src.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=i + 1, outputs=[{"output_type": "stream", "name": "stdout", "text": ["hi ☃\n"]}])
        nb["cells"].append(cell)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def test_text_format_and_exit_code(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(BAD)
    code, out, err = run("lint", str(f))
    assert code == 1
    assert f"{f}:4:16: SPK201 " in out
    assert out.strip().endswith("(1 fixable with --fix).")
    assert err == ""


def test_clean_file_exits_zero(tmp_path):
    f = tmp_path / "ok.py"
    f.write_text("x = 1\n")
    assert run("lint", str(f))[0] == 0


def test_json_format_fields(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(BAD)
    code, out, _ = run("lint", "--format", "json", str(f))
    assert code == 1
    data = json.loads(out)
    assert len(data) == 1
    d = data[0]
    assert set(d) >= {"code", "name", "severity", "message", "path", "cell", "line", "column", "end_line",
                      "end_column", "fix", "doc"}
    assert (d["code"], d["name"], d["severity"], d["cell"]) == ("SPK201", "group-by-key", "warning", None)
    assert (d["line"], d["column"], d["end_line"], d["end_column"]) == (4, 16, 4, 43)
    assert d["fix"]["safety"] == "safe"
    assert d["fix"]["edits"] == [{"line": 4, "column": 16, "end_line": 4, "end_column": 43,
                                  "replacement": "reduceByKey(lambda a, b: a + b)"}]
    assert d["doc"] and "\n" not in d["doc"]


def test_sarif_format(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(BAD)
    code, out, _ = run("lint", "--format", "sarif", str(f))
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run0 = sarif["runs"][0]
    ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    res = run0["results"][0]
    assert res["ruleId"] == "SPK201" and ids[res["ruleIndex"]] == "SPK201"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 16, "endLine": 4, "endColumn": 43}
    assert res["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"].startswith("reduceByKey")


@pytest.mark.parametrize("setup, expect", [
    (lambda d: None, "no such file or directory"),
    (lambda d: (d / "x.py").write_bytes(b"x = '\xff\xfe'\n"), "not valid UTF-8"),
    (lambda d: (d / "x.ipynb").write_text('{"cells": [ {"cell_type": '), "not valid notebook JSON"),
    (lambda d: (d / "x.ipynb").write_text('{"no_cells": 1}'), "not a notebook"),
    (lambda d: (d / "x.txt").write_text('hello'), "not a .py file"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, setup, expect):
    setup(tmp_path)
    target = next(iter(sorted(tmp_path.iterdir())), tmp_path / "missing.py")
    code, out, err = run("lint", str(target))
    assert code == 2
    assert err.count("\n") == 1 and expect in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [["lint"], ["lint", "--format", "xml", "x.py"], ["rule", "SPK999"], [],
                                  ["lint", "--select", "XYZ", "x.py"]])
def test_usage_errors_are_one_line_exit_2(args, tmp_path):
    code, _, err = run(*args, cwd=tmp_path)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err


def test_notebook_with_ipython_syntax_reports_cell_lines(tmp_path):
    nb = tmp_path / "nb.ipynb"
    nb.write_text(notebook(
        ("markdown", "# title"),
        ("code", "%load_ext sparkcoach\n!ls\nfrom pyspark import SparkContext\nsc = SparkContext.getOrCreate()"),
        ("code", "pairs = sc.parallelize([('a', 1)])\npairs?\n%time x = 1\npairs.groupByKey().mapValues(sum)"),
        ("code", "%%sparklint --no-run\nfoo = 1\npairs.groupByKey().mapValues(len)"),
        ("code", "%%bash\necho groupByKey().mapValues(sum)"),
    ))
    code, out, _ = run("lint", "--format", "json", str(nb))
    assert code == 1
    got = sorted((d["cell"], d["line"], d["column"], d["code"]) for d in json.loads(out))
    # cells are numbered among code cells (0-based); lines within the cell
    assert got == [(1, 4, 7, "SPK201"), (2, 3, 7, "SPK201")]
    code, out, _ = run("lint", str(nb))
    assert f"{nb}[cell 2]:4:7: SPK201" in out


def test_syntax_error_in_one_cell_does_not_stop_the_others(tmp_path):
    nb = tmp_path / "nb.ipynb"
    nb.write_text(notebook(
        ("code", "from pyspark import SparkContext\nsc = SparkContext.getOrCreate()\npairs = sc.parallelize([])"),
        ("code", "def broken(:\n    pass"),
        ("code", "pairs.groupByKey().mapValues(sum)"),
    ))
    code, out, _ = run("lint", "--format", "json", str(nb))
    data = json.loads(out)
    assert [(d["cell"], d["code"]) for d in data] == [(1, "SPK000"), (2, "SPK201")]
    assert data[0]["name"] == "syntax-error" and data[0]["line"] == 1


def test_fix_notebook_changes_only_the_fixed_cell_source(tmp_path):
    nb = tmp_path / "nb.ipynb"
    original = notebook(
        ("markdown", "# Ünïcode stays"),
        ("code", "from pyspark import SparkContext\nsc = SparkContext.getOrCreate()\npairs = sc.parallelize([('a', 1)])"),
        ("code", "%time y = 2\ncounts = pairs.groupByKey().mapValues(sum)\ncounts.collect()"),
        ("code", "other = 1"),
    )
    nb.write_text(original, encoding="utf-8")
    code, out, err = run("lint", "--fix", "--select", "SPK201", str(nb))
    assert code == 0, out + err
    after = nb.read_text(encoding="utf-8")
    before_nb, after_nb = json.loads(original), json.loads(after)
    for i, (a, b) in enumerate(zip(before_nb["cells"], after_nb["cells"])):
        if i == 2:
            assert "".join(b["source"]) == ("%time y = 2\ncounts = pairs.reduceByKey(lambda a, b: a + b)\n"
                                             "counts.collect()")
            assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}
        else:
            assert a == b
    # Byte-identical outside the changed source lines.
    old_lines, new_lines = original.splitlines(), after.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    assert len(changed) == 1 and "reduceByKey" in new_lines[changed[0]]


def test_diff_prints_without_writing(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(BAD)
    code, out, _ = run("lint", "--diff", str(f))
    assert code == 1
    assert "-counts = pairs.groupByKey().mapValues(sum)" in out
    assert "+counts = pairs.reduceByKey(lambda a, b: a + b)" in out
    assert f.read_text() == BAD


def test_fix_writes_safe_fixes_and_keeps_unsafe_ones_unless_asked(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(BAD + "avg = pairs.groupByKey().mapValues(lambda vs: sum(vs) / len(vs))\n")
    code, out, err = run("lint", "--fix", str(f))
    text = f.read_text()
    assert "counts = pairs.reduceByKey(lambda a, b: a + b)" in text
    assert "avg = pairs.groupByKey()" in text  # unsafe: not applied
    assert code == 1 and "SPK201" in out  # what remains is reported
    code, out, err = run("lint", "--fix", "--unsafe-fixes", str(f))
    assert "aggregateByKey" in f.read_text() and code == 0


def test_a_fix_that_would_not_parse_is_never_written(tmp_path):
    from sparkcoach.findings import Edit, Finding, Fix
    from sparkcoach.fixes import apply_fixes

    src = "x = 1\ny = 2\n"
    bad = Finding("SPK201", "group-by-key", "warning", "m", "p", 1, 1, 1, 2,
                  fix=Fix("break it", "safe", (Edit(1, 1, 1, 2, "def ("),)))
    good = Finding("SPK201", "group-by-key", "warning", "m", "p", 2, 5, 2, 6,
                   fix=Fix("ok", "safe", (Edit(2, 5, 2, 6, "3"),)))
    out, applied = apply_fixes(src, [bad, good])
    assert out == "x = 1\ny = 3\n" and applied == [good]


def test_select_ignore_and_suppression_comments(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(BAD + "more = pairs.groupByKey().mapValues(len)  # sparkcoach: ignore[SPK201]\n"
                 "again = pairs.groupByKey().mapValues(max)  # sparkcoach: ignore\n"
                 "other = pairs.groupByKey().mapValues(min)  # sparkcoach: ignore[SPK101]\n")
    code, out, _ = run("lint", "--format", "json", str(f))
    assert [d["line"] for d in json.loads(out)] == [4, 7]
    assert run("lint", "--ignore", "SPK2", str(f))[0] == 0
    assert run("lint", "--select", "SPK1", str(f))[0] == 0
    assert run("lint", "--select", "SPK201", str(f))[0] == 1


def test_pyproject_settings_apply(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.sparkcoach]\nignore = ["SPK201"]\n')
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "job.py").write_text(BAD)
    assert run("lint", str(pkg))[0] == 0
    assert run("lint", "--no-config", str(pkg))[0] == 1
    (tmp_path / "pyproject.toml").write_text('[tool.sparkcoach\n')
    code, _, err = run("lint", str(pkg))
    assert code == 2 and "invalid TOML" in err and err.count("\n") == 1


def test_directories_recurse_into_py_and_ipynb(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "job.py").write_text(BAD)
    (tmp_path / "a" / "nb.ipynb").write_text(notebook(("code", BAD)))
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "skip.py").write_text(BAD)
    code, out, _ = run("lint", "--format", "json", str(tmp_path))
    paths = sorted(Path(d["path"]).name for d in json.loads(out))
    assert paths == ["job.py", "nb.ipynb"]


def test_non_python_notebooks_are_skipped(tmp_path):
    nb = tmp_path / "scala.ipynb"
    nb.write_text(notebook(("code", "val x = sc.parallelize(1 to 10)"), language="scala"))
    assert run("lint", str(nb))[0] == 0


def test_rules_and_rule_commands():
    code, out, _ = run("rules")
    assert code == 0 and "SPK201  group-by-key" in out
    code, out, _ = run("rule", "SPK201")
    assert code == 0 and "## What it does" in out and "reduceByKey" in out
    assert run("rule", "group-by-key")[1] == out


def test_main_in_process_returns_exit_codes(tmp_path, capsys):
    f = tmp_path / "job.py"
    f.write_text(BAD)
    assert main(["lint", str(f)]) == 1
    assert main(["lint", str(tmp_path / "nope.py")]) == 2


DATABRICKS = """# Databricks notebook source
# MAGIC %md
# MAGIC # Word counts

# COMMAND ----------

%pip install networkx

# COMMAND ----------

from pyspark import SparkContext
sc = SparkContext.getOrCreate()
pairs = sc.parallelize([("a", 1)])
counts = pairs.groupByKey().mapValues(sum)

# COMMAND ----------

def broken(:
    pass

# COMMAND ----------

more = pairs.groupByKey().mapValues(len)
"""


def test_databricks_exports_are_linted_cell_by_cell_in_file_lines(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(DATABRICKS)
    code, out, _ = run("lint", "--format", "json", str(f))
    got = [(d["line"], d["code"], d["cell"]) for d in json.loads(out)]
    assert got == [(14, "SPK201", None), (18, "SPK000", None), (23, "SPK201", None)]


def test_fix_applies_to_databricks_exports_with_magics(tmp_path):
    f = tmp_path / "job.py"
    f.write_text(DATABRICKS.replace("def broken(:\n", "def fine():\n"))
    code, out, err = run("lint", "--fix", "--select", "SPK201", str(f))
    text = f.read_text()
    assert "counts = pairs.reduceByKey(lambda a, b: a + b)" in text
    assert "%pip install networkx" in text and code == 0, out + err


def test_scripts_with_ipython_syntax_are_read(tmp_path):
    f = tmp_path / "analysis.py"
    f.write_text("# %%\n%matplotlib inline\n!ls\nimport pyspark\npairs = sc.parallelize([(1, 2)])\n"
                 "pairs.groupByKey().mapValues(sum)\n")
    code, out, _ = run("lint", "--format", "json", str(f))
    assert [(d["line"], d["code"]) for d in json.loads(out)] == [(6, "SPK201")]


def test_nbformat_3_notebooks_are_read(tmp_path):
    nb = {"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": ["# v3"]},
        {"cell_type": "code", "language": "python", "input": ["import pyspark\n", "pairs = sc.parallelize([(1, 2)])"],
         "outputs": []},
        {"cell_type": "code", "language": "python", "input": ["pairs.groupByKey().mapValues(sum)"], "outputs": []},
    ]}]}
    f = tmp_path / "old.ipynb"
    f.write_text(json.dumps(nb))
    code, out, _ = run("lint", "--format", "json", str(f))
    assert code == 1 and [(d["cell"], d["line"], d["code"]) for d in json.loads(out)] == [(1, 1, "SPK201")]
    before = f.read_text()
    code, out, err = run("lint", "--fix", str(f))
    assert f.read_text() == before and "nbformat 3" in err and err.count("\n") == 1
