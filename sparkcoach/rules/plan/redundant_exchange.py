"""## What it does
Checks physical plans for shuffles that are shuffled again before use.  A
shuffle's output re-partitioned on other keys before anything uses its
partitioning is reported: a `repartition(n)` or
`repartition("col")` followed (through projections, filters and partial
aggregations only) by the shuffle of a `groupBy`, `join`, window or another
`repartition`, or by a broadcast.

## Why is this bad?
Every `Exchange` in a plan is a full shuffle: each row is serialized, written to
local disk and fetched over the network.  When the next operator re-partitions
the rows by its own keys, the first shuffle's layout is thrown away and all of
its cost is wasted.  Set the number of partitions on the shuffle that matters
instead (`spark.sql.shuffle.partitions`, or let adaptive query execution size
it), or repartition by the keys the next operation groups or joins on.

Left alone: a repartition whose layout an operator uses (an aggregation or join
on the same keys), one that spreads expensive narrow work (a Python UDF,
`mapInPandas`, `explode`) over more tasks before the next shuffle, a
repartition right before a write, and shuffles below a cached DataFrame.

## Example
```python
totals = events.repartition(200).groupBy("country").agg(F.sum("amount"))
joined = orders.repartition("order_id").join(customers, "customer_id")
```

Use instead:
```python
totals = events.groupBy("country").agg(F.sum("amount"))
joined = orders.join(customers, "customer_id")
```
"""

from __future__ import annotations

import re

from ...rules.base import plan_rule

# ----------------------------------------------------------------------------------------------------------------
# Shared helpers of the plan rules (sparkcoach.rules.plan.*).  They read PlanNode trees from either capture path:
# the JVM walk (``args`` is the node's one-line description) and parsed ``explain("formatted")`` text (``details``
# holds the per-operator sections such as "Arguments", "Join type", "PushedFilters").
# ----------------------------------------------------------------------------------------------------------------

UNKNOWN_SIZE = 2**63 - 1  # Spark's "no statistics" estimate (Long.MaxValue) and anything above it
# Wrappers that add nothing to the plan's meaning: codegen, AQE stages and shuffle readers.
TRANSPARENT = frozenset({
    "WholeStageCodegen", "InputAdapter", "ColumnarToRow", "RowToColumnar", "AQEShuffleRead", "CustomShuffleReader",
    "ShuffleQueryStage", "BroadcastQueryStage", "TableCacheQueryStage", "ResultQueryStage", "AdaptiveSparkPlan",
})
AGGREGATES = frozenset({"HashAggregate", "ObjectHashAggregate", "SortAggregate"})
JOINS = frozenset({"SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin", "BroadcastNestedLoopJoin",
                   "CartesianProduct"})
LIMITS = frozenset({"GlobalLimit", "CollectLimit", "TakeOrderedAndProject", "CollectTail", "GlobalLimitAndOffset"})
# Per-row (narrow) work that may be worth spreading over more tasks.
HEAVY_NARROW = frozenset({"BatchEvalPython", "ArrowEvalPython", "MapInPandas", "MapInArrow", "PythonMapInArrow",
                          "MapPartitions", "MapElements", "Generate", "ArrowEvalPythonUDTF", "BatchEvalPythonUDTF"})
_ATTR = re.compile(r"([A-Za-z_][\w.]*|`[^`]+`)#\d+L?")


def op(node) -> str:
    """The operator's bare name: ``*(2) Project`` / ``Scan csv `` / ``WholeStageCodegen (1)`` -> ``Project`` ..."""
    o = node.operator.strip().lstrip("*!").strip()
    o = re.sub(r"^\(\d+\)\s*", "", o)
    return re.sub(r"\s*\(\d+\)$", "", o).strip()


def text(node) -> str:
    """Everything a node says about itself: its one-line arguments and its formatted-explain sections."""
    parts = [node.args or ""]
    for k, v in (node.details or {}).items():
        parts.append(f"{k}: {v}")
    return "\n".join(p for p in parts if p)


def arguments(node) -> str:
    """The operator's arguments: the one-line form, else the formatted ``Arguments`` section."""
    a = (node.args or "").strip()
    if not a or a in ("Inner", "LeftOuter", "RightOuter", "FullOuter", "LeftSemi", "LeftAnti", "Cross"):
        a = str((node.details or {}).get("Arguments", a))
    return a


def is_inner(node) -> bool:
    """A plan printed below an operator without being its input (a cached relation's plan, a subquery)."""
    return bool((node.details or {}).get("Inner child"))


def kids(node):
    """The node's inputs, looking through transparent wrappers (inner children left out)."""
    for c in node.children:
        if is_inner(c):
            continue
        if op(c) in TRANSPARENT:
            yield from kids(c)
        else:
            yield c


def up(node, ctx):
    """The node's consumer, looking through transparent wrappers: None at the root, and at the root of an inner
    plan (a cached DataFrame's plan runs on its own)."""
    while True:
        if is_inner(node):
            return None
        p = ctx.parent(node)
        if p is None or op(p) not in TRANSPARENT:
            return p
        node = p


def size_of(node) -> int | None:
    s = node.size
    return s if s is not None and 0 <= s < UNKNOWN_SIZE else None


def estimate(node) -> int | None:
    """The size estimate of a node's output: its own, else the nearest estimate below it along a chain of
    single-child operators (an exchange or sort keeps its child's size).  None when unknown."""
    n = node
    while True:
        s = size_of(n)
        if s is not None:
            return s
        if n.size is not None and n.size >= UNKNOWN_SIZE:
            return None  # Spark itself does not know
        cs = list(kids(n))
        if len(cs) != 1 or op(n) in AGGREGATES or op(n) in ("Generate", "Expand"):
            return None  # below an aggregation or an explode, sizes say nothing about this output
        n = cs[0]


def measured(node) -> int | None:
    """The size a finished query stage measured (AQE final plans: ``details["Runtime size"]`` on the exchange
    below a stage), looking down a chain of single-input operators."""
    n = node
    while True:
        v = (n.details or {}).get("Runtime size")
        if isinstance(v, int) and v >= 0:
            return v
        cs = list(kids(n))
        if len(cs) != 1 or op(n) in AGGREGATES:
            return None
        n = cs[0]


def best_size(node) -> tuple[int | None, bool]:
    """(size, measured?): the measured runtime size when a stage ran, else the estimate."""
    m = measured(node)
    if m is not None:
        return m, True
    return estimate(node), False


ROW_PRESERVING = frozenset({"Project", "Filter", "Sort", "Window", "Exchange", "Coalesce", "AQEShuffleRead",
                            "WindowGroupLimit", "BatchEvalPython", "ArrowEvalPython"})


def estimate_here(node, ctx) -> int | None:
    """The size estimate of a node's output: :func:`estimate`, else the nearest estimate above it (the plan's
    root, a join side) when only row-preserving operators lie between (captured plans carry sizes on the root
    and on join sides only)."""
    s = estimate(node)
    if s is not None:
        return s
    n = node
    while True:
        if is_inner(n):
            return None
        p = ctx.parent(n)
        if p is None:
            return None
        if op(p) not in ROW_PRESERVING and op(p) not in TRANSPARENT:
            # a join side's estimate sits on the join's child: n itself was checked above
            return None
        s = size_of(p)
        if s is not None:
            return s
        n = p


def rows_of(node) -> int | None:
    """The row estimate next to :func:`estimate`'s size."""
    n = node
    while True:
        if n.rows is not None:
            return n.rows
        cs = list(kids(n))
        if size_of(n) is not None or len(cs) != 1:
            return None
        n = cs[0]


def human(n: int | None) -> str:
    from ...views import human_bytes

    return human_bytes(n)


def human_setting(n: int) -> str:
    """A byte setting as Spark states it (binary units): ``104857600`` -> ``"100 MiB"``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} B"


def bare(expr: str) -> str:
    """Spark's ``k#12L`` attribute references as the user's column names (``k``)."""
    return _ATTR.sub(lambda m: m.group(1), expr)


def attrs(expr: str) -> list[str]:
    """Attribute references (``k#12L``) in an expression, in order, without repeats."""
    out: list[str] = []
    for m in _ATTR.finditer(expr):
        if m.group(0) not in out:
            out.append(m.group(0))
    return out


def parse_bytes(value, default_unit: str = "b") -> int | None:
    """A Spark size setting ("10485760b", "10MB", "1g", "512", "-1") in bytes (binary units, like Spark)."""
    if value is None:
        return None
    s = str(value).strip().lower()
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*([kmgtp]?i?b?)?", s)
    if not m:
        return None
    unit = (m.group(2) or default_unit).rstrip("b").rstrip("i") or "b"
    mult = {"b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}.get(unit)
    if mult is None:
        return None
    return int(float(m.group(1)) * mult)


def split_top(expr: str, sep: str) -> list[str]:
    """Split ``expr`` on `` AND `` / `` OR `` outside parentheses (after removing one pair wrapping it all)."""
    e = strip_parens(expr.strip())
    out, depth, start, i = [], 0, 0, 0
    token = f" {sep} "
    while i < len(e):
        ch = e[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and e.startswith(token, i):
            out.append(e[start:i].strip())
            i += len(token)
            start = i
            continue
        i += 1
    out.append(e[start:].strip())
    return [p for p in out if p]


def strip_parens(e: str) -> str:
    while e.startswith("(") and e.endswith(")") and closing_paren(e, 0) == len(e) - 1:
        e = e[1:-1].strip()
    return e


def closing_paren(s: str, i: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``i``; -1 when unbalanced."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return -1


def partitioning(node) -> tuple[str, list[str], int | None, str]:
    """An Exchange's (kind, key expressions, partition count, origin): kind is "hash", "range", "roundrobin",
    "single" or "" ; origin "ENSURE_REQUIREMENTS", "REPARTITION_BY_NUM", "REPARTITION_BY_COL", ..."""
    a = arguments(node)
    origin = ""
    m = re.search(r"\b(ENSURE_REQUIREMENTS|REPARTITION_BY_COL|REPARTITION_BY_NUM|REBALANCE_PARTITIONS_BY_NONE|"
                  r"REBALANCE_PARTITIONS_BY_COL)\b", a)
    if m:
        origin = m.group(1)
    if re.match(r"\s*SinglePartition\b", a):
        return "single", [], 1, origin
    m = re.match(r"\s*RoundRobinPartitioning\((\d+)\)", a)
    if m:
        return "roundrobin", [], int(m.group(1)), origin
    m = re.match(r"\s*(hashpartitioning|rangepartitioning)\(", a)
    if m:
        end = closing_paren(a, a.index("("))
        inner = a[a.index("(") + 1:end]
        parts = split_commas(inner)
        count = int(parts[-1]) if parts and parts[-1].strip().isdigit() else None
        keys = parts[:-1] if count is not None else parts
        return ("hash" if m.group(1) == "hashpartitioning" else "range"), [k.strip() for k in keys], count, origin
    return "", [], None, origin


def split_commas(s: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(s[start:i].strip())
            start = i + 1
    if s[start:].strip():
        out.append(s[start:].strip())
    return out


def aggregate_parts(node) -> tuple[list[str], list[str]]:
    """A HashAggregate's (grouping keys, aggregate functions) from ``HashAggregate(keys=[..], functions=[..])``
    or the formatted sections ``Keys [n]: [..]`` / ``Functions [n]: [..]``."""
    a = text(node)

    def listed(label: str) -> list[str] | None:
        m = re.search(label + r"(?: \[\d+\])?\s*[:=]\s*\[", a)
        if not m:
            return None
        start = m.end() - 1
        depth = 0
        for j in range(start, len(a)):
            if a[j] == "[":
                depth += 1
            elif a[j] == "]":
                depth -= 1
                if depth == 0:
                    return split_commas(a[start + 1:j])
        return None

    keys = listed(r"\bkeys?") or listed(r"\bKeys") or []
    functions = listed(r"\bfunctions") or listed(r"\bFunctions") or []
    return keys, functions


def filter_condition(node) -> str:
    """A Filter's condition: its one-line arguments, else the formatted ``Condition`` section."""
    return (node.args or "").strip() or str((node.details or {}).get("Condition") or "")


_LOCATION = re.compile(r"\[([^\]]*)\]\s*$")


def leaf_key(node) -> tuple:
    """What identifies the data a leaf reads, across plans: a file scan's location (or table), a range's bounds,
    else the operator and its attribute ids (a subset of them after column pruning)."""
    name = op(node)
    d = node.details or {}
    if name in ("FileScan", "BatchScan"):
        where = d.get("Location") or d.get("Table") or ""
        if not where:
            m = re.search(r"Location: (\S+(?:\([^)]*\))?\[[^\]]*\])", node.args or "")
            where = m.group(1) if m else ""
        m = _LOCATION.search(str(where))
        return ("scan", str(d.get("Format", "")), (m.group(1) if m else str(where)).strip())
    if name == "Range":
        m = re.search(r"\((-?\d+), (-?\d+), step=(-?\d+)", text(node))
        return ("range", m.groups() if m else text(node))
    return (name, frozenset(attrs(text(node))))


def leaves(node) -> list:
    stack, out = [node], []
    while stack:
        n = stack.pop()
        cs = list(kids(n))
        if not cs:
            out.append(n)
        stack.extend(cs)
    return out


def ident(node) -> str:
    """A node's identity across the cell's captured plans (a finding's de-duplication key): the operator, its
    arguments without the per-plan ``[plan_id=..]``, and the data its subtree reads (column pruning may differ
    between two plans holding the same operator)."""
    own = re.sub(r",?\s*\[plan_id=\d+\]", "", f"{op(node)} {arguments(node)}")
    if op(node) in ("SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin"):
        d = node.details or {}
        own = f"{op(node)} {d.get('Left keys', '')} {d.get('Right keys', '')} {d.get('Join type', '')}" \
            if d.get("Left keys") else own.split("], ", 2)[0] + "]"
    data = (k if k[0] in ("scan", "range") else k[0] for k in (leaf_key(n) for n in leaves(node)))
    return own + " @ " + repr(sorted(map(repr, data)))


def plan_name(ctx) -> str:
    return f"`{ctx.plan.name}`" if ctx.plan is not None and ctx.plan.name else "this DataFrame"


def static_at(ctx, code: str, line: int | None = None) -> bool:
    """Whether the cell's static findings already report ``code`` on the line this finding would get."""
    if line is None:
        line = (ctx.plan.line if ctx.plan else ctx.lineage.line if ctx.lineage else None) or 1
    return any(f.code == code and f.line == line for f in ctx.static)


def describe_consumer(exchange, ctx) -> str:
    """What an exchange shuffles for, in the user's terms: "the aggregation on `k`", "the join on `k`"..."""
    kind, keys, count, origin = partitioning(exchange)
    on = ", ".join(f"`{bare(k)}`" for k in keys)
    p = up(exchange, ctx)
    while p is not None and op(p) == "Sort" and not sort_is_global(p):
        p = up(p, ctx)
    name = op(p) if p is not None else ""
    if op(exchange) == "BroadcastExchange":
        return "the broadcast of this side of a join"
    if origin == "REPARTITION_BY_NUM":
        return f"a `repartition({count})`" if count else "a `repartition`"
    if origin == "REPARTITION_BY_COL":
        return f"a `repartition({', '.join(repr(bare(k)) for k in keys)})`".replace("'", '"')
    if name in AGGREGATES or name in ("AggregateInPandas", "ArrowAggregatePython", "FlatMapGroupsInPandas"):
        return f"the aggregation on {on}" if on else "the aggregation"
    if name in JOINS:
        return f"the join on {on}" if on else "the join"
    if name in ("Window", "WindowGroupLimit"):
        return f"the window partitioned by {on}" if on else "the window"
    if kind == "range":
        return f"the sort by {on}" if on else "a sort"
    return f"the shuffle on {on}" if on else "another shuffle"


def sort_is_global(node) -> bool:
    """``Sort [k#1 ASC NULLS FIRST], true, 0``: the second argument says whether the sort is global."""
    g = (node.details or {}).get("Global")
    if isinstance(g, bool):
        return g
    m = re.search(r"\]\s*,\s*(true|false)\b", arguments(node))
    return bool(m and m.group(1) == "true")


def sort_keys(node) -> list[str]:
    a = arguments(node).strip()
    if not a.startswith("["):
        return []
    end = a.find("]")
    return split_commas(a[1:end]) if end > 0 else []


def repartition_call(exchange, ctx=None) -> str | None:
    """The user's call that made an exchange: ``repartition(8)`` / ``repartition("k")`` (with the number of
    partitions when it is not spark.sql.shuffle.partitions); None for shuffles that Spark added itself."""
    kind, keys, count, origin = partitioning(exchange)
    if origin == "REPARTITION_BY_NUM":
        return f"repartition({count})" if count is not None else "repartition(...)"
    if origin == "REPARTITION_BY_COL":
        cols = ", ".join('"' + bare(k) + '"' if re.fullmatch(r"[\w.]+", bare(k)) else f"F.expr({bare(k)!r})"
                         for k in keys)
        default = str(ctx.conf.get("spark.sql.shuffle.partitions", "")) if ctx is not None else ""
        if count is not None and default.isdigit() and int(default) != count:
            cols = f"{count}, {cols}"
        return f"repartition({cols})"
    return None


# ----------------------------------------------------------------------------------------------------- the rule
def _uses_partitioning(node, below, ctx) -> bool:
    """Whether ``node`` (on the way up from the exchange ``below``) needs the rows partitioned as they are."""
    name = op(node)
    if name in ("Project", "Filter", "Sample", "SerializeFromObject", "DeserializeToObject", "LocalLimit",
                "Expand", "Coalesce"):
        return False
    if name == "Sort":
        return sort_is_global(node)
    if name == "WindowGroupLimit":  # a per-partition top-k before the window's shuffle ("Partial" mode)
        return not re.search(r"\bPartial\s*$", arguments(node))
    if name in AGGREGATES:
        keys, functions = aggregate_parts(node)
        if functions:
            return not all(f.startswith("partial_") for f in functions)
        kind, pkeys, _, _ = partitioning(below)
        # A grouping without functions (distinct): the final one sits on a shuffle by its own keys.
        return kind in ("hash", "single") and all(k in keys for k in pkeys)
    return True


@plan_rule("SPK250", "redundant-exchange", "warning", "Exchange")
def redundant_exchange(node, ctx) -> None:
    kind, keys, count, origin = partitioning(node)
    if kind not in ("hash", "roundrobin") or origin.startswith("REBALANCE"):
        return
    p = up(node, ctx)
    while p is not None and op(p) not in ("Exchange", "BroadcastExchange"):
        if op(p) in HEAVY_NARROW or _uses_partitioning(p, node, ctx):
            return
        p = up(p, ctx)
    if p is None:
        return
    if op(p) == "Exchange":
        kind2, keys2, _, _ = partitioning(p)
        if kind2 == kind == "hash" and keys2 == keys:
            return
    if static_at(ctx, "SPK205"):
        return  # the static repartition-before-shuffle finding already says it
    call = repartition_call(node, ctx)
    if call is None:
        return  # a shuffle Spark added for an operator uses its layout by construction
    then = describe_consumer(p, ctx)
    _, keys2, _, origin2 = partitioning(p) if op(p) == "Exchange" else ("", [], None, "")
    advice = (f"drop `.{call}` (the shuffle of {then} sets the partitions: size it with "
              f"`spark.sql.shuffle.partitions` or adaptive execution)")
    if keys2 and origin2 == "ENSURE_REQUIREMENTS" and count is not None and origin == "REPARTITION_BY_NUM":
        cols = ", ".join(f'"{bare(k)}"' for k in keys2)
        advice += f", or use `repartition({count}, {cols})`, whose layout {then} reuses"
    ctx.report(f"{plan_name(ctx)} shuffles twice: the rows `{call}` shuffled are shuffled again for {then} "
               f"before anything uses that layout; {advice}", key=(ident(node), ident(p)))
