"""``sparkcoach tutorial``: a notebook run headless by a real kernel with local Spark, its coaching
printed and written as HTML; bad input is one line and exit code 2."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import KERNEL_SPARK_SETUP
from sparkcoach import cli, tutorial

SPARKCOACH = Path(sys.executable).with_name("sparkcoach")
LINTED = """%%sparklint
pairs = sc.parallelize([("x", 1), ("y", 2), ("x", 5)], 2)
totals = sorted(pairs.groupByKey().mapValues(sum).collect())
totals"""


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(KERNEL_SPARK_SETUP + "\n%load_ext sparkcoach"),
                                         nbformat.v4.new_code_cell(LINTED)],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nbformat.write(nb, path)
    return path


@pytest.mark.spark
def test_without_a_display_the_tutorial_runs_headless_and_prints_the_coaching(tmp_path):
    nb = _notebook(tmp_path / "first.ipynb")
    before = hashlib.sha256(nb.read_bytes()).hexdigest()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([str(SPARKCOACH), "tutorial", str(nb)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "no display" in out and "the notebook runs here" in out
    assert "[2/2] %%sparklint" in out  # one progress line per code cell
    assert "IPKernelApp" not in out + proc.stderr and "log4j" not in out + proc.stderr  # kernel chatter kept out
    assert "jupyter lab " + str(nb) in out  # where to go next
    assert "code cell 2" in out and "SPK201" in out and "reduceByKey" in out, out
    html = tmp_path / "first.coaching.html"
    assert html.is_file(), out
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "SPK201" in page and "code cell 2" in page
    assert hashlib.sha256(nb.read_bytes()).hexdigest() == before  # the notebook itself is not changed


def test_reports_are_read_from_the_outputs_in_cell_order():
    report = {"findings": [{"code": "SPK201"}]}
    nb = {"cells": [{"cell_type": "markdown", "source": "x"},
                    {"cell_type": "code", "outputs": [{"output_type": "stream", "text": "hi"}]},
                    {"cell_type": "code", "outputs": [{"output_type": "display_data",
                                                       "data": {tutorial.MIME: report, "text/plain": "r"}}]}]}
    assert tutorial.reports(nb) == [(2, report)]
    assert tutorial.reports({"cells": []}) == []


@pytest.mark.parametrize("args, message", [
    (["tutorial", "missing.ipynb"], "no such notebook: missing.ipynb"),
    (["tutorial", "README.md"], "not a notebook (.ipynb): README.md"),
    (["tutorial", "--headless", "--lab"], "--headless and --lab exclude each other"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err == f"sparkcoach: error: {message}\n"


def test_a_failing_cell_is_one_line(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(tutorial.TutorialError, match=r"broken.ipynb: a cell failed: ZeroDivisionError"):
        tutorial.run_headless(path, tmp_path / "out.html")


@pytest.mark.e2e
def test_lab_flag_starts_jupyterlab_on_the_notebook_without_a_display(tmp_path):
    """`sparkcoach tutorial --lab` without a display: a real JupyterLab starts (as root too), opens no browser,
    and serves the notebook; it prints the URL to open."""
    import json
    import re
    import signal
    import time
    import urllib.request

    nb = _notebook(tmp_path / "first.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    for name in ("config", "data", "runtime"):  # no user configuration
        env[f"JUPYTER_{name.upper()}_DIR"] = str(tmp_path / name)
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(SPARKCOACH), "tutorial", str(nb), "--lab"], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        url = None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            m = re.search(r"open (http://127\.0\.0\.1:\d+/lab/tree/first\.ipynb\?token=\w+)", log.read_text())
            url = m.group(1) if m else None
            time.sleep(0.5)
        assert url, log.read_text()[-2000:]
        api = url.replace("/lab/tree/first.ipynb", "/api/contents/first.ipynb")
        while True:  # the URL is printed before JupyterLab listens
            try:
                with urllib.request.urlopen(api, timeout=30) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.5)
        assert body["type"] == "notebook" and body["name"] == "first.ipynb"
        with urllib.request.urlopen(url, timeout=30) as r:  # the page itself, with our token
            assert r.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
