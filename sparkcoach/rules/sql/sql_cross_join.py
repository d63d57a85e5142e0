"""## What it does
Checks for a Cartesian product in a `spark.sql(...)` query.  That is a `JOIN`
without `ON`/`USING` (or with `ON TRUE`, `ON 1 = 1`), and a `CROSS JOIN` or comma join
`FROM a, b` whose `WHERE` has no equality relating the two sides (a range such as
`WHERE a.ts BETWEEN b.start AND b.end` alone still leaves every pair to compare).

## Why is this bad?
Every row of one side is paired with every row of the other: a million rows
crossed with a million rows is a trillion-row intermediate result.  With no
equality to hash or sort on, Spark can only run it as a broadcast nested-loop
join or a `CartesianProduct`, one of the slowest plans it has, and a forgotten
join condition usually means wrong results as well.

Not reported: a side that is one row or a literal handful (a global aggregate
such as `(SELECT max(day) AS last_day FROM t)`, `VALUES`, `SELECT <literals>`,
`LIMIT 1`, `range(10)`, `explode(sequence(...))`), a side named in a
`BROADCAST` hint, `LATERAL VIEW`, comma and cross joins whose `WHERE` equates
the tables (`FROM a, b WHERE a.id = b.id` is an ordinary join), and an explicit
`JOIN ... ON <condition>` of any kind (range joins are written that way on purpose).

## Example
```python
spark.sql("SELECT o.id, c.name FROM orders o, customers c WHERE o.amount > 100")
```

Use instead:
```python
spark.sql(
    "SELECT o.id, c.name FROM orders o JOIN customers c ON o.customer_id = c.customer_id "
    "WHERE o.amount > 100"
)
```
"""

from __future__ import annotations

import re

from ...engine import sql as S
from ...rules.base import sql_rule

_HINTS = {"BROADCAST", "BROADCASTJOIN", "MAPJOIN"}


class _Groups:
    def __init__(self, n: int):
        self.up = list(range(n))

    def find(self, i: int) -> int:
        while self.up[i] != i:
            self.up[i] = self.up[self.up[i]]
            i = self.up[i]
        return i

    def join(self, items) -> None:
        items = list(items)
        for other in items[1:]:
            a, b = self.find(items[0]), self.find(other)
            if a != b:
                self.up[b] = a


def _hinted(select, exp) -> set[str]:
    out = set()
    hint = select.args.get("hint")
    if hint is None:
        return out
    for h in hint.expressions:
        if isinstance(h, exp.JoinHint) and str(h.this).upper() in _HINTS:
            for t in h.expressions:
                out.add(t.name.lower() if hasattr(t, "name") else str(t).lower())
        elif isinstance(h, exp.Anonymous) and str(h.this).upper() in _HINTS:
            for t in h.expressions:
                out.add(t.name.lower() if hasattr(t, "name") else str(t).lower())
    return out


def _trivial(cond, exp) -> bool:
    """``ON TRUE``, ``ON 1 = 1``: a condition that mentions no column."""
    return not any(isinstance(n, (exp.Column, exp.Subquery, exp.Select)) for n in cond.walk())


def _tables_of(cond, names: dict, ctx, exp):
    """Source indices a condition refers to; None when it may refer to any (unqualified columns,
    f-string fields, subqueries)."""
    if ctx.has_placeholder(cond):
        return None
    if any(isinstance(n, (exp.Subquery, exp.Select, exp.Exists)) for n in cond.walk()):
        return None
    cols = list(cond.find_all(exp.Column))
    found = set()
    for c in cols:
        if isinstance(c.this, exp.Star):
            continue
        q = c.table.lower()
        if not q:
            return None if len(cols) > 1 else found
        if q not in names:
            return None
        found.add(names[q])
    return found


@sql_rule("SPK603", "sql-cross-join", "warning", "Select")
def sql_cross_join(node, ctx):
    joins = node.args.get("joins")
    if not joins:
        return
    exp = ctx.exp
    srcs = S.sources(node)
    if len(srcs) < 2:
        return
    names: dict[str, int] = {}
    for i, (src, _) in enumerate(srcs):
        n = S.source_name(src)
        if n:
            names.setdefault(n.lower(), i)
        if isinstance(src, exp.Table) and isinstance(src.this, exp.Identifier):
            names.setdefault(src.name.lower(), i)
    groups = _Groups(len(srcs))
    cte_map = S.ctes(ctx.root)
    hinted = _hinted(node, exp)
    small = [S.small_source(src, cte_map) or (S.source_name(src) or "").lower() in hinted for src, _ in srcs]
    unconditioned = {}
    for i, (src, j) in enumerate(srcs):
        if j is None:
            if i:
                unconditioned[i] = "comma"
            continue
        kind = (j.args.get("kind") or "").upper()
        on, using = j.args.get("on"), j.args.get("using")
        if using or (j.args.get("method") or "").upper() == "NATURAL" or kind in ("SEMI", "ANTI"):
            groups.join(range(i + 1))
        elif on is not None and not _trivial(on, exp):
            refs = _tables_of(on, names, ctx, exp)
            groups.join(range(i + 1) if refs is None else refs | {i})
        else:
            explicit = kind == "CROSS" and _explicit_cross(ctx.text, src)
            unconditioned[i] = "cross" if explicit else "comma" if kind == "CROSS" else "on"
    if not unconditioned:
        return
    where = S.arg(node, "where")
    ranged = False
    if where is not None:
        for part in S.conjuncts(where.this):
            if ctx.has_placeholder(part) or any(isinstance(n, (exp.Subquery, exp.Select, exp.Exists))
                                                for n in part.walk()):
                groups.join(range(len(srcs)))  # may relate any two sides: assume it does
                continue
            if not isinstance(part, (exp.EQ, exp.NullSafeEQ)):
                # a range or OR between the sides leaves Spark no key: still a nested-loop join
                refs = _tables_of(part, names, ctx, exp)
                ranged = ranged or refs is None or len(refs) > 1
                continue
            sides = [[c for c in side.find_all(exp.Column) if not isinstance(c.this, exp.Star)]
                     for side in (part.this, part.expression)]
            if not sides[0] or not sides[1]:
                continue  # a column against a constant
            if any(not c.table or c.table.lower() not in names for c in sides[0] + sides[1]):
                groups.join(range(len(srcs)))  # unqualified columns: assume they relate
                continue
            left, right = ({names[c.table.lower()] for c in cols} for cols in sides)
            if not (left & right):
                groups.join(left | right)
    big = [i for i in range(len(srcs)) if not small[i]]
    if len(big) < 2:
        return
    first = big[0]
    other = next((i for i in big if groups.find(i) != groups.find(first)), None)
    if other is None:
        return
    left, right = S.source_label(srcs[first][0], ctx), S.source_label(srcs[other][0], ctx)
    how = unconditioned.get(other)
    if how is None:  # the unrelated side came first: describe the join that brought the other in
        how = next((unconditioned[i] for i in sorted(unconditioned) if groups.find(i) != groups.find(other)),
                   "comma")
    lq, rq = ctx.show(_qualifier(srcs[first][0], left)), ctx.show(_qualifier(srcs[other][0], right))
    if how == "cross":
        what = f"`{left} CROSS JOIN {right}`{' (related only by a range in WHERE)' if ranged else ''} pairs"
    elif how == "on":
        what = f"`JOIN {right}` has no join condition: it pairs"
    else:
        relation = "equality" if ranged else "condition"
        what = f"`{right}` is comma-joined with no WHERE {relation} relating it to `{left}`: that pairs"
    ctx.report(
        f"{what} every row of `{left}` with every row of `{right}` (a Cartesian product, run as a "
        f"nested-loop join): join on the key, e.g. `JOIN {right} ON {lq}.<key> = {rq}.<key>`, "
        f"or if `{right}` is tiny say so with `/*+ BROADCAST({rq}) */`"
    )


def _explicit_cross(text: str, src) -> bool:
    name = src.name if hasattr(src, "name") else ""
    pattern = r"\bCROSS\s+JOIN\s+(?:[\w`]+\.)*`?" + re.escape(name) + r"\b"
    return bool(name) and bool(re.search(pattern, text, re.I))


def _qualifier(src, label: str) -> str:
    name = S.source_name(src)
    return name if name else label.split()[-1]
