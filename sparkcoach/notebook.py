"""Reading notebooks and writing back changed cell sources, leaving every other byte as it was."""

from __future__ import annotations

import json
from dataclasses import dataclass


class NotebookError(ValueError):
    pass


@dataclass
class Notebook:
    text: str  # the file's text, as read
    data: dict
    code_cells: list[tuple[int, str]]  # (index in nb["cells"], source) for each code cell
    language: str | None
    nbformat: int = 4


def _source(cell: dict, key: str = "source") -> str:
    src = cell.get(key, "")
    if isinstance(src, list):
        if not all(isinstance(s, str) for s in src):
            raise NotebookError("a cell's source is not a list of strings")
        return "".join(src)
    if not isinstance(src, str):
        raise NotebookError("a cell's source is not text")
    return src


def parse_notebook(text: str) -> Notebook:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not valid notebook JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if isinstance(data, dict) and "cells" not in data and isinstance(data.get("worksheets"), list):
        return _parse_v3(text, data)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook (no 'cells' list)")
    cells = []
    for i, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {i} is not an object")
        if cell.get("cell_type") == "code":
            cells.append((i, _source(cell)))
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    lang = None
    for key in ("language_info", "kernelspec"):
        info = meta.get(key)
        if isinstance(info, dict):
            lang = info.get("name") if key == "language_info" else info.get("language")
            if lang:
                break
    return Notebook(text, data, cells, lang.lower() if isinstance(lang, str) else None)


def _parse_v3(text: str, data: dict) -> Notebook:
    """nbformat 3: cells live in ``worksheets[*].cells`` and code is under ``input`` (read only)."""
    cells = []
    index = 0
    for ws in data["worksheets"]:
        if not isinstance(ws, dict) or not isinstance(ws.get("cells", []), list):
            raise NotebookError("not a notebook (malformed 'worksheets')")
        for cell in ws.get("cells", []):
            if not isinstance(cell, dict):
                raise NotebookError(f"cell {index} is not an object")
            if cell.get("cell_type") == "code":
                cells.append((index, _source(cell, "input")))
            index += 1
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    lang = meta.get("language") or ("python" if any(
        isinstance(c, dict) and c.get("language") == "python" for ws in data["worksheets"] for c in ws.get("cells", []))
        else None)
    return Notebook(text, data, cells, lang.lower() if isinstance(lang, str) else None, nbformat=3)


# --- locating cell sources in the raw text --------------------------------------------

class _Scanner:
    """A minimal JSON scanner recording where each ``cells[i].source`` value starts and ends."""

    def __init__(self, text: str):
        self.t = text
        self.spans: dict[int, tuple[int, int]] = {}

    def ws(self, i: int) -> int:
        t = self.t
        while i < len(t) and t[i] in " \t\r\n":
            i += 1
        return i

    def value(self, i: int, path: tuple) -> int:
        i = self.ws(i)
        c = self.t[i]
        if c == "{":
            i = self.ws(i + 1)
            if self.t[i] == "}":
                return i + 1
            while True:
                i = self.ws(i)
                key_start = i
                i = self.string(i)
                key = json.loads(self.t[key_start:i])
                i = self.ws(i)
                assert self.t[i] == ":"
                start = self.ws(i + 1)
                i = self.value(start, path + (key,))
                if len(path) == 2 and path[0] == "cells" and key == "source":
                    self.spans[path[1]] = (start, i)
                i = self.ws(i)
                if self.t[i] == ",":
                    i += 1
                    continue
                assert self.t[i] == "}"
                return i + 1
        if c == "[":
            i = self.ws(i + 1)
            if self.t[i] == "]":
                return i + 1
            n = 0
            while True:
                i = self.value(i, path + (n,) if path == ("cells",) else path + ("[]",))
                n += 1
                i = self.ws(i)
                if self.t[i] == ",":
                    i += 1
                    continue
                assert self.t[i] == "]"
                return i + 1
        if c == '"':
            return self.string(i)
        j = i
        while j < len(self.t) and self.t[j] not in ",]} \t\r\n":
            j += 1
        return j

    def string(self, i: int) -> int:
        t = self.t
        assert t[i] == '"'
        i += 1
        while True:
            c = t[i]
            if c == "\\":
                i += 2
            elif c == '"':
                return i + 1
            else:
                i += 1


def _format_source(old: str, new_source: str) -> str:
    """JSON for a new cell source in the style of the old value (list of lines or one string)."""
    lines = new_source.splitlines(keepends=True)
    if old.lstrip().startswith('"'):
        return json.dumps(new_source, ensure_ascii=False)
    if not lines:
        return "[]"
    inner = old.strip()[1:-1]
    first = inner[: len(inner) - len(inner.lstrip())]  # e.g. "\n    "
    closing = inner[len(inner.rstrip()):]  # e.g. "\n   "
    if first:
        sep = "," + first
    else:
        sep = ", " if ", " in inner else ","
    return "[" + first + sep.join(json.dumps(line, ensure_ascii=False) for line in lines) + closing + "]"


def replace_cell_sources(nb: Notebook, new_sources: dict[int, str]) -> str:
    """The notebook's text with the given cells' sources replaced; every other byte is kept."""
    scanner = _Scanner(nb.text)
    try:
        scanner.value(0, ())
    except (AssertionError, IndexError, json.JSONDecodeError):
        raise NotebookError("could not locate cell sources in the notebook text") from None
    out = nb.text
    for index in sorted(new_sources, reverse=True):
        if index not in scanner.spans:
            raise NotebookError(f"cell {index} has no source to replace")
        start, end = scanner.spans[index]
        out = out[:start] + _format_source(nb.text[start:end], new_sources[index]) + out[end:]
    # Check: valid JSON, the changed cells hold the new sources, everything else is equal.
    check = json.loads(out)
    for i, (a, b) in enumerate(zip(nb.data["cells"], check["cells"])):
        if i in new_sources:
            if _source(b) != new_sources[i] or {k: v for k, v in a.items() if k != "source"} != {
                    k: v for k, v in b.items() if k != "source"}:
                raise NotebookError(f"rewriting cell {i} went wrong; nothing written")
        elif a != b:
            raise NotebookError(f"rewriting changed cell {i}; nothing written")
    if len(check["cells"]) != len(nb.data["cells"]) or {k: v for k, v in check.items() if k != "cells"} != {
            k: v for k, v in nb.data.items() if k != "cells"}:
        raise NotebookError("rewriting changed the notebook's structure; nothing written")
    return out
