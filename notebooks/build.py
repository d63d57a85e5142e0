"""Build the tutorial notebooks from their sources, run them, and save them with their outputs.

    .venv/bin/python notebooks/build.py [NAMES...]      # e.g. 01_first_steps; none: every source

Each ``notebooks/src/NN_name.py`` is a notebook in the "percent" format: ``# %%`` starts a
code cell, ``# %% [markdown]`` a Markdown cell (its lines are ``# ``-commented), and a first
line ``# teaches: SPK201, SPK205`` names the findings the notebook must show; optional ``# shows: TEXT``
lines after it name text some output must contain (for what is not a finding, such as
``%sparkcoach resources``). Both are saved in the notebook's metadata as
``"sparkcoach": {"teaches": [...], "shows": [...]}`` and checked by tests/test_notebooks.py.
The build writes ``notebooks/NN_name.ipynb``, executes it with nbclient (the venv's python3
kernel, in a temporary directory so nothing it writes lands in the repo, SPARK_LOCAL_IP=127.0.0.1)
and saves it with its outputs (widget views dropped: a saved notebook has no widget state).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from sparkcoach.tutorial import reports, run_notebook

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 240
_MARKER = re.compile(r"^# %%(?:\s+\[(\w+)\])?\s*$")
_TEACHES = re.compile(r"^# teaches:\s*(.+)$")
_SHOWS = re.compile(r"^# shows:\s*(.+?)\s*$")
# Spark's start-up chatter on stderr (JVM and log4j lines), dropped from saved outputs
_JVM_NOISE = re.compile(r"^(WARNING: Using incubator|Using Spark's default log4j|Setting default log level|"
                        r"To adjust logging level|\d\d/\d\d/\d\d \d\d:\d\d:\d\d WARN )")


def read_source(path: Path) -> nbformat.NotebookNode:
    """A percent-format source file as a notebook without outputs."""
    lines = path.read_text().splitlines()
    teaches: list[str] = []
    if lines and (m := _TEACHES.match(lines[0])):
        teaches = [c.strip() for c in m.group(1).split(",") if c.strip()]
        lines = lines[1:]
    shows: list[str] = []
    while lines and (m := _SHOWS.match(lines[0])):
        shows.append(m.group(1))
        lines = lines[1:]
    cells: list[tuple[str, list[str]]] = []
    for line in lines:
        m = _MARKER.match(line)
        if m:
            cells.append(("markdown" if m.group(1) == "markdown" else "code", []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"{path.name}: text before the first '# %%' cell: {line!r}")
    nb = nbformat.v4.new_notebook()
    for i, (kind, body) in enumerate(cells):
        text = "\n".join(body).strip("\n")
        if kind == "markdown":
            text = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in text.splitlines())
            cell = nbformat.v4.new_markdown_cell(text)
        else:
            cell = nbformat.v4.new_code_cell(text)
        cell.id = f"cell-{i}"
        nb.cells.append(cell)
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
        "sparkcoach": {"teaches": teaches, **({"shows": shows} if shows else {})},
    }
    return nb


def execute(nb: nbformat.NotebookNode, workdir: str | os.PathLike | None = None) -> float:
    """Run ``nb`` top to bottom in a fresh kernel (in place), as ``sparkcoach tutorial`` does (Spark on
    loopback, Python workers on the kernel's interpreter); returns the seconds it took."""
    with tempfile.TemporaryDirectory(prefix="sparkcoach-nb-") as tmp:
        start = time.perf_counter()
        run_notebook(nb, workdir or tmp, timeout=CELL_TIMEOUT)
        return time.perf_counter() - start


def clean_outputs(nb: nbformat.NotebookNode) -> None:
    """Drop widget views (no widget state is saved), execution timestamps and Spark's start-up chatter."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data and WIDGET_MIME in data:
                del data[WIDGET_MIME]
            if out.get("name") == "stderr":
                out.text = "".join(ln for ln in out.text.splitlines(True) if not _JVM_NOISE.match(ln))
                if not out.text.strip():
                    continue
            kept.append(out)
        if "outputs" in cell:
            cell.outputs = kept


def finding_codes(nb: nbformat.NotebookNode) -> set[str]:
    """Every finding code shown in the notebook's findings outputs."""
    return {f["code"] for p in findings_payloads(nb) for f in p.get("findings", [])}


def output_text(nb: nbformat.NotebookNode) -> str:
    """All the text the notebook's outputs show (streams and text/plain), for ``# shows:`` checks."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            elif "text/plain" in out.get("data", {}):
                parts.append(out["data"]["text/plain"])
    return "\n".join(parts)


def findings_payloads(nb: nbformat.NotebookNode) -> list[dict]:
    return [report for _, report in reports(nb)]


def build(name: str) -> float:
    src = SRC / f"{name}.py"
    if not src.is_file():
        raise SystemExit(f"build.py: no source {src.relative_to(HERE.parent)}")
    nb = read_source(src)
    seconds = execute(nb)
    clean_outputs(nb)
    nbformat.validate(nb)
    missing = set(nb.metadata["sparkcoach"]["teaches"]) - finding_codes(nb)
    text = output_text(nb)
    missing |= {f"text {t!r}" for t in nb.metadata["sparkcoach"].get("shows", []) if t not in text}
    out = HERE / f"{name}.ipynb"
    nbformat.write(nb, out)
    note = f"; MISSING {sorted(missing)}" if missing else ""
    print(f"{out.relative_to(HERE.parent)}: executed in {seconds:.0f} s{note}")
    return seconds


def main(argv: list[str]) -> int:
    names = [Path(a).stem for a in argv] or sorted(p.stem for p in SRC.glob("[0-9][0-9]_*.py"))
    for name in names:
        if not (SRC / f"{name}.py").is_file():
            print(f"build.py: no source notebooks/src/{name}.py", file=sys.stderr)
            return 2
    for name in names:
        build(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
