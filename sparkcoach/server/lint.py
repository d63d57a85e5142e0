"""The lint route's work, without a web server: check a request body, lint its cells.

A body is ``{"cells": [{"id": str, "source": str}, ...], "ignore": [str]?, "select": [str]?}``
holding a notebook's code cells in order, so later cells see the names earlier ones define.
The answer is ``{"findings": [Finding JSON + "cell_id"], "elapsed_ms": float}``.  A malformed
body raises :class:`BadRequest` with a one-line message that names the problem.

Example:

>>> body = {"cells": [{"id": "a", "source": "rdd = sc.parallelize([(1, 2)])"},
...                   {"id": "b", "source": "rdd.groupByKey().mapValues(sum)"}]}
>>> [(f["code"], f["cell_id"], f["line"]) for f in lint_request(parse_request(json.dumps(body)))["findings"]]
[('SPK201', 'b', 1)]
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from ..engine.lint import Settings, lint_cells

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_CELLS = 2000
FIELDS = ("cells", "ignore", "select")


class BadRequest(ValueError):
    """A request the route refuses; ``str(exc)`` is the one-line message for the client."""


@dataclass(frozen=True)
class LintRequest:
    ids: tuple[str, ...]
    sources: tuple[str, ...]
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def _kind(value) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "list", dict: "object"}.get(type(value), type(value).__name__)


def _codes(body: dict, field: str) -> tuple[str, ...]:
    value = body.get(field)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadRequest(f"'{field}' must be a list of rule codes, got {_kind(value)}")
    for i, code in enumerate(value):
        if not isinstance(code, str):
            raise BadRequest(f"'{field}[{i}]' must be a string (a rule code such as SPK201), got {_kind(code)}")
    return tuple(value)


def _cells(body: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if "cells" not in body:
        raise BadRequest("missing field 'cells' (a list of {\"id\", \"source\"} objects)")
    cells = body["cells"]
    if not isinstance(cells, list):
        raise BadRequest(f"'cells' must be a list, got {_kind(cells)}")
    if len(cells) > MAX_CELLS:
        raise BadRequest(f"too many cells: {len(cells)} (at most {MAX_CELLS})")
    ids: dict[str, int] = {}
    sources = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise BadRequest(f"cells[{i}] must be an object with 'id' and 'source', got {_kind(cell)}")
        for key in ("id", "source"):
            if key not in cell:
                raise BadRequest(f"cells[{i}] has no '{key}'")
            if not isinstance(cell[key], str):
                raise BadRequest(f"cells[{i}].{key} must be a string, got {_kind(cell[key])}")
        if cell["id"] in ids:
            raise BadRequest(f"cells[{i}].id {cell['id']!r} repeats cells[{ids[cell['id']]}].id")
        ids[cell["id"]] = i
        sources.append(cell["source"])
    return tuple(ids), tuple(sources)


def parse_request(body: bytes | str) -> LintRequest:
    """Check a request body (raw bytes as received); raise :class:`BadRequest` when it is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"body too large: {len(body)} bytes (at most {MAX_BODY_BYTES})")
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise BadRequest("malformed JSON: the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadRequest("malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest(f"the body must be a JSON object, got {_kind(data)}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r} (expected {', '.join(FIELDS)})")
    ids, sources = _cells(data)
    return LintRequest(ids, sources, _codes(data, "select"), _codes(data, "ignore"))


def lint_request(request: LintRequest) -> dict:
    """Lint the request's cells as one notebook; each finding gains the ``cell_id`` it belongs to."""
    start = time.perf_counter()
    settings = Settings(select=request.select, ignore=request.ignore)
    try:
        found = lint_cells(list(request.sources), "<notebook>", settings=settings,
                           cell_ids=range(len(request.sources)))
    except (RecursionError, MemoryError):  # the engine turns parser overflows into SPK000; this is a last guard
        raise BadRequest("cannot lint: the notebook's code is nested too deeply to check") from None
    findings = []
    for finding in found:
        item = finding.to_dict()
        item["cell_id"] = request.ids[finding.cell] if finding.cell is not None else None
        findings.append(item)
    return {"findings": findings, "elapsed_ms": round((time.perf_counter() - start) * 1000, 3)}


def lint_body(body: bytes | str) -> dict:
    """:func:`parse_request` then :func:`lint_request`: the whole route, for one worker thread."""
    return lint_request(parse_request(body))


def rules() -> dict:
    """``{"rules": [...]}``: every rule's code, name, severity, kind and one-line summary."""
    from .. import registry

    return {"rules": [{"code": r.code, "name": r.name, "severity": r.severity, "kind": r.kind,
                       "summary": r.summary} for r in registry.all_rules()]}
