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
it never runs a job): every physical node Spark planned from a logical node (its own
``logicalLink``, not one inherited from the operator above, such as a partial
aggregation's) gets that node's ``size`` in bytes and ``rows`` when the estimate has a
row count; each side of a join gets the statistics of the logical join's side (the
physical side is often a ``Sort`` or an exchange that Spark added without a link).  The
root falls back to ``optimizedPlan().stats()``.  Unknown sizes are None: Spark's
"no statistics" estimate (``spark.sql.defaultSizeInBytes``, 8 EiB by default) and
anything above it, and estimates derived from one (a ``Filter`` or ``Project`` over a
DataFrame built from local data, a join with it).  In AQE's final plan a node linked to
a finished stage (``LogicalQueryStage``) gets no size: those statistics are the stage's,
not the node's output; each query stage's measured ``details["Runtime size"]``/
``["Runtime rows"]`` sits on the exchange below it.

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
    sizes = _Sizes.of(df, qe, top)
    walker = _JvmWalker(sizes)
    root = walker.walk(top, top=True)
    if sizes is None:  # no logical links to read: the root and the join sides from the logical plan's text
        joins = any(n.operator in JOINS for n in root.walk(inner=False))
        attach_sizes(root, _jvm_statistics(qe, want_joins=joins))
    elif root.size is None and not sizes.unknown(root):
        sizes.put(root, qe.optimizedPlan())
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
# operators Spark adds after planning, without a logical link of their own: no py4j call to ask
_UNLINKED = frozenset({"ColumnarToRow", "RowToColumnar", "AQEShuffleRead", "BroadcastExchange", "ReusedExchange",
                       "ReusedSubquery"})


class _JvmWalker:
    """Walks a physical plan through py4j: one ``simpleString`` per node and its children.

    Each py4j call is a socket round trip (~0.1 ms), so the walk reads the wrapper
    nodes' facts (AQE's isFinalPlan, the codegen stage id, the query stage id) from
    the ``simpleString`` it fetches anyway, and asks ``child()`` first (unary nodes).
    """

    def __init__(self, sizes: _Sizes | None = None):
        self.adaptive = False
        self.final = False
        self.sizes = sizes
        self.stages = 0  # query stages met so far

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
                self.stages += 1
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
        stages = self.stages
        if node.operator not in _LEAVES:
            for child in _children(p, node.operator):
                node.children.append(self.walk(child, codegen=codegen))
        if self.sizes is not None:
            linked = node.operator not in _UNLINKED and "ENSURE_REQUIREMENTS" not in s
            self.sizes.attach(node, p if linked else None, above_stage=self.stages > stages)
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


class _Sizes:
    """Puts the statistics of each physical node's own logical link on its :class:`Node` (see the module doc).

    Six py4j calls a linked node, two for one without a link (``Option.orNull`` saves
    asking ``isDefined`` first).  A node whose size is unknown, or derived from an unknown
    one, is remembered (:meth:`unknown`) and keeps ``size=None``.
    """

    def __init__(self, tag, ev, limit: int):
        self.tag = tag  # SparkPlan.LOGICAL_PLAN_TAG: the link a planning strategy set on the node it made
        self.ev = ev  # the implicit argument of Option.orNull
        self.limit = limit  # sizes from here up are Spark's "no statistics"
        self._unknown: set[int] = set()  # id() of the nodes whose size is (derived from) an unknown one

    @classmethod
    def of(cls, df, qe, top) -> _Sizes | None:
        """None when this Spark has no logical links to read (``top``: the physical plan, to try one)."""
        try:
            from py4j.java_gateway import JavaClass  # a classic session: py4j is loaded already

            client = df._jdf._gateway_client
            tag = JavaClass("org.apache.spark.sql.execution.SparkPlan", client).LOGICAL_PLAN_TAG()
            ev = getattr(JavaClass("scala.Predef", client), "$conforms")()
            top.getTagValue(tag).orNull(ev)
            default = _int(qe.sparkSession().sessionState().conf().defaultSizeInBytes())
        except Exception:
            return None
        return cls(tag, ev, min(default, 2**63 - 1))

    def unknown(self, node: Node, below: bool = False) -> bool:
        """Whether the node's size (``below``: one of its inputs' sizes) is, or derives from, an unknown one."""
        return any(id(c) in self._unknown for c in node.children) if below else id(node) in self._unknown

    def put(self, node: Node, logical) -> None:
        """The logical node's estimate on ``node``; None when unknown, or over an unknown input without a row
        count (a row count makes the size Spark's own estimate: a global aggregate's one row, a limit)."""
        try:
            st = logical.stats()
            size, rows = _int(st.sizeInBytes()), st.rowCount().orNull(self.ev)
            rows = None if rows is None else _int(rows)
        except Exception:  # a source whose statistics fail: no estimate, as Spark has none
            size, rows = None, None
        if size is None or size >= self.limit or (rows is None and self.unknown(node, below=True)):
            self._unknown.add(id(node))
        else:
            node.size, node.rows = size, rows

    def attach(self, node: Node, p, above_stage: bool) -> None:
        """The estimate of ``p``'s own logical link (``p`` None: Spark added the node without one)."""
        logical = p.getTagValue(self.tag).orNull(self.ev) if p is not None else None
        if logical is not None and above_stage and logical.nodeName() == "LogicalQueryStage":
            logical = None  # AQE re-planned above a finished stage: the stage's statistics, not this node's
        if logical is None:
            if self.unknown(node, below=True):
                self._unknown.add(id(node))
            return
        self.put(node, logical)
        if node.operator in JOINS and len(node.children) == 2:
            for child, side in zip(node.children, ("left", "right")):
                if child.size is None and not self.unknown(child):
                    with contextlib.suppress(Exception):  # a join planned from something other than a Join
                        self.put(child, getattr(logical, side)())


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
