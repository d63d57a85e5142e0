"""Notebook cells to Python: IPython's own input transformers, with the cell's line numbering kept."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

# Cell magics whose body is ordinary Python that runs in the user namespace.
PYTHON_BODY_MAGICS = {"sparklint", "time", "timeit", "capture", "prun", "debug"}


@dataclass(frozen=True)
class CellCode:
    python: str | None  # None: not Python (a %%bash or %%sql cell); skip it
    line_offset: int  # cell lines before ``python`` (the %%magic line)
    magic: str | None = None


@lru_cache(maxsize=1)
def _transformer():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _needs_ipython(text: str) -> bool:
    for line in text.splitlines():
        s = line.lstrip()
        if s[:1] in ("%", "!", "?") or s.endswith("?") or s.endswith("??"):
            return True
    return False


def cell_to_python(text: str) -> CellCode:
    """Turn a code cell's text into Python that ``ast.parse`` accepts, when it is Python.

    Lines of the result line up with the cell's own lines (plus ``line_offset``).
    """
    offset = 0
    magic = None
    stripped = text.lstrip("\n")
    if stripped.startswith("%%"):
        lead = len(text) - len(stripped)
        first, _, body = stripped.partition("\n")
        magic = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_BODY_MAGICS:
            return CellCode(None, 0, magic)
        offset = text[:lead].count("\n") + 1
        text = body
    if not _needs_ipython(text):
        return CellCode(text, offset, magic)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            python = _transformer().transform_cell(text)
    except Exception:
        return CellCode(text, offset, magic)  # let the parser report it
    if python.count("\n") > text.count("\n") + 1:
        # A transform folded lines into one (a nested cell magic): keep the original numbering.
        return CellCode(text, offset, magic)
    return CellCode(python, offset, magic)
