"""The tutorial notebooks: each runs top to bottom in a real kernel and shows the findings it teaches.

Every committed ``notebooks/NN_name.ipynb`` is executed afresh (outputs cleared) with nbclient,
as ``notebooks/build.py`` does, two notebooks at a time (each in its own kernel and temporary folder).  Then: no cell errored; every code in the notebook's
``metadata.sparkcoach.teaches`` is a finding in some findings bundle; some measurement found the
rewrite returns the same result (in a notebook that measures); every ``# shows:`` text is in some
output; and the committed copy shows the same finding codes as the fresh
run (a stale committed notebook fails here: regenerate with ``.venv/bin/python notebooks/build.py``).
"""

from __future__ import annotations

import importlib.util
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from sparkcoach.tutorial import clear_outputs

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", ROOT / "notebooks" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def test_every_source_has_its_committed_notebook():
    sources = sorted(p.stem for p in build.SRC.glob("[0-9][0-9]_*.py"))
    assert sources, "no notebook sources in notebooks/src"
    assert sources == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source(path):
    committed = nbformat.read(path, as_version=4)
    fresh = build.read_source(build.SRC / f"{path.stem}.py")
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in fresh.cells], \
        f"{path.name} is stale: run .venv/bin/python notebooks/build.py {path.stem}"
    assert committed.metadata["sparkcoach"] == fresh.metadata["sparkcoach"]
    assert fresh.metadata["sparkcoach"]["teaches"], f"{path.stem}: no '# teaches:' line"


def _measurements(nb) -> list[dict]:
    return [m for p in build.findings_payloads(nb) for m in p.get("measurements", [])]


RUNS_AT_ONCE = 2  # notebooks executed side by side: much of each one's time is kernel and JVM start-up


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory) -> dict:
    """The notebooks the session selected, each executed afresh (outputs cleared), two at a time:
    {path: (executed notebook, seconds, the exception a cell raised or None)}."""
    wanted = [item.callspec.params["path"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_notebook_runs_and_shows_what_it_teaches"]

    def run(path: Path):
        nb = nbformat.read(path, as_version=4)
        clear_outputs(nb)
        start = time.perf_counter()
        try:  # allow_errors=False: a cell that raises ends the run, naming the cell
            build.execute(nb, tmp_path_factory.mktemp(path.stem))
        except Exception as exc:  # reported by that notebook's own test
            return nb, time.perf_counter() - start, exc
        return nb, time.perf_counter() - start, None

    order = sorted(set(wanted), reverse=True)  # the last ones (a cluster, Spark Connect) run longest: start them first
    with ThreadPoolExecutor(RUNS_AT_ONCE) as pool:
        return dict(zip(order, pool.map(run, order)))


@pytest.mark.spark
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_what_it_teaches(path, executed, capsys):
    committed = nbformat.read(path, as_version=4)
    nb, seconds, failure = executed[path]
    with capsys.disabled():
        print(f"\n{path.name}: executed in {seconds:.0f} s (next to another notebook)")
    if failure is not None:
        raise failure

    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    teaches = set(nb.metadata["sparkcoach"]["teaches"])
    shown = build.finding_codes(nb)
    assert teaches <= shown, f"{path.name}: findings {sorted(teaches - shown)} not shown (shown: {sorted(shown)})"
    text = build.output_text(nb)
    for expected in nb.metadata["sparkcoach"].get("shows", []):
        assert expected in text, f"{path.name}: no output shows {expected!r}"
    measures = any("--measure" in c.source for c in nb.cells if c.cell_type == "code")
    measured = _measurements(nb)
    if measures:
        assert any(m.get("same_result") is True for m in measured), measured
    committed_codes = build.finding_codes(committed)
    assert teaches <= committed_codes, f"{path.name}: the committed copy lacks {sorted(teaches - committed_codes)}"
    # Rules over the code (SPKx01-x49) must agree exactly; runtime ones (skew, spill) may vary with the machine.
    static_committed, static_shown = _static(committed_codes), _static(shown)
    assert static_committed == static_shown, (
        f"{path.name}: committed outputs show {sorted(static_committed)}, a fresh run {sorted(static_shown)}; "
        f"regenerate with .venv/bin/python notebooks/build.py {path.stem}")
    if measures:
        assert any(m.get("same_result") is True for m in _measurements(committed))


def _static(codes: set[str]) -> set[str]:
    return {c for c in codes if int(c[-2:]) < 50}
