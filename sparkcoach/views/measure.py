"""One measurement of a rewrite (issue 4) as static HTML and as text.

The HTML is a timing chart drawn as inline SVG (one bar per variant at its
median, a whisker for its spread), the table of Spark figures, the verdict, the
result check, the notes and the rewrite's diff.  No scripts, no styles on the
elements, no external resources: a saved notebook shows it as it was (nbconvert,
nbviewer, GitHub).  Every string from the measurement dict
(``sparkcoach.measure.model.Measurement.to_dict()``) is escaped.  A rewrite that
changes the result is never presented as an improvement, whatever its timings.
"""

from __future__ import annotations

import math

from . import human_bytes, human_seconds, plural
from .html import diff_html, esc, inline
from .text import INDENT, clean

__all__ = ["measurement_html", "measurement_text", "measurement_line", "headline", "figure_rows"]

DASH = "\u2014"  # an unknown figure
PARTIAL = {"timeout": "Stopped by the timeout", "interrupted": "Interrupted"}

# Chart geometry (SVG user units = CSS pixels).
LABEL_W, PLOT_W, VALUE_W = 90, 300, 80
TOP, ROW_H, BAR_H, AXIS_H = 4, 26, 16, 24
LABEL_CHARS = 12
COLOURS = {"original": "#8c959f", "rewrite": "#0969da", "changed": "#cf222e"}
TEXT_BAR = 30  # characters of the longest text bar


def _seconds(s) -> str:
    if s is None:
        return DASH
    if s < 1:
        return f"{s * 1000:.1f} ms" if s < 0.01 else f"{s * 1000:.0f} ms"
    return human_seconds(s)


def _spread(spread) -> str:
    return f"{_seconds(spread[0])} \u2013 {_seconds(spread[1])}" if spread else DASH


def _count(n) -> str:
    return DASH if n is None else f"{n:,}"


def _bytes(n) -> str:
    return DASH if n is None else human_bytes(n)


ROWS = (
    ("median", lambda v: _seconds(v.get("median_s"))),
    ("spread", lambda v: _spread(v.get("spread_s"))),
    ("jobs", lambda v: _count(v.get("jobs"))),
    ("stages", lambda v: _count(v.get("stages"))),
    ("tasks", lambda v: _count(v.get("tasks"))),
    ("shuffle read", lambda v: _bytes(v.get("shuffle_read_bytes"))),
    ("shuffle write", lambda v: _bytes(v.get("shuffle_write_bytes"))),
    ("spill", lambda v: _bytes(v.get("spill_bytes"))),
    ("peak task", lambda v: _seconds(v.get("peak_task_s"))),
)


def figure_rows(m: dict) -> list[tuple[str, list[str]]]:
    """``(row name, one shown value per variant)`` for the figures table."""
    variants = m.get("variants") or []
    return [(name, [shown(v) for v in variants]) for name, shown in ROWS]


def heading(m: dict) -> str:
    """``"SPK350 · line 3 · 3 timed runs each, alternating, after 1 warm-up · 10% sample of the inputs"``."""
    parts = [str(m.get("code") or "?")]
    if m.get("line"):
        parts.append(f"line {m['line']}")
    if m.get("runs") is not None:
        warmup = m.get("warmup") or 0
        parts.append(f"{plural(m['runs'], 'timed run')} each, alternating, "
                     + (f"after {plural(warmup, 'warm-up')}" if warmup else "no warm-up"))
    if m.get("sample") is not None:
        parts.append(f"{m['sample'] * 100:.3g}% sample of the inputs")
    return " \u00b7 ".join(parts)


def headline(m: dict) -> str:
    """The verdict line.  A rewrite that changes the result is said to, and nothing more."""
    if m.get("same_result") is False:
        return "The rewrite changes the result: not an improvement"
    status = m.get("status")
    if status == "not measured":
        return "Not measured"
    if status == "failed":
        return "The measurement failed"
    out = f"Rewrite: {(m.get('verdict') or '').strip() or 'no verdict'}"
    if m.get("speedup") is not None:
        out += f" \u00b7 speedup {m['speedup']:.2f} (original median / rewrite median)"
    if m.get("same_result") is None:
        out += " \u00b7 result not checked"
    return out


def status_line(m: dict) -> str:
    """What stopped a partial measurement, with the runs done (empty when all ran, or nothing did)."""
    status = m.get("status")
    if status not in PARTIAL:
        return "" if status in ("done", "not measured", "failed") else f"Status: {status}"
    runs = m.get("runs")
    done = [f"{v.get('label', '?')} {len(v.get('times_s') or ())}" + (f" of {runs}" if runs is not None else "")
            for v in m.get("variants") or ()]
    return f"{PARTIAL[status]}: figures measured up to then" + (f" (timed runs: {', '.join(done)})" if done else "")


def result_line(m: dict) -> str:
    same = m.get("same_result")
    if same is True:
        return "Result check: same result"
    if same is False:
        return "Result check: the results differ" + (f": {m['difference']}" if m.get("difference") else "")
    return "Result check: not checked"


def error_lines(m: dict) -> list[str]:
    return [f"{v.get('label', '?')} raised: {v['error']}" for v in m.get("variants") or () if v.get("error")]


def short_verdict(m: dict) -> str:
    """``"2.7× faster"``, ``"changes the result"``, ``"not measured"``, ... (one line per measurement)."""
    if m.get("same_result") is False:
        return "changes the result"
    status = m.get("status")
    if status in ("not measured", "failed"):
        return status
    out = (m.get("verdict") or "").strip() or "no verdict"
    return out + (f" ({status}: partial)" if status in PARTIAL else "")


def measurement_line(m: dict) -> str:
    """``"measured SPK350 (line 3): 2.7× faster"``."""
    where = f" (line {m['line']})" if m.get("line") else ""
    return f"measured {m.get('code') or '?'}{where}: {short_verdict(m)}"


# ---------------------------------------------------------------------------------------------- HTML

def _nice(x: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``x`` (the axis end)."""
    if x <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(x))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= x * (1 - 1e-9))


def _colour(m: dict, i: int) -> str:
    if i == 0:
        return COLOURS["original"]
    return COLOURS["changed"] if m.get("same_result") is False else COLOURS["rewrite"]


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "\u2026"


def chart_svg(m: dict) -> str:
    """Median wall time per variant as horizontal bars with min..max whiskers (empty when nothing ran)."""
    variants = m.get("variants") or []
    values = [x for v in variants for x in (v.get("median_s"), *(v.get("spread_s") or ())) if x is not None]
    if not values:
        return ""
    top = _nice(max(values))
    scale = PLOT_W / top
    width, height = LABEL_W + PLOT_W + VALUE_W, TOP + ROW_H * len(variants) + AXIS_H
    out = [f'<svg class="sc-chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="median wall time per variant"><title>median wall time per variant, whiskers min to max'
           "</title>"]
    for i, v in enumerate(variants):
        y = TOP + i * ROW_H
        mid = y + BAR_H / 2
        label = str(v.get("label", "?"))
        out.append(f'<text class="sc-chart-label" x="{LABEL_W - 6}" y="{mid:.1f}" text-anchor="end" '
                   f'dominant-baseline="middle" font-size="12" fill="currentColor">{esc(_cut(label))}</text>')
        median, spread = v.get("median_s"), v.get("spread_s")
        end = 0.0
        if median is not None:
            end = median * scale
            out.append(f'<rect class="sc-bar" x="{LABEL_W}" y="{y}" width="{end:.2f}" height="{BAR_H}" '
                       f'fill="{_colour(m, i)}"></rect>')
        if spread:
            lo, hi = spread[0] * scale + LABEL_W, spread[1] * scale + LABEL_W
            end = max(end, spread[1] * scale)
            out.append(f'<line class="sc-whisker" x1="{lo:.2f}" y1="{mid:.1f}" x2="{hi:.2f}" y2="{mid:.1f}" '
                       'stroke="currentColor" stroke-width="1.5"></line>')
            for x in (lo, hi):
                out.append(f'<line class="sc-whisker" x1="{x:.2f}" y1="{y + 3}" x2="{x:.2f}" y2="{y + BAR_H - 3}" '
                           'stroke="currentColor" stroke-width="1.5"></line>')
        shown = _seconds(median) if median is not None else (v.get("error") and "failed") or "no runs"
        out.append(f'<text class="sc-chart-value" x="{LABEL_W + end + 5:.1f}" y="{mid:.1f}" '
                   f'dominant-baseline="middle" font-size="12" fill="currentColor">{esc(shown)}</text>')
    axis = TOP + ROW_H * len(variants)
    out.append(f'<line class="sc-axis" x1="{LABEL_W}" y1="{axis}" x2="{LABEL_W + PLOT_W}" y2="{axis}" '
               'stroke="currentColor" stroke-opacity="0.5"></line>')
    for frac in (0, 0.5, 1):
        x = LABEL_W + frac * PLOT_W
        out.append(f'<line class="sc-tick" x1="{x:.1f}" y1="{axis}" x2="{x:.1f}" y2="{axis + 4}" '
                   'stroke="currentColor" stroke-opacity="0.5"></line>')
        out.append(f'<text class="sc-tick-label" x="{x:.1f}" y="{axis + 16}" text-anchor="middle" font-size="11" '
                   f'fill="currentColor">{esc("0" if frac == 0 else _seconds(top * frac))}</text>')
    out.append("</svg>")
    return "".join(out)


def figures_html(m: dict) -> str:
    """The figures table: one row per figure, one column per variant."""
    variants = m.get("variants") or []
    if not variants:
        return ""
    head = "".join(f"<th>{esc(v.get('label', '?'))}</th>" for v in variants)
    body = "".join(f"<tr><th>{esc(name)}</th>" + "".join(f"<td>{esc(x)}</td>" for x in shown) + "</tr>"
                   for name, shown in figure_rows(m))
    return f'<table class="sc-figures"><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>'


def measurement_html(m: dict) -> str:
    """One measurement as an HTML fragment (inside :func:`sparkcoach.views.html.wrap` for its style)."""
    changed = m.get("same_result") is False
    parts = [f'<div class="sc-mhead">{esc(heading(m))}</div>',
             f'<div class="sc-verdict{" sc-changed" if changed else ""}">{esc(headline(m))}</div>']
    status = status_line(m)
    if status:
        parts.append(f'<div class="sc-status">{esc(status)}</div>')
    parts.append(chart_svg(m))
    parts.append(figures_html(m))
    errors = error_lines(m)
    if errors:
        parts.append('<ul class="sc-notes">' + "".join(f"<li>{esc(e)}</li>" for e in errors) + "</ul>")
    parts.append(f'<div class="sc-check{" sc-changed" if changed else ""}">{esc(result_line(m))}</div>')
    notes = m.get("notes") or []
    if notes:
        parts.append('<ul class="sc-notes">' + "".join(f"<li>note: {inline(n)}</li>" for n in notes) + "</ul>")
    rewrite = m.get("rewrite")
    if rewrite and rewrite.get("diff"):
        parts.append(f'<details class="sc-mrewrite"><summary>rewrite measured</summary>{diff_html(rewrite["diff"])}'
                     "</details>")
    return '<div class="sc-measurement">' + "".join(parts) + "</div>"


# ---------------------------------------------------------------------------------------------- text

def _text_bars(m: dict) -> list[str]:
    variants = m.get("variants") or []
    medians = [v.get("median_s") for v in variants]
    top = max((x for x in medians if x is not None), default=0)
    if not top:
        return []
    width = max(len(str(v.get("label", "?"))) for v in variants)
    out = []
    for v, median in zip(variants, medians):
        bar = "\u2588" * max(1, round(median / top * TEXT_BAR)) + " " + _seconds(median) if median is not None else DASH
        out.append(f"{INDENT}{str(v.get('label', '?')).ljust(width)}  {bar}")
    return out


def _text_table(m: dict) -> list[str]:
    variants = m.get("variants") or []
    if not variants:
        return []
    rows = [("", [str(v.get("label", "?")) for v in variants])] + figure_rows(m)
    first = max(len(name) for name, _ in rows)
    widths = [max(len(shown[i]) for _, shown in rows) for i in range(len(variants))]
    return [(INDENT + name.ljust(first) + "".join("  " + x.rjust(w) for x, w in zip(shown, widths))).rstrip()
            for name, shown in rows]


def measurement_text(m: dict, shown_diffs: frozenset = frozenset()) -> str:
    """One measurement as plain text: heading, verdict, status, bars, figures, result check, notes, diff
    (``shown_diffs``: rewrite diffs the text already shows above; a measured one among them is named, not
    repeated)."""
    out = [heading(m), headline(m)]
    status = status_line(m)
    if status:
        out.append(status)
    out.extend(_text_bars(m))
    out.extend(_text_table(m))
    out.extend(error_lines(m))
    out.append(result_line(m))
    out.extend(f"note: {n}" for n in m.get("notes") or ())
    rewrite = m.get("rewrite")
    if rewrite and rewrite.get("diff") in shown_diffs:
        out.append("rewrite measured: the one shown above")
    elif rewrite and rewrite.get("diff"):
        out.append("rewrite measured:")
        out.extend(INDENT + line for line in str(rewrite["diff"]).rstrip("\n").splitlines())
    return "\n".join(clean(line.rstrip()) for text in out for line in str(text).splitlines() or [""]) + "\n"
