"""A DataFrame's physical plan as a :class:`~sparkcoach.capture.model.CapturedPlan`, without running a job.

Classic session: walk ``df._jdf.queryExecution().executedPlan()`` through py4j.
``AdaptiveSparkPlanExec`` is unwrapped (its current plan: the final one once a job ran,
``isFinalPlan``), query stages (``.plan()``), ``InputAdapter`` and ``WholeStageCodegenExec``
(whose stage id becomes ``details["Codegen id"]`` of the operators in the stage) too.
Each operator's ``simpleString`` is read exactly like a simple-mode explain line
(:func:`sparkcoach.capture.explain.node_from_line`), so both paths give the same
operators, args and details.  Inner children Spark prints below an operator (the
cached plan under ``InMemoryTableScan``, scalar-subquery plans) are appended after the
real children with ``details["Inner child"] = True``, as the text parser does.

Sizes come from the optimized logical plan's statistics (``stats()`` only estimates,
it never runs a job): the root gets ``optimizedPlan().stats()`` (``size`` bytes,
``rows`` when the estimate has a row count); joins are matched in order of appearance
(pre-order walk, inner children skipped) to the logical ``Join`` nodes, and the n-th
physical join's two children get the sizes of the n-th logical join's two children
(read from ``qe.stringWithStats()`` in one call, so to the 3-4 digits Spark prints,
e.g. "15.6 KiB" -> 15974).  When the counts differ (AQE removed a join, a rewrite added one) no join side gets a
size: a wrong size is worse than none.  Final AQE plans also carry each query stage's
measured ``details["Runtime size"]``/``["Runtime rows"]`` on the exchange below it.

Spark Connect (no ``_jdf``): ``explain(mode="formatted")`` text parsed by
:func:`~sparkcoach.capture.explain.parse_explain`, sizes from ``explain(mode="cost")``.

Importing this module never imports pyspark.
"""

from __future__ import annotations

import contextlib
import io

from .explain import (JOINS, LogicalStats, Node, attach_sizes, explain_sections, logical_statistics,
                      node_from_line, parse_explain_result)
from .model import CapturedPlan

MAX_FIELDS = 25  # spark.sql.debug.maxToStringFields' default: the columns shown per operator


def is_connect(df) -> bool:
    """A Spark Connect DataFrame (no JVM on this side)."""
    return type(df).__module__.startswith("pyspark.sql.connect")


def plan_of(df, name: str, line: int | None = None, *, text: bool = True) -> CapturedPlan:
    """The physical plan ``df`` would run (or ran, under AQE), with size estimates.

    Never starts a Spark job.  ``text=False`` skips the explain text kept for the view.
    Raises what Spark raises when the plan cannot be built (e.g. an analysis error).
    """
    if is_connect(df) or getattr(df, "_jdf", None) is None:
        return _plan_of_connect(df, name, line)
    qe = df._jdf.queryExecution()
    top = qe.executedPlan()
    walker = _JvmWalker()
    root = walker.walk(top, top=True)
    stats = _jvm_statistics(qe, want_joins=any(n.operator in JOINS for n in root.walk(inner=False)))
    attach_sizes(root, stats)
    root.details["adaptive"] = walker.adaptive
    root.details["final"] = walker.final
    explain_text = ""
    if text:
        try:
            jvm = df.sparkSession._jvm
            explain_text = jvm.PythonSQLUtils.explainString(qe, "formatted")
        except Exception:  # the view's text is a nicety
            explain_text = ""
    return CapturedPlan(name, line, root.freeze(), "jvm", walker.adaptive, walker.final, explain_text)


# operators that never have children: no py4j call to ask (unary operators answer ``child()`` in one)
_LEAVES = frozenset({"Range", "FileScan", "BatchScan", "LocalTableScan", "ReusedExchange", "InMemoryTableScan",
                     "Scan", "RowDataSourceScan", "OneRowRelation"})


class _JvmWalker:
    """Walks a physical plan through py4j: one ``simpleString`` per node and its children.

    Each py4j call is a socket round trip (~0.1 ms), so the walk reads the wrapper
    nodes' facts (AQE's isFinalPlan, the codegen stage id, the query stage id) from
    the ``simpleString`` it fetches anyway, and asks ``child()`` first (unary nodes).
    """

    def __init__(self):
        self.adaptive = False
        self.final = False

    def walk(self, p, top: bool = False, codegen: int | None = None) -> Node:
        while True:
            s = p.simpleString(MAX_FIELDS)
            head = s.split(" ", 1)[0]
            if head == "AdaptiveSparkPlan":
                if top:
                    self.adaptive = True
                    self.final = "isFinalPlan=true" in s
                p = p.executedPlan()
                continue
            if head.endswith("QueryStage"):
                node = self.walk(p.plan(), codegen=codegen)
                tail = s[len(head):].strip().split(" ", 1)[0]
                if tail.isdigit():
                    node.details.setdefault("Query stage", int(tail))
                runtime = _runtime_stats(p) if self.final else None
                if runtime:
                    node.details.setdefault("Runtime size", runtime[0])
                    if runtime[1] is not None:
                        node.details.setdefault("Runtime rows", runtime[1])
                return node
            if head == "WholeStageCodegen":  # "WholeStageCodegen (3)"
                digits = "".join(ch for ch in s if ch.isdigit())
                codegen = int(digits) if digits else None
                p = p.child()
                continue
            if head == "InputAdapter":
                codegen = None
                p = p.child()
                continue
            break
        node = node_from_line(s)
        if codegen is not None:
            node.details["Codegen id"] = codegen
        if node.operator not in _LEAVES:
            for child in _children(p, node.operator):
                node.children.append(self.walk(child, codegen=codegen))
        if node.operator == "InMemoryTableScan":
            node.inner.append(self._cached(p))
        if "subquery#" in s or "dynamicpruning#" in s:
            subs = p.subqueries()
            for i in range(subs.size()):
                node.inner.append(self.walk(subs.apply(i)))
        return node

    def _cached(self, scan) -> Node:
        relation = scan.relation()
        node = node_from_line(relation.simpleString(MAX_FIELDS))
        node.inner.append(self.walk(relation.cachedPlan()))
        return node


def _children(p, operator: str) -> list:
    if operator in JOINS:
        return [p.left(), p.right()]
    try:
        return [p.child()]
    except Exception:  # not a unary node (Union, ...): the generic way
        pass
    children = p.children()
    return [children.apply(i) for i in range(children.size())]


def _runtime_stats(stage) -> tuple[int, int | None] | None:
    try:
        if stage.isMaterialized():
            st = stage.getRuntimeStatistics()
            return _int(st.sizeInBytes()), _option_int(st.rowCount())
    except Exception:
        return None
    return None


def _option_int(opt) -> int | None:
    if opt is None or not opt.isDefined():
        return None
    return _int(opt.get())


def _int(value) -> int:
    """A Scala BigInt/BigInteger (py4j may already have converted it) as an int."""
    return value if isinstance(value, int) else int(value.toString())


def _stats(plan) -> tuple[int | None, int | None]:
    st = plan.stats()
    return _int(st.sizeInBytes()), _option_int(st.rowCount())


def _jvm_statistics(qe, want_joins: bool) -> LogicalStats:
    """Root statistics exactly; join sides from ``stringWithStats`` (one call, sizes to 3-4 digits)."""
    size, rows = _stats(qe.optimizedPlan())
    joins: tuple = ()
    if want_joins:
        logical = explain_sections(qe.stringWithStats()).get("Optimized Logical Plan") or []
        joins = logical_statistics(logical).joins
    return LogicalStats(size, rows, joins)


# -- Spark Connect --------------------------------------------------------------------------------------------


def explain_string(df, mode: str) -> str:
    """``df.explain(mode=...)``'s text, without printing it."""
    fn = getattr(type(df), "_explain_string", None)
    if fn is not None:
        return fn(df, mode=mode)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        df.explain(mode=mode)
    return buf.getvalue()


def _plan_of_connect(df, name: str, line: int | None) -> CapturedPlan:
    text = explain_string(df, "formatted")
    result = parse_explain_result(text)
    root = result.root
    try:
        cost = explain_string(df, "cost")
    except Exception:
        cost = ""
    if cost:
        logical = explain_sections(cost).get("Optimized Logical Plan")
        if logical:
            root = _with_sizes(root, logical_statistics(logical))
    return CapturedPlan(name, line, root, "explain", result.adaptive, result.final, text)


def _with_sizes(root, stats: LogicalStats):
    """A frozen tree with the cost-mode sizes attached (rebuilt through the mutable Node)."""

    def thaw(p) -> Node:
        n = Node(p.operator, p.args, dict(p.details), p.id)
        n.size, n.rows = p.size, p.rows
        for c in p.children:
            (n.inner if c.details.get("Inner child") else n.children).append(thaw(c))
        return n

    n = thaw(root)
    attach_sizes(n, stats)
    return n.freeze()


__all__ = ["plan_of", "explain_string", "is_connect"]
