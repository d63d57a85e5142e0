"""## What it does
Checks for an `ORDER BY` without `LIMIT` in a subquery or CTE of a `spark.sql(...)`
query whose order the outer query throws away.  That is when the outer query
groups, aggregates, joins, de-duplicates or sorts again, or when the subquery
feeds `IN`, `EXISTS` or a `UNION`/`INTERSECT`/`EXCEPT` (distinct).

## Why is this bad?
Spark does not keep a subquery's order through a join, an aggregation or a
shuffle, so the sort is dropped by the optimizer or, under a `UNION`, runs as a
full range-partitioned sort for nothing.  Either way the `ORDER BY` suggests an
order the result does not have.  Sort the final result instead, where the
order is kept.

Not reported: a top-level `ORDER BY`, `ORDER BY` with `LIMIT`/`OFFSET` (a top-N),
window `OVER (ORDER BY ...)`, `SORT BY`, and subqueries whose outer query only
filters or projects, or uses `LIMIT`, or order-sensitive aggregates
(`collect_list`, `first`, `last`, ...).

## Example
```python
spark.sql('''
    SELECT customer_id, count(*) AS n
    FROM (SELECT * FROM orders ORDER BY order_ts) o
    GROUP BY customer_id
''')
```

Use instead:
```python
spark.sql('''
    SELECT customer_id, count(*) AS n
    FROM (SELECT * FROM orders) o
    GROUP BY customer_id
''')
```

## Fix safety
Removing the `ORDER BY` is safe: the outer query's rows are the same, and
their order was never guaranteed.
"""

from __future__ import annotations

from ...engine import sql as S
from ...rules.base import sql_rule

# Aggregates and window functions whose result depends on the order rows arrive in.
_ORDER_SENSITIVE = {"ArrayAgg", "ArrayUniqueAgg", "First", "Last", "FirstValue", "LastValue", "GroupConcat",
                    "AnyValue", "NthValue", "ArrayConcatAgg"}
_ORDER_SENSITIVE_NAMES = {"collect_list", "collect_set", "first", "last", "first_value", "last_value",
                          "array_agg", "string_agg", "listagg", "any_value", "nth_value"}
_KEEP = ("limit", "offset", "fetch", "windows", "distribute", "sort", "cluster")


def _order_sensitive(outer, exp) -> bool:
    for n in outer.walk(prune=lambda x: x is not outer and isinstance(x, (exp.Subquery, exp.Select))):
        name = type(n).__name__
        if name in _ORDER_SENSITIVE:
            return True
        if isinstance(n, exp.Anonymous) and str(n.this).lower() in _ORDER_SENSITIVE_NAMES:
            return True
        if isinstance(n, exp.Window) and not n.args.get("order"):
            return True  # first(x) OVER (PARTITION BY k): the input order decides
        if isinstance(n, exp.Anonymous) and str(n.this).lower() == "monotonically_increasing_id":
            return True
    return False


def _discards(outer, joined: bool, exp) -> str | None:
    """What in ``outer`` throws away the order of a FROM item, or None if it may keep it."""
    if not isinstance(outer, exp.Select):
        return None
    if any(outer.args.get(k) for k in _KEEP) or _order_sensitive(outer, exp):
        return None
    if outer.args.get("order"):
        return "the outer ORDER BY"
    if outer.args.get("group"):
        return "the outer GROUP BY"
    if outer.args.get("distinct"):
        return "the outer DISTINCT"
    if S.has_aggregate(outer):
        return "the outer aggregate"
    if joined:
        return "the join"
    return None


def _from_item_discards(item, exp):
    """The order of a FROM item (subquery or CTE reference) is lost by its query: why, or None."""
    holder = item.parent
    if not isinstance(holder, (exp.From, exp.Join)) or not isinstance(holder.parent, exp.Select):
        return None
    outer = holder.parent
    return _discards(outer, bool(outer.args.get("joins")), exp)


def _why(node, ctx, exp) -> tuple[str, str] | None:
    """(where the ORDER BY is, what discards its order), or None."""
    p = node.parent
    if isinstance(p, exp.Exists):
        return "the EXISTS subquery", "EXISTS"
    if isinstance(p, exp.Subquery):
        where = f"subquery `{p.alias}`" if p.alias else "the subquery"
        pp = p.parent
        if isinstance(pp, (exp.From, exp.Join)):
            why = _from_item_discards(p, exp)
            return (where, why) if why else None
        if isinstance(pp, exp.In):
            return "the IN subquery", "IN"
        if isinstance(pp, exp.SetOperation):
            if pp.args.get("distinct") or not isinstance(pp, exp.Union):
                return "a set operand", type(pp).__name__.upper()
            return None
        if isinstance(pp, (exp.Subquery, exp.CTE)) or pp is None:
            return None
        return "the scalar subquery", "a scalar subquery"
    if isinstance(p, exp.CTE):
        name = (p.alias or "").lower()
        whys = []
        for t in ctx.root.find_all(exp.Table):
            if t.args.get("db") or t.name.lower() != name:
                continue
            why = _from_item_discards(t, exp)
            if why is None:
                return None
            whys.append(why)
        if not whys:
            return None
        return f"CTE `{p.alias}`", whys[0]
    return None


def _fix(node, ctx):
    exp = ctx.exp
    group = ctx.query_group(node)
    if group is None:
        return None
    toks = ctx.tokens
    open_i = ctx.token_index(group[0])
    close_i = ctx.token_index(group[1])
    if open_i is None or close_i is None:
        return None
    depth, order_i = 0, None
    for i in range(open_i + 1, close_i):
        tt = toks[i].token_type.name
        if tt == "L_PAREN":
            depth += 1
        elif tt == "R_PAREN":
            depth -= 1
        elif depth == 0 and tt == "ORDER_BY":
            order_i = i
    if order_i is None:
        return None
    start = toks[order_i].start
    while start > 0 and ctx.text[start - 1] in " \t\r\n":
        start -= 1
    end = toks[close_i - 1].end + 1
    expected = ctx.root.copy()
    target = S.follow(expected, S.path_to(node))
    if target is None or not isinstance(target, exp.Select):
        return None
    target.set("order", None)
    edit = ctx.rewrite(start, end, "", expected)
    if edit is None:
        return None
    return ctx.fix("Remove the ORDER BY whose order is discarded", [edit])


@sql_rule("SPK602", "sql-order-by-without-limit", "info", "Select")
def sql_order_by_without_limit(node, ctx):
    order = node.args.get("order")
    if order is None or any(node.args.get(k) for k in ("limit", "offset", "fetch")):
        return
    exp = ctx.exp
    found = _why(node, ctx, exp)
    if found is None:
        return
    where, why = found
    clause = ctx.show(order, limit=60)
    if not clause.upper().startswith("ORDER"):
        clause = "ORDER BY " + ", ".join(ctx.show(e, limit=40) for e in order.expressions)
    ctx.report(
        f"`{clause}` in {where} is thrown away by {why}: Spark does not keep a subquery's order, so the "
        f"sort is dropped or wasted; remove it and sort the final result if you need an order",
        _fix(node, ctx),
    )
