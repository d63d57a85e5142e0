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
    except (SyntaxError, ValueError):
        return False


def fixable(findings: Iterable[Finding], unsafe: bool = False) -> list[Finding]:
    return [f for f in findings if f.fix is not None and f.fix.edits and (unsafe or f.fix.safety == "safe")]


def apply_fixes(text: str, findings: Iterable[Finding], *, unsafe: bool = False,
                parses: Callable[[str], bool] = _parses) -> tuple[str, list[Finding]]:
    """Apply the fixes of ``findings`` to ``text``; returns the new text and the findings fixed.

    Fixes are applied from the end of the text backwards; a fix that overlaps one
    already applied, or after which the text would not parse, is left out.
    """
    candidates = fixable(findings, unsafe)
    if not candidates:
        return text, []
    src = Source(text)

    def bounds(f: Finding) -> tuple[int, int]:
        starts = [src.offset(e.line, e.column) for e in f.fix.edits]  # type: ignore[union-attr]
        ends = [src.offset(e.end_line, e.end_column) for e in f.fix.edits]  # type: ignore[union-attr]
        return min(starts), max(ends)

    ordered = sorted(candidates, key=lambda f: bounds(f), reverse=True)
    applied: list[Finding] = []
    taken: list[tuple[int, int]] = []
    out = text
    if not parses(text):
        return text, []
    for f in ordered:
        lo, hi = bounds(f)
        if any(lo < t_hi and t_lo < hi or (lo == hi == t_lo) for t_lo, t_hi in taken):
            continue
        edits = sorted(f.fix.edits, key=lambda e: src.offset(e.line, e.column), reverse=True)  # type: ignore[union-attr]
        new = out
        ok = True
        prev_start = None
        for e in edits:
            s, t = src.offset(e.line, e.column), src.offset(e.end_line, e.end_column)
            if prev_start is not None and t > prev_start:
                ok = False
                break
            # Offsets stay valid: everything changed so far lies after ``hi``.
            new = new[:s] + e.replacement + new[t:]
            prev_start = s
        if not ok or not parses(new):
            continue
        out = new
        taken.append((lo, hi))
        applied.append(f)
    return out, applied
