"""Helpers the plan rules share (``sparkcoach.rules.plan.*``); private: it defines no rule.

They read :class:`~sparkcoach.capture.model.PlanNode` trees from either capture path: the
JVM walk (``args`` is the node's one-line description, every node Spark planned from a
logical node carries its size estimate) and parsed ``explain("formatted")`` text
(``details`` holds the per-operator sections such as "Arguments", "Join type",
"PushedFilters"; sizes sit on the root and on join sides only).

Pure Python: never imports pyspark.
"""

from __future__ import annotations

import re

from ...capture.explain import split_top as split_outside

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
    """The node's own size estimate; None when Spark does not know it."""
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
    root, a join side) when only row-preserving operators lie between (plans read from explain text carry
    sizes on the root and on join sides only)."""
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
    """Split ``expr`` on `` AND `` / `` OR `` outside brackets (after removing one pair wrapping it all)."""
    return [p for p in split_outside(strip_parens(expr.strip()), f" {sep} ") if p]


def strip_parens(e: str) -> str:
    while e.startswith("(") and e.endswith(")") and closing_bracket(e, 0) == len(e) - 1:
        e = e[1:-1].strip()
    return e


def closing_bracket(s: str, i: int) -> int:
    """Index of the ``)`` or ``]`` matching the ``(`` or ``[`` at ``i``; -1 when unbalanced."""
    opening = s[i]
    closing = ")" if opening == "(" else "]"
    depth = 0
    for j in range(i, len(s)):
        if s[j] == opening:
            depth += 1
        elif s[j] == closing:
            depth -= 1
            if depth == 0:
                return j
    return -1


def bracketed(s: str, i: int) -> str:
    """What the bracket at ``i`` encloses (to the end of ``s`` when it is never closed)."""
    end = closing_bracket(s, i)
    return s[i + 1:end] if end > 0 else s[i + 1:]


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
        parts = split_commas(bracketed(a, a.index("(")))
        count = int(parts[-1]) if parts and parts[-1].strip().isdigit() else None
        keys = parts[:-1] if count is not None else parts
        return ("hash" if m.group(1) == "hashpartitioning" else "range"), [k.strip() for k in keys], count, origin
    return "", [], None, origin


def split_commas(s: str) -> list[str]:
    """Split ``s`` at the commas outside brackets."""
    return split_outside(s, ",")


def aggregate_parts(node) -> tuple[list[str], list[str]]:
    """A HashAggregate's (grouping keys, aggregate functions) from ``HashAggregate(keys=[..], functions=[..])``
    or the formatted sections ``Keys [n]: [..]`` / ``Functions [n]: [..]``."""
    a = text(node)

    def listed(label: str) -> list[str] | None:
        m = re.search(label + r"(?: \[\d+\])?\s*[:=]\s*\[", a)
        if not m or closing_bracket(a, m.end() - 1) < 0:
            return None
        return split_commas(bracketed(a, m.end() - 1))

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




def join_sides(node) -> list | None:
    """A join's two inputs (left, right), inner children left out; None when it does not have two."""
    sides = [c for c in node.children if not is_inner(c)]
    return sides if len(sides) == 2 else None


def join_type(node) -> str:
    """"Inner", "LeftOuter", ... ("ExistenceJoin" for ``ExistenceJoin(exists#1)``); "Inner" when unstated."""
    t = str((node.details or {}).get("Join type") or "")
    if not t:
        m = re.search(r"\b(Inner|Cross|LeftOuter|RightOuter|FullOuter|LeftSemi|LeftAnti|ExistenceJoin)\b", node.args)
        t = m.group(1) if m else "Inner"
    return "ExistenceJoin" if t.startswith("ExistenceJoin") else t


# ------------------------------------------------------------------ naming a join side as in the user's code
def _shape(node) -> tuple:
    """A comparable digest of a subtree: leaf keys, filters (without inferred isnotnull), joins, aggregates."""
    found, filters, ops = [], set(), []
    stack = [node]
    while stack:
        n = stack.pop()
        cs = list(kids(n))
        name = op(n)
        if not cs:
            found.append(leaf_key(n))
        if name == "Filter":
            filters.update(c for c in split_top(filter_condition(n), "AND") if not c.startswith("isnotnull("))
        elif name in JOINS or name in AGGREGATES or name in ("Window", "Generate", "Union", "Expand"):
            ops.append(name if name not in AGGREGATES else "Aggregate")
        stack.extend(cs)
    return found, filters, sorted(ops)


def _matches(side_shape, shape) -> bool:
    mine, filters, ops = side_shape
    theirs, filters2, ops2 = shape
    if len(mine) != len(theirs) or filters != filters2 or ops != ops2:
        return False
    rest = list(theirs)
    for k in mine:
        hit = next((x for x in rest if x == k or (x[0] == k[0] and isinstance(k[1], frozenset)
                                                 and isinstance(x[1], frozenset) and k[1] <= x[1])), None)
        if hit is None:
            return False
        rest.remove(hit)
    return True


def side_name(side, other, ctx) -> str | None:
    """The user's name of the DataFrame a join side reads, when exactly one other captured DataFrame of the cell
    has the same data and operations (and does not also match the join's other side)."""
    if ctx.plan is None:
        return None
    mine, theirs = _shape(side), _shape(other)
    found = []
    for p in ctx.run.plans:
        if p is ctx.plan or not p.name or not re.fullmatch(r"[A-Za-z_]\w*", p.name):
            continue
        root = p.root
        while op(root) in ("Exchange", "Sort", "BroadcastExchange") and len(list(kids(root))) == 1:
            root = next(kids(root))
        shape = _shape(root)
        if _matches(mine, shape) and not _matches(theirs, shape):
            found.append(p.name)
    return found[0] if len(set(found)) == 1 else None


def table_of(side) -> str | None:
    """The table a join side scans, when it scans exactly one named table."""
    found = leaves(side)
    if len(found) != 1:
        return None
    d = found[0].details or {}
    t = d.get("Table")
    if t:
        return str(t)
    m = re.match(r"\s*\w+\s+([\w.`]+)\[", found[0].args or "")  # FileScan parquet spark_catalog.db.t[...]
    if m and "." in m.group(1):
        return m.group(1)
    return None


def describe_side(which: str, side, other, size: int, ctx, real: bool = False) -> tuple[str, str]:
    """(how the message names the side, the broadcast rewrite)."""
    name = side_name(side, other, ctx)
    rows = None if real else rows_of(side)
    est = (f"{human(size)} measured" if real else f"~{human(size)}") + (f", {rows:,} rows" if rows is not None
                                                                       else "")
    if name:
        return f"`{name}` ({est})", f"join with `broadcast({name})` (`from pyspark.sql.functions import broadcast`)"
    table = table_of(side)
    where = f"the {which} side" + (f" (table `{table}`, {est})" if table else f" ({est})")
    return where, (f"wrap the {which}-hand DataFrame of the join in `broadcast(...)` "
                   f"(`from pyspark.sql.functions import broadcast`)")


def work_name(node) -> str:
    """What an operator does, in the user's words: "an aggregation", "a join", "a window", ..."""
    name = op(node)
    if name in AGGREGATES:
        return "an aggregation"
    if name in JOINS:
        return "a join"
    if name in ("Window", "WindowGroupLimit"):
        return "a window"
    if name == "TakeOrderedAndProject":
        return "a top-n query"
    if name == "Sort":
        return "a sort"
    if name in ("BatchEvalPython", "ArrowEvalPython", "MapInPandas", "MapInArrow", "PythonMapInArrow"):
        return "Python code"
    return f"`{name}`"
