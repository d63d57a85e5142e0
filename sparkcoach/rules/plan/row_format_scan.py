"""## What it does
Checks file scans for row formats and for filters that are not pushed down.
Reported: a CSV or JSON scan feeding analysis (an aggregation, join, window or
top-n query), with the one-time conversion to Parquet; and a Parquet or ORC scan
under a filter that wraps a column in an expression (`col + 1 = 3`,
`year(ts) = 2024`, `cast(id as string) = '7'`), which Spark cannot push down to
the scan (no `PushedFilters` entry on that column), with the filter written on
the bare column.

## Why is this bad?
CSV and JSON are parsed in full, as text, on every read: every column of every
row, with no statistics to skip anything.  Parquet reads only the columns a
query uses and skips row groups using min/max statistics, so converting a file
that is queried more than once pays for itself quickly.  A filter on a bare
column compared with a literal is pushed into the Parquet/ORC reader (and into
partition pruning); wrapping the column in an expression keeps it out, so Spark
reads and decodes every row group and partition first.

Left alone: CSV/JSON DataFrames that are only loaded, projected, filtered,
sorted or repartitioned (such as a conversion to Parquet), filters comparing two
columns, filters on partition columns (partition pruning evaluates expressions),
and filters whose expression has no bare-column equivalent.

## Example
```python
sales = spark.read.csv("sales.csv", header=True, schema=schema)
by_day = sales.groupBy("day").agg(F.sum("amount"))
recent = spark.read.parquet("events").filter(F.year("ts") == 2024)
```

Use instead:
```python
spark.read.csv("sales.csv", header=True, schema=schema).write.parquet("sales.parquet")  # once
by_day = spark.read.parquet("sales.parquet").groupBy("day").agg(F.sum("amount"))
recent = spark.read.parquet("events").filter((F.col("ts") >= "2024-01-01") & (F.col("ts") < "2025-01-01"))
```
"""

from __future__ import annotations

import re

from ...rules.base import plan_rule
from ._plan import (AGGREGATES, JOINS, TRANSPARENT, bare, human, ident, op, plan_name, size_of, split_top,
                    static_at, strip_parens, up, work_name)

ROW_FORMATS = {"csv": "CSV", "json": "JSON"}
COLUMNAR = {"parquet": "Parquet", "orc": "ORC"}
# Analysis (not a conversion, which may well filter, project, sort or repartition on the way to Parquet).
_WORK = AGGREGATES | JOINS | frozenset({"Window", "WindowGroupLimit", "TakeOrderedAndProject"})


def scan_format(node) -> str:
    """"csv", "json", "parquet", ... (lower case)."""
    d = node.details or {}
    f = str(d.get("Format") or "").lower()
    if not f:
        m = re.search(r"\bFormat: (\w+)", node.args or "")
        if m:
            f = m.group(1).lower()
        else:
            m = re.match(r"\s*(\w+)", node.args or "")
            f = m.group(1).lower() if m else ""
    return {"csvfileformat": "csv", "jsonfileformat": "json", "parquetfileformat": "parquet"}.get(f, f)


def detail(node, key: str) -> str | None:
    """A scan's ``Key: value`` entry (``PushedFilters``, ``Location``, ...), from either capture path."""
    d = node.details or {}
    if key in d:
        return str(d[key])
    m = re.search(rf"\b{key}: (\[[^\]]*\]|\S+)", node.args or "")
    return m.group(1) if m else None


def location(node) -> str:
    """The first path a scan reads (" ..." when there are more)."""
    loc = detail(node, "Location") or ""
    m = re.search(r"\[([^\]]*)\]\s*$", loc)
    paths = (m.group(1) if m else loc).strip()
    return paths.split(", ")[0] + (" ..." if ", " in paths else "") if paths else ""


def _feeds_work(node, ctx):
    p = up(node, ctx)
    while p is not None:
        if op(p) in _WORK:
            return p
        p = up(p, ctx)
    return None


# --------------------------------------------------------------------------------------- filters not pushed down
def _filter_above(node, ctx):
    p = ctx.parent(node)
    while p is not None and op(p) in TRANSPARENT:
        p = ctx.parent(p)
    return p if p is not None and op(p) == "Filter" else None


def _pushed_columns(node) -> set[str]:
    """Columns with a pushed data filter or a partition filter other than a null check."""
    cols: set[str] = set()
    pushed = detail(node, "PushedFilters") or ""
    for m in re.finditer(r"\b(\w+)\(([^,()]+)", pushed):
        if m.group(1) not in ("IsNotNull",):
            cols.add(m.group(2).strip().strip("`"))
    partition = (detail(node, "PartitionFilters") or "").strip()
    for conj in re.split(r",\s*(?![^()]*\))", partition.strip("[]")):
        conj = conj.strip()
        if conj and not conj.startswith("isnotnull("):
            cols.update(bare(a) for a in re.findall(r"[A-Za-z_][\w]*#\d+L?", conj))
    return cols


_ARITH = re.compile(r"^\((\w+) ([+-]) (-?\d+)\) = (-?\d+)$")
_YEAR = re.compile(r"^year\((?:cast\()?(\w+)(?: as date\))?\) = (\d{4})$")
_CAST = re.compile(r"^cast\((\w+) as (\w+)\) = (.+)$")
_WRAPPED = re.compile(r"^(?:(?:lower|upper|trim|substring|date_format|to_date|cast|year|month|abs|coalesce|concat)"
                      r"\(|\()")


def _rewrite(conj: str) -> str | None:
    """How to write a conjunct on one wrapped column as a comparison on the bare column, when there is one."""
    m = _ARITH.match(conj)
    if m:
        col, sign, a, b = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        return f"`{col} = {b - a if sign == '+' else b + a}`"
    m = _YEAR.match(conj)
    if m:
        col, y = m.group(1), int(m.group(2))
        return f"`{col} >= '{y}-01-01' AND {col} < '{y + 1}-01-01'`"
    m = _CAST.match(conj)
    if m:
        return f"a comparison of `{m.group(1)}` with a literal of its own type"
    return None


@plan_rule("SPK550", "row-format-scan", "info", "FileScan", "BatchScan")
def row_format_scan(node, ctx) -> None:
    fmt = scan_format(node)
    if fmt in ROW_FORMATS:
        work = _feeds_work(node, ctx)
        if work is None:
            return  # only loaded, projected or filtered (e.g. converted): parsing it once is the job
        where = location(node)
        size = size_of(node)  # of the columns the query reads: Spark's estimate of the scan's output
        target = re.sub(r"\.(csv|json)$", "", where.rstrip("/")) + ".parquet" if where else "<path>.parquet"
        label = ROW_FORMATS[fmt]
        ctx.report(f"{plan_name(ctx)} parses {label} from {where or 'a file'}"
                   f"{f' (~{human(size)} in the columns it reads)' if size else ''} for {work_name(work)}: "
                   f"{label} is re-parsed in full, every column, on every read; convert it once to Parquet"
                   f" (`spark.read.{fmt}(...).write.parquet(\"{target}\")`) and read that with "
                   f"`spark.read.parquet`", key=("SPK550", fmt, where))
        return
    if fmt not in COLUMNAR:
        return
    flt = _filter_above(node, ctx)
    if flt is None or static_at(ctx, "SPK605"):
        return
    pushed = _pushed_columns(node)
    listed = str((node.details or {}).get("Output") or (node.args or "").split("]")[0])
    output = {bare(a) for a in re.findall(r"[A-Za-z_]\w*#\d+L?", listed)}
    for conj in split_top(flt.args or str((flt.details or {}).get("Condition") or ""), "AND"):
        conj = strip_parens(conj)
        if conj.startswith("isnotnull("):
            continue
        refs = {bare(a) for a in re.findall(r"[A-Za-z_]\w*#\d+L?", conj)}
        if len(refs) != 1:
            continue  # two columns compared, or a constant: nothing to push either way
        col = next(iter(refs))
        if (output and col not in output) or col in pushed:
            continue
        text = bare(conj)
        if not _WRAPPED.match(text):
            continue
        better = _rewrite(text)
        if better is None:
            continue
        ctx.report(f"{plan_name(ctx)} filters `{text}`, which wraps `{col}` in an expression, so the filter is not "
                   f"pushed down to the {COLUMNAR[fmt]} scan (no pushed filter on `{col}`) and every row group is "
                   f"read; write it as {better}", key=("SPK550", ident(flt)))
