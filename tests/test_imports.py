"""Importing sparkcoach and running `sparkcoach lint` never import pyspark (or start a JVM)."""

import subprocess
import sys

from conftest import ROOT

PROBE = """
import sys
from sparkcoach.cli import main
code = main(["lint", "--format", "json", {path!r}])
heavy = sorted(m for m in ("pyspark", "py4j", "pandas", "numpy", "pyarrow") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


def test_import_does_not_import_pyspark():
    out = subprocess.run([sys.executable, "-c", "import sparkcoach, sparkcoach.engine.lint, sys;"
                          "print('pyspark' in sys.modules, 'py4j' in sys.modules)"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_lint_cli_does_not_import_pyspark_on_files_and_notebooks():
    for path in (str(ROOT / "examples" / "first_steps.ipynb"), str(ROOT / "tests" / "fixtures")):
        out = subprocess.run([sys.executable, "-c", PROBE.format(path=path)], capture_output=True, text=True).stdout
        assert "HEAVY:\n" in out, out[-300:]


def test_registry_import_does_not_import_sqlglot():
    out = subprocess.run([sys.executable, "-c", "import sys; from sparkcoach import registry; registry.all_rules();"
                          "print('sqlglot' in sys.modules)"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
