"""Immutable records the engine returns: findings, fixes and edits.

Lines and columns are 1-based; columns count characters (not bytes) and the
end column is exclusive, so a span covers ``line:column`` up to
``end_line:end_column``.  For notebooks, lines count within the cell.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Edit:
    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "replacement": self.replacement,
        }


@dataclass(frozen=True, slots=True)
class Fix:
    description: str
    safety: str  # "safe" | "unsafe"
    edits: tuple[Edit, ...]

    def to_dict(self) -> dict:
        return {
            "description": self.description,
            "safety": self.safety,
            "edits": [e.to_dict() for e in self.edits],
        }


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    cell: int | None = None
    fix: Fix | None = None
    doc: str = ""

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "cell": self.cell,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fix": self.fix.to_dict() if self.fix else None,
            "doc": self.doc,
        }

    def sort_key(self) -> tuple:
        return (self.path, -1 if self.cell is None else self.cell, self.line, self.column, self.code)
