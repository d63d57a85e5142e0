"""Precision and recall of sparkcoach on the held-out corpus in tests/corpus_heldout/.

The held-out corpus was written independently of the rule implementations, their
fixtures and tests/corpus/.  Each genuine problem carries a label comment
``# expect: SPKnnn[, SPKnnn...]`` (or ``-- expect: ...`` right after the opening
quotes of a triple-quoted SQL string) on the line where the finding belongs.
Every unlabelled line must stay silent.  Findings and labels are compared on
(file, cell, line, code); SPK000 (syntax / internal) findings are ignored.

Run with ``-s`` to see the per-code table and the lists of mismatches.
"""
from __future__ import annotations

import ast
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from sparkcoach.engine.lint import lint_cells, lint_source
from sparkcoach.notebook import parse_notebook

CORPUS = Path(__file__).resolve().parent / "corpus_heldout"
LABEL = re.compile(r"(?:#|--)\s*expect:\s*(SPK\d{3}(?:\s*,\s*SPK\d{3})*)")
IGNORED = {"SPK000"}
MIN_PRECISION = 0.85
MIN_RECALL = 0.5

Key = tuple  # (file, cell or None, line, code)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".py", ".ipynb"))


def _labels(text: str, file: str, cell: int | None) -> set[Key]:
    out: set[Key] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        for m in LABEL.finditer(line):
            for code in re.split(r"\s*,\s*", m.group(1)):
                if code not in IGNORED:
                    out.add((file, cell, lineno, code))
    return out


def _code_cells(text: str) -> list[str]:
    return [src for _, src in parse_notebook(text).code_cells]


def evaluate() -> tuple[set[Key], set[Key]]:
    """(expected, found) over the whole held-out corpus."""
    expected: set[Key] = set()
    found: set[Key] = set()
    for path in corpus_files():
        name = path.name
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            expected |= _labels(text, name, None)
            found |= {(name, None, f.line, f.code) for f in lint_source(text, path=name)
                      if f.code not in IGNORED}
        else:
            sources = _code_cells(text)
            for i, src in enumerate(sources):
                expected |= _labels(src, name, i)
            found |= {(name, f.cell, f.line, f.code) for f in lint_cells(sources, path=name)
                      if f.code not in IGNORED}
    return expected, found


def _fmt(key: Key) -> str:
    file, cell, line, code = key
    where = f"{file}:{line}" if cell is None else f"{file}[cell {cell}]:{line}"
    return f"{code}  {where}"


def _report(expected: set[Key], found: set[Key]) -> tuple[int, int, int]:
    tp_keys = expected & found
    fp_keys = found - expected
    fn_keys = expected - found
    tp = Counter(k[3] for k in tp_keys)
    fp = Counter(k[3] for k in fp_keys)
    fn = Counter(k[3] for k in fn_keys)
    codes = sorted(set(tp) | set(fp) | set(fn))

    lines = ["", f"{'code':8s} {'TP':>4s} {'FP':>4s} {'FN':>4s} {'prec':>6s} {'recall':>6s}"]
    for c in codes:
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else float("nan")
        r = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else float("nan")
        lines.append(f"{c:8s} {tp[c]:4d} {fp[c]:4d} {fn[c]:4d} {p:6.2f} {r:6.2f}")
    T, F, N = len(tp_keys), len(fp_keys), len(fn_keys)
    P = T / (T + F) if T + F else 1.0
    R = T / (T + N) if T + N else 1.0
    lines.append(f"{'TOTAL':8s} {T:4d} {F:4d} {N:4d} {P:6.2f} {R:6.2f}")
    lines.append("")
    lines.append(f"False positives ({F}):")
    lines += ["  " + _fmt(k) for k in sorted(fp_keys, key=lambda k: (k[0], k[1] or 0, k[2], k[3]))]
    lines.append(f"False negatives ({N}):")
    lines += ["  " + _fmt(k) for k in sorted(fn_keys, key=lambda k: (k[0], k[1] or 0, k[2], k[3]))]
    print("\n".join(lines))
    return T, F, N


def test_corpus_is_well_formed():
    files = corpus_files()
    assert 10 <= len(files) <= 12
    assert sum(p.suffix == ".ipynb" for p in files) == 2
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        else:
            nb = json.loads(text)
            assert nb["nbformat"] == 4
            assert nb["metadata"]["kernelspec"]["language"] == "python"
            assert _code_cells(text)


def test_every_label_names_a_known_rule():
    expected, _found = evaluate()
    assert expected, "the held-out corpus has no labels"
    assert all(re.fullmatch(r"SPK[1-7]\d\d", k[3]) for k in expected)


def test_precision_and_recall(capsys):
    expected, found = evaluate()
    with capsys.disabled():
        T, F, N = _report(expected, found)
    precision = T / (T + F) if T + F else 1.0
    recall = T / (T + N) if T + N else 1.0
    assert precision >= MIN_PRECISION, f"precision {precision:.2f} < {MIN_PRECISION}"
    assert recall >= MIN_RECALL, f"recall {recall:.2f} < {MIN_RECALL}"
