"""The JupyterLab extension's TypeScript unit tests (vitest, ``labextension/test/``), run from pytest
so that ``./dev test`` and CI run them: ``jlpm test`` in ``labextension/``; its output is shown when
it fails.  The npm packages are installed first when ``./dev test`` has not done it yet.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABEXT = ROOT / "labextension"
BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _jlpm(*args: str, timeout: float) -> subprocess.CompletedProcess:
    # the package scripts call jlpm by name: the venv's bin comes first on PATH
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", CI="true", NO_COLOR="1",
               FORCE_COLOR="0")
    env.setdefault("YARN_ENABLE_GLOBAL_CACHE", "true")
    return subprocess.run([str(BIN / "jlpm"), *args], cwd=LABEXT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def _output(proc: subprocess.CompletedProcess, lines: int = 150) -> str:
    text = ANSI.sub("", proc.stdout)
    return "\n".join(text.splitlines()[-lines:])


def test_typescript_unit_tests_pass():
    if not (LABEXT / "node_modules" / ".yarn-state.yml").is_file():
        install = _jlpm("install", timeout=900)
        if install.returncode != 0:
            pytest.fail(f"jlpm install failed in labextension/:\n{_output(install)}", pytrace=False)
    proc = _jlpm("test", timeout=600)
    out = _output(proc)
    if proc.returncode != 0:
        pytest.fail(f"jlpm test failed (exit {proc.returncode}):\n{out}", pytrace=False)
    # vitest's summary: at least one test file ran, and none failed
    assert re.search(r"Test Files\s+\d+ passed", out), out
    assert not re.search(r"\d+ failed", out), out
