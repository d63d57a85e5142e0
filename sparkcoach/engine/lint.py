"""The engine's public API: lint a source string, a notebook's cells, or files."""

from __future__ import annotations

import ast
import functools
import gc
import warnings
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from .. import registry
from ..findings import Finding
from .cells import _needs_ipython, cell_to_python
from .python import Analyzer, Unit
from .source import Source


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def _analyzer(settings: Settings | None) -> Analyzer:
    settings = settings or Settings()
    rules = registry.selected(settings.select, settings.ignore)
    py = [r for r in rules if r.kind == "python"]
    sql = [r for r in rules if r.kind == "sql"]
    return Analyzer(py, sql)


def _syntax_error(exc: SyntaxError, unit: Unit, settings: Settings | None) -> list[Finding]:
    code, name, severity = registry.SYNTAX_ERROR
    if settings and ((settings.select and not any(code.startswith(s) for s in settings.select))
                     or any(code.startswith(i) for i in settings.ignore)):
        return []
    line = (exc.lineno or 1) + unit.line_offset
    col = max(exc.offset or 1, 1)
    msg = exc.msg if hasattr(exc, "msg") else str(exc)
    return [Finding(code, name, severity, f"Syntax error: {msg}", unit.path, line, col, line, col + 1,
                    cell=unit.cell, doc="The code does not parse, so it was not checked.")]


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like
        try:
            return ast.parse(text)
        except (MemoryError, RecursionError):
            # CPython's parser gives up on very deep nesting (e.g. "-" * 200000 + "1")
            raise SyntaxError("too deeply nested for Python's parser") from None


def _no_gc(fn):
    """The AST is tens of thousands of objects: collecting garbage mid-walk only costs time."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


@_no_gc
def lint_source(source: str, path: str = "<string>", *, cell: int | None = None,
                settings: Settings | None = None) -> list[Finding]:
    """Lint one Python source (a file, or one cell's Python given as a string)."""
    analyzer = _analyzer(settings)
    unit = Unit(Source(source), path, cell)
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError) as exc:
        if isinstance(exc, SyntaxError):
            return _syntax_error(exc, unit, settings)
        return []
    analyzer.run(tree, unit)
    return sorted(analyzer.finish(), key=Finding.sort_key)


@_no_gc
def lint_cells(cells: Sequence[str], path: str = "<notebook>", *, settings: Settings | None = None,
               cell_ids: Sequence[int] | None = None) -> list[Finding]:
    """Lint a notebook's code cells in order; later cells see names defined in earlier ones.

    ``cells`` hold each code cell's text (IPython syntax allowed); findings carry the
    0-based index among code cells (or ``cell_ids[i]``) and lines within the cell.
    """
    ids = cell_ids if cell_ids is not None else range(len(cells))
    return _lint_pieces([(index, 0, text) for index, text in zip(ids, cells)], path, settings)


def _lint_pieces(pieces, path: str, settings: Settings | None) -> list[Finding]:
    """Lint (cell, lines before it, text) pieces in order with one analyzer: later pieces see the
    names earlier ones defined; a piece that does not parse gives one SPK000 and is skipped."""
    analyzer = _analyzer(settings)
    out: list[Finding] = []
    for cell, offset, text in pieces:
        code = cell_to_python(text)
        if code.python is None:
            continue
        unit = Unit(Source(code.python), path, cell, offset + code.line_offset)
        try:
            tree = _parse(code.python)
        except SyntaxError as exc:
            out.extend(_syntax_error(exc, unit, settings))
            continue
        except ValueError:
            continue
        analyzer.run(tree, unit)
    out.extend(analyzer.finish())
    return sorted(out, key=Finding.sort_key)


def lint_cell(text: str, *, cell: int | None = None, previous: Iterable[str] = (), path: str = "<cell>",
              settings: Settings | None = None) -> list[Finding]:
    """Lint one cell (IPython syntax allowed), seeing names that ``previous`` cells defined."""
    prev = list(previous)
    found = lint_cells(prev + [text], path, settings=settings)
    return [replace(f, cell=cell) for f in found if f.cell == len(prev)]


DATABRICKS_HEADER = "# Databricks notebook source"
_COMMAND = "# COMMAND ----------"


def _chunks(text: str) -> list[tuple[int, str]] | None:
    """A Databricks notebook export: its cells as (lines before the cell, cell text); else None."""
    if not text.lstrip("\ufeff").startswith(DATABRICKS_HEADER):
        return None
    out: list[tuple[int, str]] = []
    start, buf = 0, []
    for i, line in enumerate(text.splitlines(keepends=True)):
        if line.strip() == _COMMAND:
            out.append((start, "".join(buf)))
            start, buf = i + 1, []
        else:
            buf.append(line)
    out.append((start, "".join(buf)))
    return out


@_no_gc
def lint_file_source(text: str, path: str = "<file>", *, settings: Settings | None = None) -> list[Finding]:
    """Lint a ``.py`` file: plain Python; a Databricks notebook export (cells split on
    ``# COMMAND ----------``, each may use IPython syntax, one ``SPK000`` per broken cell);
    or a script with IPython syntax (``%pip``, ``!ls``: Jupytext and exported notebooks).
    Lines are the file's own."""
    chunks = _chunks(text)
    if chunks is None:
        try:
            _parse(text)
        except SyntaxError:
            if _needs_ipython(text):
                chunks = [(0, text)]
        except ValueError:
            pass
    if chunks is None:
        return lint_source(text, path, settings=settings)
    return _lint_pieces([(None, start, chunk) for start, chunk in chunks], path, settings)


def file_source_parses(text: str) -> bool:
    """Whether a ``.py`` file parses the way :func:`lint_file_source` reads it."""
    chunks = _chunks(text)
    if chunks is None:
        try:
            _parse(text)
            return True
        except (SyntaxError, ValueError):
            if not _needs_ipython(text):
                return False
            chunks = [(0, text)]
    for _, chunk in chunks:
        code = cell_to_python(chunk)
        if code.python is None:
            continue
        try:
            _parse(code.python)
        except (SyntaxError, ValueError):
            return False
    return True
