"""Rendering findings: text, JSON and SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import Iterable

from . import __version__
from .findings import Finding

SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def location(f: Finding) -> str:
    cell = f"[cell {f.cell + 1}]" if f.cell is not None else ""
    return f"{f.path}{cell}:{f.line}:{f.column}"


def text(findings: list[Finding], show_fixes: bool = False, sources: dict | None = None) -> str:
    lines = []
    for f in findings:
        mark = " [*]" if f.fix and f.fix.safety == "safe" else (" [unsafe fix]" if f.fix else "")
        lines.append(f"{location(f)}: {f.code} {f.message}{mark}")
        if show_fixes:
            lines.append(f"    why: {f.doc}")
            if f.fix:
                for e in f.fix.edits:
                    repl = e.replacement.rstrip("\n")
                    lines.append(f"    fix ({f.fix.safety}) {e.line}:{e.column}-{e.end_line}:{e.end_column}: {repl}")
    n = len(findings)
    if n:
        safe = sum(1 for f in findings if f.fix and f.fix.safety == "safe")
        unsafe = sum(1 for f in findings if f.fix and f.fix.safety == "unsafe")
        extra = []
        if safe:
            extra.append(f"{safe} fixable with --fix")
        if unsafe:
            extra.append(f"{unsafe} more with --unsafe-fixes")
        lines.append(f"Found {n} finding{'s' if n != 1 else ''}" + (f" ({', '.join(extra)})" if extra else "") + ".")
    else:
        lines.append("No findings.")
    return "\n".join(lines) + "\n"


def as_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False) + "\n"


def sarif(findings: list[Finding], rules) -> str:
    rules = list(rules)
    index = {r.code: i for i, r in enumerate(rules)}
    driver_rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.why},
            "help": {"text": r.doc, "markdown": r.doc},
            "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
        }
        for r in rules
    ]
    results = []
    for f in findings:
        result = {
            "ruleId": f.code,
            "level": SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path.replace("\\", "/")},
                    "region": {
                        "startLine": f.line, "startColumn": f.column,
                        "endLine": f.end_line, "endColumn": f.end_column,
                    },
                },
            }],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.cell is not None:
            result["properties"] = {"cell": f.cell}
        if f.fix:
            result["fixes"] = [{
                "description": {"text": f.fix.description},
                "artifactChanges": [{
                    "artifactLocation": {"uri": f.path.replace("\\", "/")},
                    "replacements": [{
                        "deletedRegion": {"startLine": e.line, "startColumn": e.column,
                                          "endLine": e.end_line, "endColumn": e.end_column},
                        "insertedContent": {"text": e.replacement},
                    } for e in f.fix.edits],
                }],
                "properties": {"safety": f.fix.safety},
            }]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sparkcoach", "version": __version__,
                "rules": driver_rules,
            }},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
