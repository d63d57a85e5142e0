"""The findings report as plain text (``text/plain``: terminal IPython, logs, text exports)."""

from __future__ import annotations

import re

from . import (FLAG_MARK, context_line, explain_rows, finding_location, finding_title,
               lineage_heading, lineage_rows, node_label, plan_heading, plan_rows, summary_line)

INDENT = "    "
MAX_ARGS = 100  # plan node arguments are cut after this many characters in the tree

# Control characters (other than tab and newline) would drive the terminal: show them escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def finding_line(f: dict) -> str:
    """``warning SPK201 Checks for an RDD groupByKey() ... (line 3)``."""
    loc = finding_location(f)
    return clean(f"{f.get('severity', '?')} {f.get('code', '')} {finding_title(f)}" + (f" ({loc})" if loc else ""))


def render(report: dict, compact: bool = False) -> str:
    """The report as text: the summary line, then each finding with its message, why, fix and
    rewrite diff, a heading per plan and lineage (with its tree or text when something in it
    was flagged), the measurements of rewrites, and the notes.  ``compact``: the summary,
    one line per finding and one per measurement."""
    out = [clean("sparkcoach: " + summary_line(report))]
    findings = report.get("findings") or []
    measurements = report.get("measurements") or []
    if compact:
        out.extend("  " + finding_line(f) for f in findings)
        if measurements:
            from .measure import measurement_line  # measure.py builds on this module

            out.extend(clean("  " + measurement_line(m)) for m in measurements)
        return "\n".join(out) + "\n"

    ctx = context_line(report)
    if ctx:
        out.append(clean(ctx))
    for f in findings:
        out.append("")
        out.append(finding_line(f))
        if f.get("message"):
            out.extend(_indented(f["message"]))
        if f.get("doc"):
            out.extend(_indented("why: " + f["doc"]))
        fix = f.get("fix")
        if fix:
            out.append(clean(f"{INDENT}fix ({fix.get('safety', '?')}): {fix.get('description', '')}"))
        rewrite = f.get("rewrite")
        if rewrite and rewrite.get("diff"):
            out.append(INDENT + "rewrite:")
            out.extend(_indented(rewrite["diff"], 2))
    if not findings:
        out.append("No findings.")

    plans = report.get("plans") or []
    if plans:
        out.append("")
        out.append("Plans:")
        for plan in plans:
            out.append(clean(INDENT + plan_heading(plan)))
            rows = plan_rows(plan)
            if any(codes is not None for _, _, codes in rows):
                out.extend(_tree_lines(rows))
            elif not rows and any(codes is not None for _, codes in explain_rows(plan)):
                out.extend(_explain_lines(plan))
    lineages = report.get("lineages") or []
    if lineages:
        out.append("")
        out.append("Lineage:")
        for lineage in lineages:
            out.append(clean(INDENT + lineage_heading(lineage)))
            rows = lineage_rows(lineage)
            if not any(kind == "flagged" for _, kind in rows):
                continue  # like plans: the text only for lineages with something flagged
            for line, kind in rows:
                mark = f"  {FLAG_MARK} flagged" if kind == "flagged" else ""
                out.append(clean(INDENT * 2 + line + mark))
    if measurements:
        from .measure import measurement_text  # measure.py builds on this module

        out.append("")
        out.append("Measurements:")
        shown = frozenset(str(f["rewrite"]["diff"]) for f in findings
                          if isinstance(f.get("rewrite"), dict) and f["rewrite"].get("diff"))
        for i, m in enumerate(measurements):
            if i:
                out.append("")
            out.extend(INDENT + line if line else "" for line in measurement_text(m, shown).rstrip("\n").split("\n"))

    notes = (report.get("summary") or {}).get("notes") or []
    if notes:
        out.append("")
        out.extend(clean(f"note: {n}") for n in notes)
    return "\n".join(out) + "\n"


def _indented(text: str, depth: int = 1) -> list[str]:
    return [clean((INDENT * depth + line).rstrip()) for line in str(text).rstrip("\n").splitlines()]


def _cut(text: str, limit: int = MAX_ARGS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _tree_lines(rows) -> list[str]:
    out = []
    for prefix, node, codes in rows:
        label = _cut(node_label(node), MAX_ARGS + len(node.get("operator", "")))
        mark = f"  {FLAG_MARK} " + (", ".join(codes) if codes else "flagged") if codes is not None else ""
        out.append(clean(INDENT * 2 + prefix + label + mark))
    return out


def _explain_lines(plan: dict) -> list[str]:
    out = []
    for line, codes in explain_rows(plan):
        mark = f"  {FLAG_MARK} " + (", ".join(codes) if codes else "flagged") if codes is not None else ""
        out.append(clean(INDENT * 2 + line + mark))
    return out
