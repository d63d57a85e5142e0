"""Applying fixes to a source text: non-overlapping, and never leaving code that does not parse."""

from __future__ import annotations

import ast
import warnings
from typing import Callable, Iterable

from .engine.source import Source
from .findings import Finding


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def fixable(findings: Iterable[Finding], unsafe: bool = False) -> list[Finding]:
    return [f for f in findings if f.fix is not None and f.fix.edits and (unsafe or f.fix.safety == "safe")]


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, repl in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + repl + text[end:]
    return text


def apply_fixes(text: str, findings: Iterable[Finding], *, unsafe: bool = False,
                parses: Callable[[str], bool] = _parses) -> tuple[str, list[Finding]]:
    """Apply the fixes of ``findings`` to ``text``; returns the new text and the findings fixed.

    Fixes are taken in source order.  Each edit is checked on its own: a fix whose
    edit overlaps an edit already taken is left out, except that an identical edit
    (the same import line two fixes both add) is shared.  A fix after which the text
    would not parse is left out too.
    """
    candidates = fixable(findings, unsafe)
    if not candidates or not parses(text):
        return text, []
    src = Source(text)

    def spans(f: Finding) -> list[tuple[int, int, str]]:
        return [(src.offset(e.line, e.column), src.offset(e.end_line, e.end_column), e.replacement)
                for e in f.fix.edits]  # type: ignore[union-attr]

    def clash(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
        if a == b:
            return False  # shared
        (s1, e1, _), (s2, e2, _) = a, b
        if s1 == e1 and s2 == e2:
            return s1 == s2  # two different insertions at one point: order would be arbitrary
        if s1 == e1:
            return s2 < s1 < e2
        if s2 == e2:
            return s1 < s2 < e1
        return s1 < e2 and s2 < e1

    taken: list[tuple[int, int, str]] = []
    applied: list[Finding] = []
    current = text
    for f in sorted(candidates, key=lambda f: min(s for s, _, _ in spans(f))):
        mine = spans(f)
        if any(clash(a, b) for a in mine for b in taken) or any(
                clash(a, b) for i, a in enumerate(mine) for b in mine[i + 1:]):
            continue
        trial_edits = taken + [e for e in mine if e not in taken]
        trial = _apply(text, trial_edits)
        if not parses(trial):
            continue
        taken = trial_edits
        current = trial
        applied.append(f)
    return current, applied
