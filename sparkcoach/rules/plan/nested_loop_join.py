"""## What it does
Checks for joins that Spark runs as nested loops.  These are
`BroadcastNestedLoopJoin` and `CartesianProduct` operators in a DataFrame's plan.  They come from join conditions
without an equality Spark can hash on: a non-equi condition (`a.ts < b.ts`), an
`OR` of conditions, a `NOT IN` subquery (null-aware, so it compares every pair of
rows), or no condition at all.  The message says which, with the rewrite.

## Why is this bad?
A nested-loop join compares every row of one side with every row of the other:
two sides of a million rows make a trillion comparisons, and a broadcast
nested-loop join also ships one whole side to every executor.  An equality in
the condition lets Spark hash or sort-merge join instead and apply the rest of
the condition to the few matching pairs.

Left alone: a `BroadcastNestedLoopJoin` whose one side is tiny (under 10 KB or
1,000 rows by Spark's estimate), which is the right plan for it; joins of two
sides whose size Spark does not know; and a join without condition that the
static `cross-join` check (SPK302) already reports, or whose sides are not both
known to be large.

## Example
```python
overlaps = events.join(windows, (events.ts >= windows.start) & (events.ts < windows.end))
either = a.join(b, (a.email == b.email) | (a.phone == b.phone))
missing = spark.sql("SELECT * FROM orders WHERE customer_id NOT IN (SELECT id FROM customers)")
```

Use instead:
```python
events_d = events.withColumn("day", F.to_date("ts"))
windows_d = windows.withColumn("day", F.explode(F.sequence(F.to_date("start"), F.to_date("end"))))
overlaps = events_d.join(windows_d, (events_d.day == windows_d.day) & (events_d.ts >= windows_d.start)
                         & (events_d.ts < windows_d.end))
either = a.join(b, a.email == b.email).unionByName(a.join(b, a.phone == b.phone)).dropDuplicates()
missing = spark.sql("SELECT * FROM orders o WHERE NOT EXISTS "
                    "(SELECT 1 FROM customers c WHERE c.id = o.customer_id)")
```
"""

from __future__ import annotations

import re

from ...rules.base import plan_rule
from ._plan import (bare, estimate, human, ident, join_sides, join_type, op, plan_name, rows_of, side_name,
                    split_commas, split_top, static_at, strip_parens)

TINY_BYTES = 10_000
TINY_ROWS = 1_000


def condition(node) -> str:
    """The join condition ("" when there is none)."""
    d = node.details or {}
    c = d.get("Join condition")
    if c is not None:
        return "" if str(c).strip() == "None" else str(c).strip()
    parts = split_commas(node.args or "")
    rest = [p for p in parts if p not in ("BuildLeft", "BuildRight", "true", "false") and not re.fullmatch(
        r"(Inner|Cross|LeftOuter|RightOuter|FullOuter|LeftSemi|LeftAnti|ExistenceJoin\(.*\))", p)]
    return ", ".join(rest)


def build_side(node) -> str | None:
    """"left" / "right": the side a broadcast nested-loop join broadcasts."""
    d = node.details or {}
    b = d.get("Build side")
    if b:
        return str(b).lower()
    m = re.search(r"\bBuild(Left|Right)\b", node.args or "")
    return m.group(1).lower() if m else None


def tiny(side, ctx) -> bool:
    """A side small enough that a nested loop over it is the right plan (10 KB or 1,000 rows by default)."""
    limit = ctx.settings.extra.get("nested_loop_tiny_bytes", TINY_BYTES)
    size = estimate(side)
    rows = rows_of(side)
    if size is not None and size < limit:
        return True
    if rows is not None and rows <= ctx.settings.extra.get("nested_loop_tiny_rows", TINY_ROWS):
        return True
    return op(side) == "LocalTableScan" and size is not None and size < 10 * limit


def _not_in(cond: str, jt: str) -> tuple[list[str], list[str]] | None:
    """``((a#1 = b#2) OR isnull((a#1 = b#2)))`` per column under a LeftAnti join: NOT IN's null-aware
    comparison.  The (outer, subquery) expressions of each column."""
    if jt != "LeftAnti" or "isnull(" not in cond:
        return None
    outer, inner = [], []
    for part in split_top(cond, "AND"):
        alts = split_top(part, "OR")
        if len(alts) != 2 or not alts[1].startswith("isnull("):
            return None
        m = re.fullmatch(r"(.+?) = (.+)", strip_parens(alts[0]))
        if not m:
            return None
        outer.append(bare(strip_parens(m.group(1).strip())))
        inner.append(bare(strip_parens(m.group(2).strip())))
    return (outer, inner) if outer else None


def _ids(node) -> set[str]:
    """The attribute references (``id#3L``) a subtree mentions."""
    out: set[str] = set()
    for n in node.walk():
        out.update(re.findall(r"[A-Za-z_]\w*#\d+L?", n.args or ""))
        for v in (n.details or {}).values():
            if isinstance(v, str):
                out.update(re.findall(r"[A-Za-z_]\w*#\d+L?", v))
    return out


def _namer(sides, ctx):
    """Renders an expression with the user's column names, qualified by side (``a.id < b.id``) when the same
    name comes from both sides."""
    left, right = sides
    lids, rids = _ids(left), _ids(right)
    names = [side_name(left, right, ctx) or "left", side_name(right, left, ctx) or "right"]
    if names[0] == names[1]:
        names = ["left", "right"]

    def render(expr: str) -> str:
        refs = re.findall(r"[A-Za-z_]\w*#\d+L?", expr)
        plain = {r: bare(r) for r in refs}
        clash = len(set(plain.values())) < len(set(plain))
        if not clash:
            return bare(expr)

        def one(m):
            ref = m.group(0)
            side = names[0] if ref in lids else names[1] if ref in rids else None
            return f"{side}.{bare(ref)}" if side else bare(ref)

        return re.sub(r"[A-Za-z_]\w*#\d+L?", one, expr)

    return render


def _kind(cond: str, jt: str, render=bare):
    """("not-in", (left, right)) | ("or", alternatives) | ("non-equi", conjuncts) | ("none", None)."""
    if not cond:
        return "none", None
    pair = _not_in(cond, jt)
    if pair:
        return "not-in", pair
    alts = split_top(cond, "OR")
    if len(alts) > 1:
        return "or", [render(strip_parens(a)) for a in alts]
    return "non-equi", [render(strip_parens(c)) for c in split_top(cond, "AND")]


@plan_rule("SPK351", "nested-loop-join", "warning", "BroadcastNestedLoopJoin", "CartesianProduct")
def nested_loop_join(node, ctx) -> None:
    sides = join_sides(node)
    if sides is None:
        return
    name = op(node)
    if name == "BroadcastNestedLoopJoin" and any(tiny(s, ctx) for s in sides):
        return
    sizes = [estimate(s) for s in sides]
    if all(s is None for s in sizes):
        return  # Spark knows neither side's size (e.g. DataFrames made from local data): nothing to go on
    jt = join_type(node)
    cond = condition(node)
    kind, what = _kind(cond, jt, _namer(sides, ctx))
    if kind == "none" and (static_at(ctx, "SPK302") or None in sizes or any(tiny(s, ctx) for s in sides)):
        return  # the static cross-join finding already says it, or the product may well be small
    sized = " and ".join(f"~{human(s)}" for s in sizes if s is not None)
    if name == "BroadcastNestedLoopJoin":
        b = build_side(node)
        how = (f"a broadcast nested-loop join (the {b} side is broadcast and compared with every row of the "
               f"other)" if b else "a broadcast nested-loop join")
    else:
        how = "a cartesian product (every row of one side paired with every row of the other)"
    if sized:
        how += f", sides {sized}"
    if kind == "not-in":
        outer, inner = what
        lhs = outer[0] if len(outer) == 1 else "(" + ", ".join(outer) + ")"
        match = " AND ".join(f"{i} = {o}" for o, i in zip(outer, inner))
        msg = (f"runs `{lhs} NOT IN (SELECT {', '.join(inner)} ...)` as {how}: NOT IN must treat NULLs specially, "
               f"so Spark cannot hash-join it; write it as `NOT EXISTS (SELECT 1 ... WHERE {match})` in SQL, or a "
               f"`\"left_anti\"` join on {' and '.join(f'`{o} == {i}`' for o, i in zip(outer, inner))} with "
               f"DataFrames (the same result when the subquery's columns have no NULLs)")
    elif kind == "or":
        shown = " OR ".join(f"`{a}`" for a in what[:3]) + (" OR ..." if len(what) > 3 else "")
        equi = [a for a in what if re.search(r"(?<![<>!])=(?!=)", a)]
        msg = (f"joins on an OR of conditions ({shown}) as {how}; Spark hashes only on a condition every match "
               f"satisfies: join once per alternative"
               + (" that has an equality" if len(equi) < len(what) else "")
               + " and `unionByName` the results (then `dropDuplicates()` if a pair can match both)")
    elif kind == "non-equi":
        shown = " AND ".join(f"`{c}`" for c in what[:3]) + (" AND ..." if len(what) > 3 else "")
        cols = _columns(what)
        hint = (f" (e.g. both sides bucketed by day, or by `floor({cols[0]} / width)`, the range side exploded "
                f"over the buckets it covers)" if cols else "")
        msg = (f"joins on a condition without an equality ({shown}) as {how}: add an equality on a shared key"
               f"{hint} so Spark can hash-join and check {shown if len(what) == 1 else 'the rest'} only on "
               f"matching pairs")
    else:
        msg = (f"is {how} with no join condition: if the product is intended, make one side small and "
               f"`broadcast()` it; otherwise add the join key to `join(...)`")
    ctx.report(f"{plan_name(ctx)} {msg}", key=ident(node))


def _columns(conjuncts) -> list[str]:
    names: list[str] = []
    for c in conjuncts:
        for a in re.findall(r"[A-Za-z_][\w.]*", c):
            if a not in names and a.lower() not in ("and", "or", "not", "null", "isnull", "cast", "as", "true",
                                                   "false") and not a.isdigit():
                names.append(a)
    # the user's column names only (functions are followed by "(")
    return [n for n in names if not re.search(rf"\b{re.escape(n)}\(", " ".join(conjuncts))]

