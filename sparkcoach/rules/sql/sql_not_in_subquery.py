"""## What it does
Checks for `x NOT IN (SELECT ...)` in a `spark.sql(...)` query.

## Why is this bad?
Because of SQL's NULL logic, `NOT IN (subquery)` cannot run as an ordinary
anti join: Spark broadcasts the entire subquery result for a null-aware anti
join, or falls back to a broadcast nested-loop join that compares every row
with every row.  (One NULL in the subquery makes the predicate unknown for
every row, and a NULL `x` never qualifies.)  A large subquery result runs out
of memory or crawls.  `NOT EXISTS` and `LEFT ANTI JOIN` have no such NULL
semantics and run as a shuffled hash or sort-merge anti join.

`NOT IN (1, 2, 3)` with a list of values is not reported.

## Example
```python
spark.sql("SELECT * FROM orders WHERE customer_id NOT IN (SELECT customer_id FROM blocked)")
```

Use instead:
```python
spark.sql(
    "SELECT * FROM orders WHERE NOT EXISTS "
    "(SELECT 1 FROM blocked WHERE blocked.customer_id = orders.customer_id)"
)
# or
spark.sql(
    "SELECT o.* FROM orders o LEFT ANTI JOIN blocked b ON o.customer_id = b.customer_id"
)
```

## Fix safety
The rewrite to `NOT EXISTS` is unsafe: the results differ when the subquery
returns a NULL (then `NOT IN` returns no row at all) or when `x` is NULL (`NOT
IN` drops the row, `NOT EXISTS` keeps it).  It is offered only for a single
column against a simple `SELECT col FROM table [WHERE ...]`.
"""

from __future__ import annotations

from ...engine import sql as S
from ...rules.base import sql_rule


def _outer_qualifier(col, node, exp) -> str | None:
    if col.table:
        return col.table
    outer = node.find_ancestor(exp.Select)
    if outer is None:
        return None
    srcs = S.sources(outer)
    if len(srcs) != 1:
        return None
    return S.source_name(srcs[0][0])


def _simple_inner(q, exp):
    """(projected column, the table, its qualifier) of ``SELECT col FROM t [WHERE ...]``, else None."""
    if not isinstance(q, exp.Select) or len(q.expressions) != 1:
        return None
    if any(q.args.get(k) for k in ("joins", "group", "having", "limit", "offset", "laterals", "qualify",
                                   "windows", "distribute", "sort", "cluster")):
        return None
    col = q.expressions[0]
    if not isinstance(col, exp.Column) or isinstance(col.this, exp.Star):
        return None
    srcs = S.sources(q)
    if len(srcs) != 1 or not isinstance(srcs[0][0], exp.Table) or not isinstance(srcs[0][0].this, exp.Identifier):
        return None
    table = srcs[0][0]
    return col, table, S.source_name(table)


@sql_rule("SPK604", "sql-not-in-subquery", "warning", "Not")
def sql_not_in_subquery(node, ctx):
    exp = ctx.exp
    inner = node.this
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if not isinstance(inner, exp.In):
        return
    sub = inner.args.get("query")
    if sub is None:
        return
    q = sub.this if isinstance(sub, exp.Subquery) else sub
    while isinstance(q, exp.Subquery):
        q = q.this
    probe = inner.this
    original = ctx.show(node, limit=70)

    rewrite = fix = None
    simple = _simple_inner(q, exp)
    if isinstance(probe, exp.Column) and not isinstance(probe.this, exp.Star) and simple is not None:
        icol, table, iq = simple
        oq = _outer_qualifier(probe, node, exp)
        if oq and iq and oq.lower() != iq.lower():
            where = S.arg(q, "where")
            extra = ""
            if where is not None:
                span = ctx.span_of(where.this)
                if span is None:
                    extra = None
                else:
                    cond = ctx.text[span[0]:span[1]]
                    extra = f" AND ({cond})" if isinstance(where.this, exp.Or) else f" AND {cond}"
            if extra is not None:
                table_sql = ctx.sql(table)
                inner_ref = ctx.sql(icol) if icol.table else f"{iq}.{ctx.sql(icol)}"
                outer_ref = ctx.sql(probe) if probe.table else f"{oq}.{ctx.sql(probe)}"
                rewrite = (f"NOT EXISTS (SELECT 1 FROM {table_sql} WHERE {inner_ref} = {outer_ref}{extra})")
                anti = f"LEFT ANTI JOIN {table_sql} ON {outer_ref} = {inner_ref}" if not extra else None
                span = ctx.span_of(node)
                if span is not None:
                    expected = ctx.replaced(node, S.parse_expression(rewrite))
                    edit = ctx.rewrite(span[0], span[1], rewrite, expected) if expected is not None else None
                    if edit is not None:
                        fix = ctx.fix("Rewrite NOT IN (subquery) as NOT EXISTS", [edit], safe=False)
                suggestion = f"`{ctx.show(rewrite, limit=160)}`"
                if anti:
                    suggestion += f" (or `FROM ... {ctx.show(anti, limit=120)}`)"
    if rewrite is None:
        suggestion = "`NOT EXISTS (SELECT 1 FROM ... WHERE <inner col> = <outer col>)` or a `LEFT ANTI JOIN`"
    ctx.report(
        f"`{original}`: NOT IN over a subquery must honour NULLs, so Spark broadcasts the whole subquery "
        f"result or runs a nested-loop join; use {suggestion}, which can run as a regular anti join "
        f"(unlike NOT IN, it keeps rows where `{ctx.show(probe, limit=40)}` is NULL)",
        fix,
    )
