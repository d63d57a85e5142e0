"""## What it does
Checks for `SELECT *` (or `a.*, b.*`) in a `spark.sql(...)` query whose result
is a join of two or more tables, views or `SELECT *` subqueries.

## Why is this bad?
A star over a join returns every column of every side: the join key comes out
twice (`customer_id` from both tables), so later references to it are
ambiguous, and Spark reads, shuffles and keeps columns nobody asked for.  The
query's output also changes silently whenever one of the tables gains a column.

`SELECT * FROM t` on a single table (the same as `spark.table("t")`), a star
that only adds the explicit columns of a subquery, `a.*, b.name`, `LEFT SEMI` /
`LEFT ANTI` joins (which return one side only) and `SELECT * EXCEPT (...)` are
not reported, nor is a star inside a subquery whose outer query picks columns
(Spark prunes the unused ones).

## Example
```python
orders = spark.sql(
    "SELECT * FROM orders o JOIN customers c ON o.customer_id = c.customer_id"
)
```

Use instead:
```python
orders = spark.sql(
    "SELECT o.*, c.name, c.segment FROM orders o "
    "JOIN customers c ON o.customer_id = c.customer_id"
)
```
"""

from __future__ import annotations

from ...engine import sql as S
from ...rules.base import sql_rule

_ONE_SIDED = ("SEMI", "ANTI")


def _star_kind(select, exp) -> tuple[bool, list] | None:
    """(bare ``*`` present, qualifiers of ``t.*`` in order), or None without a plain star."""
    bare, qualified = False, []
    for e in select.expressions:
        if isinstance(e, exp.Star):
            if any(e.args.get(k) for k in ("except", "except_", "replace", "replace_", "rename", "rename_")):
                return None
            bare = True
        elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            if any(e.this.args.get(k) for k in ("except", "except_", "replace", "replace_")):
                continue
            if e.table.lower() not in (q.lower() for q in qualified):
                qualified.append(e.table)
    if not bare and not qualified:
        return None
    return bare, qualified


def _opaque(src, cte_map, exp, depth=0) -> bool:
    """A FROM item whose columns the query does not spell out: a table, or a star subquery/CTE."""
    if depth > 6:
        return False
    if isinstance(src, exp.Table):
        if not isinstance(src.this, exp.Identifier):
            return False  # range(10), a table-valued function
        q = S.cte_of(src, cte_map)
        return True if q is None else _query_opaque(q, cte_map, exp, depth + 1)
    q = S.body(src, cte_map)
    return q is not None and _query_opaque(q, cte_map, exp, depth + 1)


def _query_opaque(q, cte_map, exp, depth) -> bool:
    if isinstance(q, exp.SetOperation):
        return _query_opaque(q.this, cte_map, exp, depth + 1)
    if not isinstance(q, exp.Select):
        return False
    if _star_kind(q, exp) is None:
        return False
    return any(_opaque(s, cte_map, exp, depth + 1) for s, _ in S.sources(q))


def _outer_uses_star(sub_alias: str | None, outer, exp) -> bool:
    kind = _star_kind(outer, exp)
    if kind is None:
        return False
    bare, qualified = kind
    return bare or (sub_alias is not None and sub_alias.lower() in (q.lower() for q in qualified))


def _reaches_output(q, ctx, exp, depth=0) -> bool:
    """Whether the rows of ``q``, with all their columns, are what the statement returns or writes."""
    if depth > 8:
        return False
    p = q.parent
    if p is None:
        return True
    if isinstance(p, exp.SetOperation):
        return _reaches_output(p, ctx, exp, depth + 1)
    if isinstance(p, exp.Subquery):
        pp = p.parent
        if isinstance(pp, (exp.From, exp.Join)) and isinstance(pp.parent, exp.Select):
            outer = pp.parent
            return _outer_uses_star(p.alias or None, outer, exp) and _reaches_output(outer, ctx, exp, depth + 1)
        if isinstance(pp, exp.SetOperation) or pp is None:
            return _reaches_output(p, ctx, exp, depth + 1)
        return False
    if isinstance(p, exp.CTE):
        name = (p.alias or "").lower()
        for t in ctx.root.find_all(exp.Table):
            if t.args.get("db") or t.name.lower() != name or not isinstance(t.parent, (exp.From, exp.Join)):
                continue
            outer = t.parent.parent
            if isinstance(outer, exp.Select) and _outer_uses_star(t.alias or t.name, outer, exp) \
                    and _reaches_output(outer, ctx, exp, depth + 1):
                return True
        return False
    if isinstance(p, exp.With):
        return False
    # INSERT ... SELECT, CREATE TABLE/VIEW ... AS SELECT, CACHE TABLE ... AS SELECT
    return isinstance(p, (exp.Insert, exp.Create, exp.Cache)) and p.args.get("expression") is q


def _duplicate_keys(select, joins, exp) -> list[str]:
    """Columns compared under the same name in ON or WHERE (``o.customer_id = c.customer_id``)."""
    out = []
    where = S.arg(select, "where")
    conditions = [j.args.get("on") for j in joins] + [where.this if where is not None else None]
    for cond in conditions:
        if cond is None:
            continue
        for eq in cond.find_all(exp.EQ):
            a, b = eq.this, eq.expression
            if isinstance(a, exp.Column) and isinstance(b, exp.Column) and a.name and \
                    a.name.lower() == b.name.lower() and a.table != b.table and a.name not in out:
                out.append(a.name)
    return out


@sql_rule("SPK601", "sql-select-star", "info", "Select")
def sql_select_star(node, ctx):
    joins = node.args.get("joins")
    if not joins:
        return
    exp = ctx.exp
    kind = _star_kind(node, exp)
    if kind is None:
        return
    bare, qualified = kind
    cte_map = S.ctes(ctx.root)
    adding = [(src, j) for src, j in S.sources(node)
              if j is None or (j.args.get("kind") or "").upper() not in _ONE_SIDED]
    if len(adding) < 2:
        return
    if bare:
        starred = [src for src, _ in adding if _opaque(src, cte_map, exp)]
    else:
        starred = [src for src, _ in adding
                   if (S.source_name(src) or "").lower() in {q.lower() for q in qualified}
                   and _opaque(src, cte_map, exp)]
    if len(starred) < 2:
        return
    if not _reaches_output(node, ctx, exp):
        return
    labels = [f"`{S.source_label(s, ctx)}`" for s in starred]
    tables = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else labels[0]
    star = "*" if bare else ", ".join(f"{ctx.show(q)}.*" for q in qualified)
    dups = _duplicate_keys(node, [j for _, j in adding if j is not None], exp) if bare else []
    twice = f" (`{dups[0]}` comes out twice)" if dups else ""
    first = S.source_name(starred[0]) or "a"
    second = S.source_name(starred[1]) or "b"
    ctx.report(
        f"`SELECT {star}` over the join of {tables} returns every column of each side{twice} and makes "
        f"Spark read and shuffle all of them: select the columns you need, e.g. "
        f"`SELECT {ctx.show(first)}.*, {ctx.show(second)}.<the columns you use>`"
    )
