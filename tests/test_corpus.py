"""Precision and recall of the whole rule set on the hand-labelled corpus in tests/corpus/.

Each genuine problem in the corpus carries ``# expect: SPKnnn[, SPKnnn...]`` (or ``-- expect: ...``
right after the opening quotes of a triple-quoted SQL string) on the line where the finding belongs;
see tests/corpus/README.md.  Run with ``-s`` to see the per-code table and the mismatches.
"""
from __future__ import annotations

import ast
import json
import re
from collections import Counter
from pathlib import Path

from sparkcoach.engine.lint import lint_cells, lint_source
from sparkcoach.notebook import parse_notebook

CORPUS = Path(__file__).resolve().parent / "corpus"
LABEL = re.compile(r"(?:#|--)\s*expect:\s*(SPK\d{3}(?:\s*,\s*SPK\d{3})*)")
IGNORED = {"SPK000"}
# A finding of the key code on a line whose labels contain the value code (and not the key itself)
# is neither a true nor a false positive: e.g. `for row in big.collect():` is a driver round trip
# (SPK103) and also, literally, a collect to the driver (SPK101).
TOLERATED = {"SPK101": "SPK103"}
MIN_PRECISION = 0.9
MIN_RECALL = 0.6

Key = tuple  # (file, cell or None, line, code)


def _labels(text: str, file: str, cell: int | None) -> set[Key]:
    out = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        for m in LABEL.finditer(line):
            for code in re.split(r"\s*,\s*", m.group(1)):
                out.add((file, cell, lineno, code))
    return out


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".py", ".ipynb"))


def evaluate() -> tuple[set[Key], set[Key]]:
    """Return (expected, found) over the whole corpus."""
    expected: set[Key] = set()
    found: set[Key] = set()
    for path in corpus_files():
        name = path.name
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            expected |= _labels(text, name, None)
            findings = lint_source(text, path=name)
            found |= {(name, None, f.line, f.code) for f in findings if f.code not in IGNORED}
        else:
            sources = [src for _, src in parse_notebook(text).code_cells]
            for i, src in enumerate(sources):
                expected |= _labels(src, name, i)
            findings = lint_cells(sources, path=name)
            found |= {(name, f.cell, f.line, f.code) for f in findings if f.code not in IGNORED}
    return expected, found


def score(expected: set[Key], found: set[Key]):
    expected_lines = {}
    for file, cell, line, code in expected:
        expected_lines.setdefault((file, cell, line), set()).add(code)
    tp = expected & found
    fn = expected - found
    fp = set()
    for key in found - expected:
        file, cell, line, code = key
        here = expected_lines.get((file, cell, line), set())
        if code in TOLERATED and TOLERATED[code] in here:
            continue
        fp.add(key)
    return tp, fp, fn


def _where(key: Key) -> str:
    file, cell, line, code = key
    return f"{file}{'' if cell is None else f'[cell {cell}]'}:{line} {code}"


def report(tp: set[Key], fp: set[Key], fn: set[Key]) -> str:
    codes = sorted({k[3] for k in tp | fp | fn})
    c_tp, c_fp, c_fn = (Counter(k[3] for k in s) for s in (tp, fp, fn))

    def ratio(a, b):
        return f"{a / b:.2f}" if b else "  - "

    lines = [f"{'code':<8} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6}"]
    for code in codes:
        t, p, n = c_tp[code], c_fp[code], c_fn[code]
        lines.append(f"{code:<8} {t:>4} {p:>4} {n:>4} {ratio(t, t + p):>6} {ratio(t, t + n):>6}")
    t, p, n = len(tp), len(fp), len(fn)
    lines.append(f"{'TOTAL':<8} {t:>4} {p:>4} {n:>4} {ratio(t, t + p):>6} {ratio(t, t + n):>6}")
    if fp:
        lines.append("false positives:")
        lines += [f"  {_where(k)}" for k in sorted(fp, key=_sort)]
    if fn:
        lines.append("false negatives:")
        lines += [f"  {_where(k)}" for k in sorted(fn, key=_sort)]
    return "\n".join(lines)


def _sort(key: Key):
    file, cell, line, code = key
    return (file, -1 if cell is None else cell, line, code)


def test_corpus_is_well_formed():
    files = corpus_files()
    assert len(files) >= 10
    n_labels = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, filename=path.name)
            n_labels += len(_labels(text, path.name, None))
        else:
            data = json.loads(text)
            assert data["nbformat"] == 4
            assert data["metadata"]["kernelspec"]["language"] == "python"
            for i, (_, src) in enumerate(parse_notebook(text).code_cells):
                n_labels += len(_labels(src, path.name, i))
    assert n_labels >= 40


def test_corpus_precision_and_recall(capsys):
    expected, found = evaluate()
    tp, fp, fn = score(expected, found)
    table = report(tp, fp, fn)
    with capsys.disabled():
        print("\n" + table)
    precision = len(tp) / (len(tp) + len(fp)) if tp or fp else 1.0
    recall = len(tp) / (len(tp) + len(fn)) if tp or fn else 1.0
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL, (
        f"precision {precision:.2f} (min {MIN_PRECISION}), recall {recall:.2f} (min {MIN_RECALL})"
    )
