"""## What it does
Checks for a `WHERE` or `JOIN ON` filter in a `spark.sql(...)` query that wraps
a column in a function before comparing it with a constant, such as
`year(ts) = 2024`.  Covered: `year(ts) = 2024`, `year(ts) = 2024 AND month(ts) = 3`,
`to_date(ts) = '2024-03-05'`, `date(ts)` / `CAST(ts AS DATE)`,
`date_format(ts, 'yyyy-MM') = '2024-03'`, `trunc` / `date_trunc`, and
`substr(col, 1, n) = '...'`.

## Why is this bad?
Spark can only push a filter down to the data source when it compares the
column itself.  `year(ts) = 2024` has to be computed for every row, so Parquet
and ORC min/max statistics, Delta data skipping, Iceberg hidden partitions and
JDBC sources cannot skip anything: every file and row group is read.  The same
filter written as a range on the column, `ts >= '2024-01-01' AND ts < '2025-01-01'`,
is pushed down and prunes.

Not reported: functions in the `SELECT` list or `HAVING`, a comparison between
two columns (`to_date(a.ts) = b.day`), `month(ts) = 3` on its own (no range
expresses it), `to_date(s, 'yyyyMMdd')` with a format, and functions of
expressions rather than of a column.

## Example
```python
spark.sql("SELECT * FROM events WHERE year(event_ts) = 2024")
spark.sql("SELECT * FROM events WHERE to_date(event_ts) = '2024-03-05'")
```

Use instead:
```python
spark.sql("SELECT * FROM events WHERE event_ts >= '2024-01-01' AND event_ts < '2025-01-01'")
spark.sql("SELECT * FROM events WHERE event_ts >= '2024-03-05' AND event_ts < '2024-03-06'")
```

## Fix safety
The range rewrite is unsafe: it gives the same rows when the column is a DATE
or TIMESTAMP (or an ISO-formatted string), which the linter cannot see from the
SQL text; for a string column in another format the comparison would be
lexicographic.  `substr(col, 1, n) = 'abc'` becomes `col LIKE 'abc%'`, the same
predicate, and is a safe fix.
"""

from __future__ import annotations

import datetime as dt
import re

from ...engine import sql as S
from ...rules.base import sql_rule

_FLIP = {"EQ": "EQ", "GT": "LT", "GTE": "LTE", "LT": "GT", "LTE": "GTE"}
_YEAR_UNITS = {"YEAR", "YYYY", "YY"}
_QUARTER_UNITS = {"QUARTER"}
_MONTH_UNITS = {"MONTH", "MON", "MM"}
_DAY_UNITS = {"DAY", "DD"}
_FORMATS = {"%Y": "year", "%Y-%m": "month", "%Y%m": "month", "%Y-%m-%d": "day", "%Y%m%d": "day"}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: 00:00:00(?:\.0+)?)?$")
_NONDETERMINISTIC = {"Rand", "Randn", "Uuid"}


def _in_filter(node, exp) -> bool:
    """Inside a WHERE or JOIN ON condition (through AND/OR/NOT and parentheses)."""
    n = node
    while isinstance(n.parent, (exp.And, exp.Or, exp.Not, exp.Paren)):
        n = n.parent
    p = n.parent
    if isinstance(p, exp.Where) and isinstance(p.parent, exp.Select):
        return True
    return isinstance(p, exp.Join) and n.arg_key == "on"


def _unit_name(u) -> str:
    return str(u.name if hasattr(u, "name") and u.name else getattr(u, "this", u)).upper().strip("'\"")


def _base_column(x, exp):
    """The column under date-conversion wrappers: to_date(ts), CAST(ts AS DATE), ... -> ts."""
    for _ in range(6):
        if isinstance(x, exp.Column):
            return x if not isinstance(x.this, exp.Star) else None
        if isinstance(x, exp.TsOrDsToDate) and not x.args.get("format"):
            x = x.this
        elif isinstance(x, (exp.Cast, exp.TryCast)) and x.to is not None and \
                x.to.this.name in ("DATE", "TIMESTAMP", "TIMESTAMPNTZ", "TIMESTAMPLTZ", "DATETIME"):
            x = x.this
        elif isinstance(x, exp.TimeStrToTime) and not x.args.get("format"):
            x = x.this
        else:
            return None
    return None


def _period_function(f, exp):
    """(kind, column, what the user applied) for a supported function of a column, else None.

    kind: year | month | day (calendar periods), trunc-year/quarter/month/day, prefix:<n>.
    """
    if isinstance(f, exp.Year):
        return "year", _base_column(f.this, exp), "year()"
    if isinstance(f, exp.Extract) and _unit_name(f.this) == "YEAR":
        return "year", _base_column(f.expression, exp), "EXTRACT(YEAR FROM ...)"
    if isinstance(f, exp.TsOrDsToDate):
        if f.args.get("format"):
            return None
        return "day", _base_column(f.this, exp), "to_date()"
    if isinstance(f, (exp.Cast, exp.TryCast)) and f.to is not None and f.to.this.name == "DATE":
        return "day", _base_column(f.this, exp), "a cast to DATE"
    if isinstance(f, exp.TimeToStr):
        fmt = f.args.get("format")
        if not isinstance(fmt, exp.Literal):
            return None
        kind = _FORMATS.get(str(fmt.this).replace("strict", ""))
        if kind is None:
            return None
        return f"{kind}-format:{str(fmt.this).replace('strict', '')}", _base_column(f.this, exp), "date_format()"
    if isinstance(f, (exp.DateTrunc, exp.TimestampTrunc)):
        unit = f.args.get("unit")
        if unit is None:
            return None
        u = _unit_name(unit)
        for units, kind in ((_YEAR_UNITS, "year"), (_QUARTER_UNITS, "quarter"), (_MONTH_UNITS, "month"),
                            (_DAY_UNITS, "day")):
            if u in units:
                name = "trunc()" if isinstance(f, exp.DateTrunc) else "date_trunc()"
                return f"trunc-{kind}", _base_column(f.this, exp), name
        return None
    if isinstance(f, exp.Substring):
        start, length = f.args.get("start"), f.args.get("length")
        if _int(start) == 1 and _int(length) and isinstance(f.this, exp.Column):
            return f"prefix:{_int(length)}", f.this, "substr()"
        return None
    if isinstance(f, exp.Left):
        if _int(f.expression) and isinstance(f.this, exp.Column):
            return f"prefix:{_int(f.expression)}", f.this, "left()"
    return None


def _int(x) -> int | None:
    if x is not None and type(x).__name__ == "Literal" and not x.is_string and str(x.this).isdigit():
        return int(x.this)
    return None


def _literal_text(v, exp) -> str | None:
    """The literal's value as text: 2024, '2024-03-05', DATE'2024-03-05'."""
    if isinstance(v, exp.Literal):
        return str(v.this)
    if isinstance(v, (exp.Cast, exp.TryCast)) and isinstance(v.this, exp.Literal) and v.this.is_string:
        return str(v.this.this)
    return None


def _constant(v, ctx, exp) -> bool:
    for n in v.walk():
        if isinstance(n, exp.Column) and not ctx.is_placeholder(n):
            return False
        if isinstance(n, (exp.Subquery, exp.Select)) or type(n).__name__ in _NONDETERMINISTIC:
            return False
    return True


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _period(kind: str, value: str) -> tuple[dt.date, dt.date] | None:
    """[start, end) of the calendar period a literal names, for a function kind."""
    try:
        if kind == "year" or kind == "year-format:%Y":
            if not re.fullmatch(r"\d{4}", value):
                return None
            y = int(value)
            return dt.date(y, 1, 1), dt.date(y + 1, 1, 1)
        if kind.startswith("month-format:"):
            m = re.fullmatch(r"(\d{4})-?(\d{2})", value)
            if not m or ("-" in kind) != ("-" in value):
                return None
            start = dt.date(int(m.group(1)), int(m.group(2)), 1)
            return start, _add_months(start, 1)
        if kind == "day" or kind.startswith("day-format:"):
            if kind == "day-format:%Y%m%d":
                m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value)
            else:
                m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
            if not m:
                return None
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return d, d + dt.timedelta(days=1)
        if kind.startswith("trunc-"):
            m = _DATE.match(value)
            if not m:
                return None
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            unit = kind[6:]
            if unit == "day":
                return d, d + dt.timedelta(days=1)
            if d.day != 1:
                return None
            if unit == "month":
                return d, _add_months(d, 1)
            if unit == "quarter" and d.month in (1, 4, 7, 10):
                return d, _add_months(d, 3)
            if unit == "year" and d.month == 1:
                return d, dt.date(d.year + 1, 1, 1)
    except ValueError:
        return None
    return None


def _range(col: str, op: str, start: str, end: str) -> str | None:
    """The predicate on the column for ``f(col) <op> period``, with start/end already SQL expressions."""
    if op == "EQ":
        return f"{col} >= {start} AND {col} < {end}"
    return {"GTE": f"{col} >= {start}", "GT": f"{col} >= {end}", "LT": f"{col} < {start}",
            "LTE": f"{col} < {end}"}.get(op)


def _quote(d: dt.date) -> str:
    return f"'{d.isoformat()}'"


@sql_rule("SPK605", "sql-function-on-filter-column", "warning", "EQ", "GT", "GTE", "LT", "LTE", "Between")
def sql_function_on_filter_column(node, ctx):
    exp = ctx.exp
    if isinstance(node, exp.Between):
        probe, values, op = node.this, [node.args.get("low"), node.args.get("high")], "BETWEEN"
    else:
        op = type(node).__name__
        probe, values = node.this, [node.expression]
        if _period_function(probe, exp) is None:
            probe, values, op = node.expression, [node.this], _FLIP[op]
    fn = _period_function(probe, exp)
    if fn is None or fn[1] is None or ctx.is_placeholder(fn[1]):
        return
    if any(v is None or not _constant(v, ctx, exp) for v in values):
        return
    if not _in_filter(node, exp):
        return
    kind, col, applied = fn
    col_sql = ctx.sql(col)
    texts = [_literal_text(v, exp) for v in values]
    literal = all(t is not None and not re.search(r"__sc_\d+__", t) for t in texts)
    month = None
    rewrite, safe = None, False

    if kind.startswith("prefix:"):
        n = int(kind.split(":")[1])
        v = texts[0]
        if op != "EQ" or not literal or not values[0].is_string or len(v) != n or re.search(r"[%_\\'\"]", v):
            return
        rewrite, safe = f"{col_sql} LIKE '{v}%'", True
    elif literal:
        periods = [_period(kind, t) for t in texts]
        if any(p is None for p in periods):
            return
        if kind == "year" and op == "EQ":
            month = _month_sibling(node, col, ctx, exp)
            if month is not None:
                start = dt.date(periods[0][0].year, month[1], 1)
                periods = [(start, _add_months(start, 1))]
        if op == "BETWEEN":
            rewrite = f"{col_sql} >= {_quote(periods[0][0])} AND {col_sql} < {_quote(periods[1][1])}"
        else:
            rewrite = _range(col_sql, op, _quote(periods[0][0]), _quote(periods[0][1]))
    elif kind in ("day", "year"):
        spans = [ctx.span_of(v) for v in values]
        if all(s is not None for s in spans):
            xs = [ctx.text[s[0]:s[1]] for s in spans]
            if kind == "day":
                starts, ends = xs, [f"date_add({x}, 1)" for x in xs]
            else:
                ys = [x if re.fullmatch(r"[\w.`]+|\w+\([^()]*\)", x) else f"({x})" for x in xs]
                starts = [f"make_date({y}, 1, 1)" for y in ys]
                ends = [f"make_date({y} + 1, 1, 1)" for y in ys]
            if op == "BETWEEN":
                rewrite = f"{col_sql} >= {starts[0]} AND {col_sql} < {ends[1]}"
            else:
                rewrite = _range(col_sql, op, starts[0], ends[0])

    fix = None
    if rewrite is not None:
        fix = _fix(node, month[0] if month else None, rewrite, ctx, safe)
    shown_col = ctx.show(col)
    what = ctx.show(node, limit=70)
    if month is not None:
        what += f" AND {ctx.show(month[0], limit=40)}"
    advice = f"`{ctx.show(rewrite, limit=140)}`" if rewrite else \
        f"a range on `{shown_col}` itself (`{shown_col} >= <start> AND {shown_col} < <end>`)"
    ctx.report(
        f"`{what}` applies {applied if applied.startswith('a ') else f'`{applied}`'} to `{shown_col}` before "
        f"comparing, so the filter cannot be pushed down to the data source (no row-group or file skipping "
        f"on `{shown_col}`); compare the column itself: {advice}",
        fix,
    )


def _chain(node, exp):
    """The AND chain a predicate belongs to: (its topmost AND, the flattened conjuncts), or None."""
    top = None
    n = node
    while isinstance(n.parent, exp.And):
        n = top = n.parent
    if top is None:
        return None
    return top, S.conjuncts(top)


def _month_sibling(node, col, ctx, exp):
    """``year(c) = Y AND month(c) = M`` written next to each other: (the month predicate, M)."""
    chain = _chain(node, exp)
    if chain is None:
        return None
    parts = chain[1]
    i = next((k for k, p in enumerate(parts) if p is node), None)
    if i is None:
        return None
    for j in (i + 1, i - 1):
        if not 0 <= j < len(parts) or not isinstance(parts[j], exp.EQ):
            continue
        other = parts[j]
        for f, v in ((other.this, other.expression), (other.expression, other.this)):
            if isinstance(f, exp.Month) and _base_column(f.this, exp) == col and isinstance(v, exp.Literal):
                text = str(v.this)
                if text.isdigit() and 1 <= int(text) <= 12:
                    return other, int(text)
    return None


def _needs_parens(node, exp) -> bool:
    return not isinstance(node.parent, (exp.And, exp.Where, exp.Join, exp.Paren))


def _fix(node, month, rewrite: str, ctx, safe: bool):
    exp = ctx.exp
    span = ctx.span_of(node)
    if span is None:
        return None
    if month is None:
        text = f"({rewrite})" if " AND " in rewrite and _needs_parens(node, exp) else rewrite
        new = S.parse_expression(text)
        expected = ctx.replaced(node, new) if new is not None else None
    else:
        other = ctx.span_of(month)
        if other is None:
            return None
        first, second = sorted([span, other])
        if ctx.text[first[1]:second[0]].strip().upper() != "AND":
            return None
        span = (first[0], second[1])
        text = rewrite
        top, parts = _chain(node, exp)
        kept = []
        for p in parts:
            if p is node:
                kept.extend(S.conjuncts(S.parse_expression(rewrite)))
            elif p is not month:
                kept.append(p.copy())
        new = kept[0]
        for p in kept[1:]:
            new = exp.And(this=new, expression=p)
        expected = ctx.replaced(top, new)
    if expected is None:
        return None
    edit = ctx.rewrite(span[0], span[1], text, expected)
    if edit is None:
        return None
    verb = "a LIKE prefix" if safe else "a range on the column"
    return ctx.fix(f"Rewrite the filter as {verb}", [edit], safe=safe)
