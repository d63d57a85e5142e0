"""The findings report as static HTML (``text/html``).

No JavaScript and no ids: ``<details>``/``<summary>`` open each finding, and one
small ``<style>`` is scoped under the ``sparkcoach-report`` class, so the output
reads the same in JupyterLab, nbconvert HTML, nbviewer and (without colours,
which GitHub strips) on GitHub.  Every string taken from the report -- code,
messages, plan and lineage text -- is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html as _html
import re

from . import (FLAG_MARK, context_line, diff_kind, explain_rows, finding_location, finding_title,
               lineage_heading, lineage_rows, node_label, plan_heading, plan_rows, summary_line)

ROOT_CLASS = "sparkcoach-report"

_S = "." + ROOT_CLASS
STYLE = "<style>" + "".join(f"{_S}{sel}{{{rule}}}" for sel, rule in (
    ("", "font-family:var(--jp-ui-font-family,system-ui,-apple-system,'Segoe UI',sans-serif);"
         "font-size:13px;line-height:1.45;margin:.25em 0"),
    (" .sc-summary", "font-weight:600"),
    (" .sc-context", "opacity:.7;font-size:12px"),
    (" details", "margin:.15em 0"),
    (" summary", "cursor:pointer"),
    (" .sc-sev", "display:inline-block;min-width:5.2em;font-size:11px;font-weight:700;text-transform:uppercase"),
    (" .sc-error", "color:#cf222e"),
    (" .sc-warning", "color:#b35900"),
    (" .sc-info", "color:#0969da"),
    (" .sc-line", "opacity:.7"),
    (" .sc-body", "margin:.2em 0 .6em 1.6em"),
    (" .sc-body p", "margin:.25em 0"),
    (" pre", "margin:.3em 0;padding:.4em .6em;overflow-x:auto;background:rgba(127,127,127,.09);"
             "border-radius:3px;font-size:12px;line-height:1.35"),
    (" .sc-diff span", "display:block"),
    (" .sc-add", "background:rgba(46,160,67,.2)"),
    (" .sc-del", "background:rgba(248,81,73,.2)"),
    (" .sc-hunk", "color:#8250df"),
    (" .sc-head", "opacity:.65"),
    (" mark.sc-flag", "background:rgba(255,190,0,.35);color:inherit"),
    (" .sc-mark", "font-weight:700;color:#cf222e"),
    (" .sc-shuffle", "font-weight:600"),
    (" .sc-notes", "margin:.3em 0;padding-left:1.3em;opacity:.8"),
    (" .sc-compact", "margin:.2em 0;padding-left:1.3em;list-style:none"),
    (" .sc-measurement", "margin:.3em 0 .7em;padding:.2em 0 .2em .7em;border-left:3px solid rgba(127,127,127,.35)"),
    (" .sc-mhead", "opacity:.7;font-size:12px"),
    (" .sc-verdict", "font-weight:600"),
    (" .sc-changed", "color:#cf222e"),
    (" .sc-status", "color:#b35900"),
    (" .sc-chart", "display:block;max-width:100%;height:auto;margin:.3em 0"),
    (" .sc-figures", "border-collapse:collapse;font-size:12px;margin:.3em 0"),
    (" .sc-figures th", "text-align:left;font-weight:600;padding:.05em 1em .05em 0"),
    (" .sc-figures thead th", "text-align:right"),
    (" .sc-figures td", "text-align:right;padding:.05em 0 .05em 1em;font-variant-numeric:tabular-nums"),
)) + "</style>"


def esc(value) -> str:
    """Escape any value for HTML text and attribute values."""
    return _html.escape(str(value), quote=True)


_CODE = re.compile(r"`([^`\n]+)`")


def inline(text) -> str:
    """Escaped text with ```code``` spans as ``<code>`` (tags are added after escaping)."""
    return _CODE.sub(r"<code>\1</code>", esc(text))


def severity_badge(severity) -> str:
    sev = severity if severity in ("error", "warning", "info") else "info"
    return f'<span class="sc-sev sc-{sev}">{esc(severity)}</span>'


def finding_head(f: dict) -> str:
    """Severity, code, title and line, on one line."""
    loc = finding_location(f)
    return (f"{severity_badge(f.get('severity', '?'))} <code>{esc(f.get('code', ''))}</code> "
            f"{inline(finding_title(f))}" + (f' <span class="sc-line">({esc(loc)})</span>' if loc else ""))


def finding_why(f: dict) -> str:
    """The message, the why and the fix of one finding."""
    parts = []
    if f.get("message"):
        parts.append(f'<p class="sc-message">{inline(f["message"])}</p>')
    if f.get("doc"):
        parts.append(f'<p class="sc-why"><strong>Why:</strong> {inline(f["doc"])}</p>')
    fix = f.get("fix")
    if fix:
        parts.append(f'<p class="sc-fix"><strong>Fix ({esc(fix.get("safety", "?"))}):</strong> '
                     f'{inline(fix.get("description", ""))}</p>')
    return "".join(parts)


def diff_html(diff: str) -> str:
    """A unified diff in ``<pre>``, one span per line classed ``sc-add``/``sc-del``/``sc-hunk``/..."""
    lines = str(diff).rstrip("\n").splitlines()
    return '<pre class="sc-diff">' + "".join(
        f'<span class="sc-{diff_kind(line)}">{esc(line)}\n</span>' for line in lines) + "</pre>"


def finding_rewrite(f: dict) -> str:
    rewrite = f.get("rewrite")
    if not rewrite or not rewrite.get("diff"):
        return ""
    return '<p class="sc-rewrite-label"><strong>Rewrite:</strong></p>' + diff_html(rewrite["diff"])


def _mark(codes: list[str] | None) -> str:
    if codes is None:
        return ""
    return f' <span class="sc-mark">{FLAG_MARK} {esc(", ".join(codes) if codes else "flagged")}</span>'


def plan_tree_html(plan: dict) -> str:
    """The plan tree (from ``tree``), flagged operators in ``<mark>`` with the codes that flagged them."""
    out = []
    for prefix, node, codes in plan_rows(plan):
        label = esc(node_label(node))
        if codes is not None:
            label = f'<mark class="sc-flag">{label}</mark>{_mark(codes)}'
        out.append(esc(prefix) + label)
    return '<pre class="sc-tree">' + "\n".join(out) + "</pre>"


_TREE_LEAD = re.compile(r"[\s:|+*-]*")


def explain_html(plan: dict) -> str:
    """The explain text, operators flagged by id marked."""
    out = []
    for line, codes in explain_rows(plan):
        if codes is None:
            out.append(esc(line))
        else:
            lead = _TREE_LEAD.match(line).group()
            out.append(f'{esc(lead)}<mark class="sc-flag">{esc(line[len(lead):])}</mark>{_mark(codes)}')
    return '<pre class="sc-explain">' + "\n".join(out) + "</pre>"


def plan_html(plan: dict) -> str:
    flagged = any(codes is not None for _, _, codes in plan_rows(plan))
    body = plan_tree_html(plan)
    if plan.get("text"):
        body += f"<details><summary>explain text</summary>{explain_html(plan)}</details>"
    return (f'<details class="sc-plan"{" open" if flagged else ""}><summary>{esc(plan_heading(plan))}</summary>'
            f"{body}</details>")


def lineage_text_html(lineage: dict) -> str:
    """The lineage text in ``<pre>``: flagged RDDs marked, shuffle RDDs (stage boundaries) in bold."""
    out = []
    for line, kind in lineage_rows(lineage):
        lead = _TREE_LEAD.match(line).group()
        if kind == "flagged":
            out.append(f'{esc(lead)}<mark class="sc-flag">{esc(line[len(lead):])}</mark>{_mark([])}')
        elif kind == "shuffle":
            out.append(f'{esc(lead)}<span class="sc-shuffle">{esc(line[len(lead):])}</span>')
        else:
            out.append(esc(line))
    return '<pre class="sc-lineage-text">' + "\n".join(out) + "</pre>"


def lineage_html(lineage: dict) -> str:
    flagged = bool(lineage.get("flagged"))
    return (f'<details class="sc-lineage"{" open" if flagged else ""}><summary>{esc(lineage_heading(lineage))}'
            f"</summary>{lineage_text_html(lineage)}</details>")


def summary_html(report: dict) -> str:
    out = f'<div class="sc-summary">sparkcoach: {esc(summary_line(report))}</div>'
    ctx = context_line(report)
    if ctx:
        out += f'<div class="sc-context">{esc(ctx)}</div>'
    return out


def notes_html(report: dict) -> str:
    notes = (report.get("summary") or {}).get("notes") or []
    if not notes:
        return ""
    return '<ul class="sc-notes">' + "".join(f"<li>note: {inline(n)}</li>" for n in notes) + "</ul>"


def measurements_html(measurements: list[dict]) -> str:
    """The "Measurements" section: each rewrite measured against the original cell (open)."""
    from .measure import measurement_html  # measure.py builds on this module

    return (f'<details class="sc-measurements" open><summary>Measurements ({len(measurements)})</summary>'
            + "".join(measurement_html(m) for m in measurements) + "</details>")


def wrap(inner: str, style: bool = True) -> str:
    """``inner`` inside the scoped root element, with the style (once per page is enough)."""
    return f'<div class="{ROOT_CLASS}">{STYLE if style else ""}{inner}</div>'


def render(report: dict, compact: bool = False) -> str:
    """The report as one static HTML fragment.  ``compact``: the summary and one line per finding."""
    findings = report.get("findings") or []
    parts = [summary_html(report)]
    measurements = report.get("measurements") or []
    if compact:
        if findings:
            parts.append('<ul class="sc-compact">' + "".join(f"<li>{finding_head(f)}</li>" for f in findings)
                         + "</ul>")
        if measurements:
            from .measure import measurement_line  # measure.py builds on this module

            parts.append('<ul class="sc-compact">' + "".join(f"<li>{esc(measurement_line(m))}</li>"
                                                             for m in measurements) + "</ul>")
        return wrap("".join(parts))
    if findings:
        parts.append('<div class="sc-findings">')
        for f in findings:
            parts.append(f'<details class="sc-finding"><summary>{finding_head(f)}</summary>'
                         f'<div class="sc-body">{finding_why(f)}{finding_rewrite(f)}</div></details>')
        parts.append("</div>")
    else:
        parts.append('<div class="sc-clean">No findings.</div>')
    plans = report.get("plans") or []
    if plans:
        flagged = any(codes is not None for p in plans for _, _, codes in plan_rows(p))
        parts.append(f'<details class="sc-plans"{" open" if flagged else ""}><summary>Plans ({len(plans)})</summary>'
                     + "".join(plan_html(p) for p in plans) + "</details>")
    lineages = report.get("lineages") or []
    if lineages:
        parts.append(f'<details class="sc-lineages"><summary>Lineage ({len(lineages)})</summary>'
                     + "".join(lineage_html(l) for l in lineages) + "</details>")
    if measurements:
        parts.append(measurements_html(measurements))
    parts.append(notes_html(report))
    return wrap("".join(parts))
