"""Positions in a source text: AST offsets to 1-based character columns, segments, suppressions."""

from __future__ import annotations

import ast
import bisect
import re

from ..findings import Edit

_IGNORE = re.compile(r"#\s*sparkcoach:\s*ignore(?:\[([A-Za-z0-9_,\s-]*)\])?", re.I)


class Source:
    """A source text with helpers to turn AST positions into finding coordinates."""

    __slots__ = ("text", "lines", "_ascii", "_suppress", "_starts")

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self._ascii = text.isascii()
        self._suppress: dict[int, frozenset[str] | None] | None = None
        self._starts: list[int] | None = None

    # -- columns -----------------------------------------------------------
    def char_col(self, lineno: int, byte_col: int) -> int:
        """0-based character column for an AST (UTF-8 byte) column."""
        if self._ascii or lineno < 1 or lineno > len(self.lines):
            return byte_col
        return len(self.lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> tuple[int, int, int, int]:
        """(line, column, end_line, end_column), 1-based, end exclusive."""
        line = node.lineno
        end_line = getattr(node, "end_lineno", None) or line
        col = self.char_col(line, node.col_offset)
        end_col_b = getattr(node, "end_col_offset", None)
        end_col = self.char_col(end_line, end_col_b) if end_col_b is not None else col
        return line, col + 1, end_line, end_col + 1

    def method_span(self, call: ast.Call) -> tuple[int, int, int, int]:
        """From the method name of ``recv.method(...)`` to the end of the call."""
        f = call.func
        if not isinstance(f, ast.Attribute):
            return self.span(call)
        _, _, line, end_of_attr = self.span(f)
        _, _, end_line, end_col = self.span(call)
        return line, end_of_attr - len(f.attr), end_line, end_col

    def attr_span(self, attr: ast.Attribute) -> tuple[int, int, int, int]:
        """Just the ``.name`` part of an attribute (without the dot)."""
        _, _, line, end = self.span(attr)
        return line, end - len(attr.attr), line, end

    # -- text --------------------------------------------------------------
    def _line_starts(self) -> list[int]:
        starts = self._starts
        if starts is None:
            starts = self._starts = [0]
            for x in self.lines:
                starts.append(starts[-1] + len(x))
        return starts

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based (line, column)."""
        starts = self._line_starts()
        return starts[min(line - 1, len(starts) - 1)] + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self._line_starts()
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    def segment(self, node: ast.AST) -> str:
        line, col, end_line, end_col = self.span(node)
        return self.text[self.offset(line, col) : self.offset(end_line, end_col)]

    def between(self, line: int, col: int, end_line: int, end_col: int) -> str:
        return self.text[self.offset(line, col) : self.offset(end_line, end_col)]

    def line_text(self, lineno: int) -> str:
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""

    def indent_of(self, lineno: int) -> str:
        text = self.line_text(lineno)
        return text[: len(text) - len(text.lstrip(" \t"))]

    # -- edits -------------------------------------------------------------
    def replace(self, node: ast.AST, replacement: str) -> Edit:
        return Edit(*self.span(node), replacement)

    def replace_range(self, start: ast.AST, end: ast.AST, replacement: str) -> Edit:
        """Replace from the start of ``start`` to the end of ``end``."""
        line, col, _, _ = self.span(start)
        _, _, end_line, end_col = self.span(end)
        return Edit(line, col, end_line, end_col, replacement)

    def insert_before_line(self, lineno: int, text: str) -> Edit:
        return Edit(lineno, 1, lineno, 1, text)

    # -- suppressions ------------------------------------------------------
    def suppressed(self, line: int, code: str) -> bool:
        if self._suppress is None:
            self._suppress = {}
            if "sparkcoach" in self.text:
                for i, text in enumerate(self.lines, 1):
                    if "#" in text:
                        m = _IGNORE.search(text)
                        if m:
                            codes = m.group(1)
                            self._suppress[i] = (
                                frozenset(c.strip().upper() for c in codes.split(",") if c.strip())
                                if codes is not None
                                else None
                            )
        if line not in self._suppress:
            return False
        codes = self._suppress[line]
        return codes is None or any(code.startswith(c) for c in codes)


def apply_edits(text: str, edits) -> str:
    """Apply non-overlapping edits (1-based, end exclusive) to ``text``."""
    src = Source(text)
    spans = sorted(
        ((src.offset(e.line, e.column), src.offset(e.end_line, e.end_column), e.replacement) for e in edits),
        reverse=True,
    )
    out = text
    last_start = None
    for start, end, repl in spans:
        if last_start is not None and end > last_start:
            raise ValueError("overlapping edits")
        out = out[:start] + repl + out[end:]
        last_start = start
    return out
