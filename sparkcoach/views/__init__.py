"""Showing a cell's findings report: plain text, static HTML, stock ipywidgets, a MIME bundle.

The views read only the report dict described by
``sparkcoach/schema/findings.schema.json`` (see :mod:`sparkcoach.views.bundle`);
they import no analysis code and never pyspark.  Importing this package
imports neither ipywidgets nor jsonschema.

Sizes are shown in decimal (SI) units: 1 KB = 1000 B, 1 MB = 1000 KB.
"""

from __future__ import annotations

import re

MIME = "application/vnd.sparkcoach.findings+json"
SEVERITIES = ("error", "warning", "info")
_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")
FLAG_MARK = "\u25c0"  # ◀


def human_bytes(n: int | float | None) -> str:
    """``12_300_000`` -> ``"12.3 MB"``: decimal units, one decimal below 100 of a unit."""
    if n is None:
        return "?"
    n = float(n)
    if n < 1000:
        return f"{int(n)} B"
    i = 0
    while n >= 1000 and i < len(_UNITS) - 1:
        n /= 1000.0
        i += 1
    # Rounding may carry into the next unit (999.96 KB -> "1000 KB"): step up once more.
    text = f"{n:.1f}" if n < 99.95 else f"{n:.0f}"
    if float(text) >= 1000 and i < len(_UNITS) - 1:
        n /= 1000.0
        i += 1
        text = f"{n:.1f}"
    return f"{text} {_UNITS[i]}"


def human_seconds(s: float | None) -> str:
    """``1.8432`` -> ``"1.84 s"``; ``83.2`` -> ``"1 min 23 s"``."""
    if s is None:
        return "?"
    if s < 10:
        return f"{s:.2f} s"
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {sec} s"
    h, m = divmod(m, 60)
    return f"{h} h {m} min"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def counts_phrase(summary: dict) -> str:
    """``"2 warnings, 1 info"``, or ``"no findings"``."""
    parts = []
    for sev in SEVERITIES:
        n = summary.get(sev) or 0
        if n:
            parts.append(plural(n, sev, "info" if sev == "info" else None))
    return ", ".join(parts) if parts else "no findings"


def summary_parts(report: dict) -> list[str]:
    """The pieces of the summary line, in order; unknown figures are left out."""
    s = report.get("summary") or {}
    parts = [counts_phrase(s)]
    if s.get("wall_s") is not None:
        parts.append(human_seconds(s["wall_s"]))
    jobs = s.get("jobs")
    if jobs is not None:
        parts.append(plural(jobs, "job") if jobs else "no Spark jobs")
    if jobs and s.get("queries"):
        parts.append(plural(s["queries"], "SQL query", "SQL queries"))
    if jobs and s.get("stages") is not None:
        parts.append(plural(s["stages"], "stage"))
    if jobs and s.get("tasks") is not None:
        parts.append(plural(s["tasks"], "task"))
    read, write = s.get("shuffle_read_bytes"), s.get("shuffle_write_bytes")
    if read is not None or write is not None:
        if not read and not write:
            parts.append("no shuffle")
        else:
            parts.append(f"shuffle {human_bytes(read)} read / {human_bytes(write)} written")
    spill = s.get("spill_bytes")
    if spill is not None:
        parts.append(f"spill {human_bytes(spill)}" if spill else "no spill")
    return parts


def summary_line(report: dict) -> str:
    """The summary parts joined with middle dots:
    ``2 warnings, 1 info · 1.84 s · 3 jobs · 2 SQL queries · 5 stages · shuffle 12.3 MB read /
    12.1 MB written · no spill`` (the SQL queries only when there are some)."""
    return " \u00b7 ".join(summary_parts(report))


def context_line(report: dict) -> str:
    """``"Spark: classic local · figures from status tracker, REST API"`` (empty when nothing is known)."""
    s = report.get("summary") or {}
    parts = []
    if s.get("spark") and s["spark"] != "none":
        parts.append(f"Spark: {s['spark']}")
    if s.get("sources"):
        parts.append("figures from " + ", ".join(s["sources"]))
    return " \u00b7 ".join(parts)


def finding_title(f: dict) -> str:
    """The rule's one-line summary, falling back to its name."""
    return (f.get("title") or "").strip() or f.get("name") or f.get("code", "")


def finding_location(f: dict) -> str:
    line = f.get("line")
    return f"line {line}" if line else ""


def flag_index(flagged) -> tuple[dict[int, list[str]], dict[tuple, list[str]]]:
    """Flagged plan nodes as ``({operator id: codes}, {path tuple: codes})``.

    Entries are an operator id (int), a path of child indexes (list) or
    ``{"id"|"path": ..., "codes": [...]}``.
    """
    ids: dict[int, list[str]] = {}
    paths: dict[tuple, list[str]] = {}
    for entry in flagged or ():
        codes: list[str] = []
        if isinstance(entry, dict):
            codes = list(entry.get("codes") or ())
            if entry.get("id") is not None:
                _merge(ids, entry["id"], codes)
            if entry.get("path") is not None:
                _merge(paths, tuple(entry["path"]), codes)
        elif isinstance(entry, bool):
            continue
        elif isinstance(entry, int):
            _merge(ids, entry, codes)
        elif isinstance(entry, (list, tuple)):
            _merge(paths, tuple(entry), codes)
    return ids, paths


def _merge(table: dict, key, codes: list[str]) -> None:
    have = table.setdefault(key, [])
    for c in codes:
        if c not in have:
            have.append(c)


def node_label(node: dict) -> str:
    """``SortMergeJoin [k#1L], [k#3L], Inner (9) [est. 12.3 MB, 1,000 rows]``."""
    label = node.get("operator", "?")
    if node.get("args"):
        label += " " + node["args"]
    if node.get("id") is not None:
        label += f" ({node['id']})"
    est = []
    if node.get("size") is not None:
        est.append(human_bytes(node["size"]))
    if node.get("rows") is not None:
        est.append(f"{node['rows']:,} row{'' if node['rows'] == 1 else 's'}")
    if est:
        label += f" [est. {', '.join(est)}]"
    return label


def plan_rows(plan: dict) -> list[tuple[str, dict, list[str] | None]]:
    """The plan tree drawn like Spark's explain: ``(prefix, node, codes)`` per node, parents first;
    ``codes`` is None for nodes nobody flagged (an empty list for nodes flagged without codes)."""
    ids, paths = flag_index(plan.get("flagged"))
    rows: list[tuple[str, dict, list[str] | None]] = []

    def visit(node: dict, path: tuple, prefix: str, indent: str) -> None:
        codes = None
        if path in paths:
            codes = list(paths[path])
        nid = node.get("id")
        if nid is not None and not isinstance(nid, bool) and nid in ids:
            codes = (codes or []) + [c for c in ids[nid] if c not in (codes or [])]
        rows.append((prefix, node, codes))
        children = node.get("children") or []
        for i, child in enumerate(children):
            last = i == len(children) - 1
            visit(child, path + (i,), indent + ("+- " if last else ":- "), indent + ("   " if last else ":  "))

    if plan.get("tree"):
        visit(plan["tree"], (), "", "")
    return rows


def flagged_count(plan: dict) -> int:
    return sum(1 for _, _, codes in plan_rows(plan) if codes is not None)


_TREE_ID = re.compile(r"\((\d+)\)\s*$")
_DETAIL_ID = re.compile(r"^\((\d+)\) ")


def explain_rows(plan: dict) -> list[tuple[str, list[str] | None]]:
    """The plan's explain text, line by line, with the codes of flagged operators named by id:
    ``+- Exchange (3)`` in a tree block of ``explain("formatted")``, or a ``(3) Exchange`` detail
    heading.  ``None`` for lines naming no flagged operator (text without ids marks nothing)."""
    ids, _ = flag_index(plan.get("flagged"))
    rows: list[tuple[str, list[str] | None]] = []
    in_tree = True  # the text opens with a tree (or its "== Physical Plan ==" header)
    for line in (plan.get("text") or "").rstrip("\n").splitlines():
        if not line.strip():
            in_tree = False
        elif line.lstrip().startswith("=="):
            in_tree = True
        m = _DETAIL_ID.match(line) or (_TREE_ID.search(line) if in_tree else None)
        found = int(m.group(1)) if m else None
        rows.append((line, list(ids[found]) if found is not None and found in ids else None))
    return rows


_RDD_ID = re.compile(r"([A-Za-z_$][\w$]*)\[(\d+)\] at ")


def lineage_rows(lineage: dict) -> list[tuple[str, str]]:
    """The lineage as ``(line, kind)``: its ``toDebugString`` lines (or one line per RDD node when
    there is no text); kind is ``"flagged"`` for flagged RDD ids, ``"shuffle"`` for shuffle RDDs,
    else ``""``."""
    flagged = {i for i in lineage.get("flagged") or () if not isinstance(i, bool)}
    rows = []
    for line in lineage_lines(lineage):
        m = _RDD_ID.search(line)
        rid = int(m.group(2)) if m else None
        kind = ("flagged" if rid is not None and rid in flagged
                else "shuffle" if m and m.group(1) in SHUFFLE_RDDS else "")
        rows.append((line, kind))
    return rows


SHUFFLE_RDDS = ("ShuffledRDD", "CoGroupedRDD", "SubtractedRDD")


def lineage_shuffles(lineage: dict) -> int:
    return sum(1 for n in lineage.get("nodes") or () if n.get("name") in SHUFFLE_RDDS)


def lineage_lines(lineage: dict) -> list[str]:
    """The lineage as text: its ``toDebugString``, or one line per RDD node when there is none."""
    if lineage.get("text"):
        return lineage["text"].rstrip("\n").splitlines()
    out = []
    for n in lineage.get("nodes") or ():
        rid = f"[{n['id']}]" if n.get("id") is not None else ""
        parts = f"({n['partitions']}) " if n.get("partitions") is not None else ""
        out.append(f"{'   ' * (n.get('stage') or 0)}{parts}{n.get('name', '?')}{rid} at {n.get('call', '')}".rstrip())
    return out


def diff_kind(line: str) -> str:
    """``"head"`` | ``"hunk"`` | ``"add"`` | ``"del"`` | ``"ctx"`` for one unified-diff line."""
    if line.startswith(("+++", "---")):
        return "head"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "ctx"


def plan_heading(plan: dict) -> str:
    """``"joined · line 4 · adaptive (final) · 1 flagged"``."""
    parts = [plan.get("name") or "DataFrame"]
    if plan.get("line"):
        parts.append(f"line {plan['line']}")
    if plan.get("adaptive"):
        parts.append("adaptive (final plan)" if plan.get("final") else "adaptive (initial plan)")
    n = flagged_count(plan)
    if n:
        parts.append(f"{n} flagged")
    return " \u00b7 ".join(parts)


def lineage_heading(lineage: dict) -> str:
    parts = [lineage.get("name") or "RDD"]
    if lineage.get("line"):
        parts.append(f"line {lineage['line']}")
    n = lineage_shuffles(lineage)
    parts.append(plural(n, "shuffle") if n else "no shuffle")
    if lineage.get("flagged"):
        parts.append(f"{len(lineage['flagged'])} flagged")
    return " \u00b7 ".join(parts)


__all__ = [
    "MIME", "SEVERITIES", "human_bytes", "human_seconds", "summary_line", "summary_parts", "counts_phrase",
    "context_line", "finding_title", "flag_index", "plan_rows", "explain_rows", "lineage_rows",
    "diff_kind",
]
