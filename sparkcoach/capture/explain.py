"""Spark's ``explain()`` text -> :class:`~sparkcoach.capture.model.PlanNode`.

:func:`parse_explain` reads what ``DataFrame.explain()`` prints in every mode
(``simple``/default, ``extended``, ``cost``, ``formatted``) for Spark 3.5 and 4.x,
from a classic or a Spark Connect session, or a bare physical tree
(``executedPlan.treeString``).  The tree it returns is the same shape as the one
:func:`sparkcoach.capture.plan.plan_of` walks through the JVM:

* ``AdaptiveSparkPlan`` is unwrapped: the root is the plan below it, the final plan
  when AQE shows one (``+- == Final Plan ==``), else the current/initial plan.  The
  root's ``details`` carry ``"adaptive"`` and ``"final"`` (bools).
* Query stages (``ShuffleQueryStage``, ``BroadcastQueryStage``, ``ResultQueryStage``,
  ``TableCacheQueryStage``) are unwrapped too; the exchange below one gets
  ``details["Query stage"]`` and, when ``formatted`` shows them, the stage's
  measured ``details["Runtime size"]``/``["Runtime rows"]``.  ``AQEShuffleRead``
  stays an operator (``args`` "coalesced", "local", ...).
* Whole-stage codegen is not an operator: ``*(2) Project`` (``* Project`` plus
  ``[codegen id : 2]`` in formatted mode) is operator ``Project`` with
  ``details["Codegen id"] = 2``.
* File scans are operator ``FileScan`` with ``details["Format"]`` lower-case
  ("csv", "parquet", ...), from ``FileScan csv [...]`` or formatted ``Scan csv``;
  the simple line's ``Key: value`` pairs (``PushedFilters``, ``Location``, ...) and
  the formatted detail section both land in ``details``.
* Inner children Spark prints below an operator without being its child (a
  cached relation's plan below ``InMemoryTableScan``, a scalar subquery's plan
  below the operator using it) are appended after the real children; their root
  has ``details["Inner child"] = True``.

Normalised ``details`` in every mode: joins get "Join type", "Build side"
("left"/"right", hash and nested-loop joins), "Left keys"/"Right keys" (equi-joins)
and "Join condition" when there is one; ``Exchange`` gets "Partitioning"
("hashpartitioning(k#1L, 4)", "SinglePartition", "rangepartitioning(...)",
"RoundRobinPartitioning(8)"), "Partitions" (int, when stated) and "Shuffle origin"
("ENSURE_REQUIREMENTS", "REPARTITION_BY_NUM", ...); ``Sort`` gets "Global" (bool);
``Coalesce`` gets "Partitions".  ``args`` is the rest of the simple-mode line
(``Exchange``: "hashpartitioning(k#1L, 4), ENSURE_REQUIREMENTS, [plan_id=12]");
in formatted mode it is the "Arguments" entry when there is one, else what the
tree line shows after the name (joins: "Inner", "LeftAnti BuildRight").

Sizes: a ``cost``-mode text carries the optimized logical plan's statistics; the
root gets the logical root's size/rows and each side of the n-th join (in walk
order, inner children skipped) gets the size of the n-th logical ``Join``'s side,
when the two plans have the same number of joins.

Pure Python: never imports pyspark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import PlanNode

JOINS = frozenset({"SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin", "BroadcastNestedLoopJoin",
                   "CartesianProduct"})
QUERY_STAGES = frozenset({"ShuffleQueryStage", "BroadcastQueryStage", "ResultQueryStage",
                          "TableCacheQueryStage"})
FILE_FORMATS = frozenset({"csv", "json", "parquet", "orc", "text", "avro", "binaryfile", "xml", "libsvm", "image",
                          "delta"})
_JOIN_TYPES = re.compile(r"^(Inner|Cross|LeftOuter|RightOuter|FullOuter|LeftSemi|LeftAnti|LeftSingle"
                         r"|ExistenceJoin\(.*\))$")
_SECTION = re.compile(r"^== ([A-Za-z][A-Za-z ]*) ==\s*$")
_TREE_PREFIX = re.compile(r"^[ :|+\-]*")
_PLAN_HEADER = re.compile(r"^== (Final|Initial|Current) Plan ==$")
_DETAIL_HEAD = re.compile(r"^\((\d+)\) (.*?)(?: \[codegen id : (\d+)\])?\s*$")
_DETAIL_KEY = re.compile(r"^([A-Za-z][\w ]*?)(?: \[\d+\])? ?: ?(.*)$")
_FORMATTED_LINE = re.compile(r"^(\* )?(.*?) \((\d+)\)(.*)$")
_SUBQUERY_HEAD = re.compile(r"^Subquery:\d+ Hosting operator id = (\d+) Hosting Expression = (.*)$")
_CODEGEN = re.compile(r"^\*\((\d+)\) ")
_IDENT = re.compile(r"^[A-Za-z_][\w$]*")
_KEY_VALUE = re.compile(r"^([A-Za-z][\w]*): (.*)$", re.S)
_STATS = re.compile(r"Statistics\(sizeInBytes=([^,)]+)(?:, rowCount=([^,)]+))?")
_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50, "EiB": 1 << 60}


@dataclass(frozen=True)
class ExplainResult:
    """What :func:`parse_explain_result` read: the physical tree and AQE's flags."""

    root: PlanNode
    adaptive: bool  # the plan sat under AdaptiveSparkPlan
    final: bool  # AQE's isFinalPlan=true: the plan that ran
    formatted: bool  # the text was explain(mode="formatted")


def parse_explain(text: str) -> PlanNode:
    """The physical plan in ``text`` (any ``explain`` mode) as a :class:`PlanNode` tree.

    Raises ``ValueError`` when ``text`` holds no physical plan tree.
    """
    return parse_explain_result(text).root


def parse_explain_result(text: str) -> ExplainResult:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if re.match(r"\s*Found \d+ WholeStageCodegen subtrees", text):
        raise ValueError("explain(mode='codegen') text: no plan tree to read")
    sections = explain_sections(text)
    physical = sections.get("Physical Plan")
    if physical is None:
        if any(name is not None for name in sections):
            raise ValueError("no '== Physical Plan ==' section in the explain text")
        physical = sections.get(None, [])
    if not any(line.strip() for line in physical):
        raise ValueError("empty physical plan")
    if any(_DETAIL_HEAD.match(line) for line in physical):
        root = _parse_formatted(physical)
        formatted = True
    else:
        root = _parse_tree([line for line in _tree_block(physical)], _node_from_simple)
        formatted = False
    root, adaptive, final = _unwrap(root, top=True)
    logical = sections.get("Optimized Logical Plan")
    if logical:
        attach_sizes(root, logical_statistics(logical))
    root.details["adaptive"] = adaptive
    root.details["final"] = final
    return ExplainResult(root.freeze(), adaptive, final, formatted)


# -- the mutable tree both capture paths build before freezing ---------------------------------------


class Node:
    """A plan node while it is being built (mutable); :meth:`freeze` gives the :class:`PlanNode`."""

    __slots__ = ("operator", "args", "details", "children", "inner", "size", "rows", "id", "col")

    def __init__(self, operator: str, args: str = "", details: dict | None = None, id: int | None = None):
        self.operator = operator
        self.args = args
        self.details = details if details is not None else {}
        self.children: list[Node] = []
        self.inner: list[Node] = []  # printed below the node but not its children (subqueries, cached plans)
        self.size: int | None = None
        self.rows: int | None = None
        self.id = id
        self.col = 0

    def walk(self, inner: bool = True):
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children + n.inner if inner else n.children))

    def freeze(self) -> PlanNode:
        for c in self.inner:
            c.details["Inner child"] = True
        return PlanNode(self.operator, self.args, tuple(c.freeze() for c in self.children + self.inner),
                        self.size, self.rows, self.id, self.details)


def node_from_line(line: str) -> Node:
    """One simple-mode tree line (or a JVM ``simpleString``) as an unlinked :class:`Node`."""
    return _node_from_simple(line.strip())


# -- sections and trees ---------------------------------------------------------------------------------


def explain_sections(text: str) -> dict:
    """Lines of each ``== Name ==`` section; lines before any header under ``None``."""
    out: dict = {None: []}
    current = None
    for line in text.splitlines():
        m = _SECTION.match(line)
        if m and not line.startswith(" "):
            current = m.group(1).strip()
            out[current] = []
            continue
        out[current].append(line.rstrip("\r"))
    return out


def _tree_block(lines: list[str]) -> list[str]:
    """The tree lines at the start of ``lines`` (until the first blank line after the tree)."""
    out = []
    for line in lines:
        if not line.strip():
            if out:
                break
            continue
        out.append(line)
    return out


def _parse_tree(lines: list[str], make) -> Node:
    """Build a tree from indented tree lines; ``make(text)`` turns one line's text into a Node."""
    root: Node | None = None
    stack: list[Node] = []
    for line in lines:
        if not line.strip():
            continue
        prefix = _TREE_PREFIX.match(line).group(0)
        col = len(prefix)
        text = line[col:].rstrip()
        if _PLAN_HEADER.match(text):
            node = Node("== " + text.split()[1] + " Plan ==")
            node.col = col - 1  # the section's root is printed at the header's column
        else:
            try:
                node = make(text)
            except ValueError:
                if root is None:
                    raise
                node = None
            if node is not None:
                node.col = col
        if node is not None:
            while stack and stack[-1].col >= node.col:
                stack.pop()
        if node is None or (not stack and root is not None):
            # not an operator, or a second root: a wrapped argument line; keep it on the last node
            last = _last(root)
            last.args = (last.args + " " + text).strip()
            continue
        if not stack:
            root = node
        else:
            parent = stack[-1]
            if parent.operator.startswith("== ") or node.operator.startswith("== ") or node.col <= parent.col + 3:
                parent.children.append(node)
            else:
                parent.inner.append(node)
        stack.append(node)
    if root is None:
        raise ValueError("no plan tree")
    return root


def _last(root: Node) -> Node:
    n = root
    while n.children or n.inner:
        n = (n.children + n.inner)[-1]
    return n


# -- simple mode ----------------------------------------------------------------------------------------


def _node_from_simple(text: str) -> Node:
    details: dict = {}
    m = _CODEGEN.match(text)
    if m:
        details["Codegen id"] = int(m.group(1))
        text = text[m.end():]
    m = _IDENT.match(text)
    if not m:
        raise ValueError(f"not a plan operator: {text[:80]!r}")
    op = m.group(0)
    rest = text[m.end():]
    if rest.startswith("(") and rest.endswith(")") and _balanced(rest[1:-1]):
        rest = rest[1:-1]  # HashAggregate(keys=[...], functions=[...])
    rest = rest.strip()
    node = Node(op, rest, details)
    if op in ("FileScan", "BatchScan"):
        fmt, _, tail = rest.partition(" ")
        fmt = fmt.split("[", 1)[0]
        if fmt.lower() in FILE_FORMATS or op == "FileScan":
            details["Format"] = fmt.lower()
        _key_values(_after_columns(tail), details)
    _normalise(node, tree_extra=None)
    return node


def _after_columns(text: str) -> str:
    """``tbl[id#1,k#2] Batched: true, ...`` -> ``Batched: true, ...``."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return text[i + 1:].strip()
    return text


def _key_values(text: str, details: dict) -> None:
    last = None
    for part in split_top(text):
        m = _KEY_VALUE.match(part)
        if m:
            last = m.group(1)
            if last not in details:
                details[last] = m.group(2).strip()
        elif last is not None and isinstance(details.get(last), str):
            details[last] += ", " + part


def split_top(text: str, sep: str = ", ") -> list[str]:
    """Split at ``sep`` outside (), [] and {}."""
    out, depth, start, i, n = [], 0, 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            out.append(text[start:i].strip())
            i += len(sep)
            start = i
            continue
        i += 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _normalise(node: Node, tree_extra: str | None) -> None:
    """The details every mode gives for joins, exchanges, sorts and coalesces."""
    op, d = node.operator, node.details
    if op in JOINS:
        if tree_extra is not None:  # formatted: "Inner", "LeftAnti BuildRight"; details from the section
            for word in tree_extra.split():
                if word in ("BuildLeft", "BuildRight"):
                    d.setdefault("Build side", word[5:].lower())
                elif _JOIN_TYPES.match(word):
                    d.setdefault("Join type", word)
            if d.get("Join condition") == "None":
                del d["Join condition"]
            return
        parts = split_top(node.args)
        rest = []
        if op in ("SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin") and len(parts) >= 2 \
                and parts[0].startswith("[") and parts[1].startswith("["):
            d.setdefault("Left keys", parts[0])
            d.setdefault("Right keys", parts[1])
            parts = parts[2:]
        for p in parts:
            if p in ("BuildLeft", "BuildRight"):
                d.setdefault("Build side", p[5:].lower())
            elif _JOIN_TYPES.match(p) and "Join type" not in d:
                d["Join type"] = p
            elif p in ("true", "false"):
                continue
            else:
                rest.append(p)
        if op == "CartesianProduct":
            d.setdefault("Join type", "Inner")  # what formatted mode says for CartesianProductExec
        if rest:
            d.setdefault("Join condition", ", ".join(rest))
    elif op == "Exchange":
        parts = split_top(node.args)
        if parts:
            d.setdefault("Partitioning", parts[0])
            n = _partitions(parts[0])
            if n is not None:
                d.setdefault("Partitions", n)
        for p in parts[1:]:
            if re.fullmatch(r"[A-Z][A-Z_]+", p):
                d.setdefault("Shuffle origin", p)
    elif op == "Sort":
        parts = split_top(node.args)
        if len(parts) >= 2 and parts[1] in ("true", "false"):
            d.setdefault("Global", parts[1] == "true")
    elif op == "Coalesce":
        if node.args.strip().isdigit():
            d.setdefault("Partitions", int(node.args.strip()))


def _partitions(partitioning: str) -> int | None:
    if partitioning.startswith("SinglePartition"):
        return 1
    m = re.search(r"(?:,\s*|\()(\d+)\)$", partitioning)
    return int(m.group(1)) if m else None


# -- formatted mode ---------------------------------------------------------------------------------------


def _parse_formatted(lines: list[str]) -> Node:
    details: dict[int, tuple[str, int | None, dict]] = {}
    trees: list[tuple[int | None, list[str], str]] = []  # (hosting operator id, tree lines, hosting expression)
    current: dict | None = None
    last_key = None
    i, n = 0, len(lines)
    # the main tree comes first
    while i < n and not lines[i].strip():
        i += 1
    block = []
    while i < n and lines[i].strip():
        block.append(lines[i])
        i += 1
    trees.append((None, block, ""))
    while i < n:
        line = lines[i]
        i += 1
        if not line.strip():
            current = None
            continue
        m = _SUBQUERY_HEAD.match(line)
        if m:
            current = None
            block = []
            while i < n and lines[i].strip() and not _SUBQUERY_HEAD.match(lines[i]):
                block.append(lines[i])
                i += 1
            if block:
                trees.append((int(m.group(1)), block, m.group(2).strip()))
            continue
        m = _DETAIL_HEAD.match(line)
        if m and current is None:
            current = {}
            last_key = None
            details[int(m.group(1))] = (m.group(2), int(m.group(3)) if m.group(3) else None, current)
            continue
        if current is None:
            continue
        m = _DETAIL_KEY.match(line)
        if m:
            last_key = m.group(1).strip()
            current[last_key] = m.group(2).strip()
        elif last_key is not None:
            current[last_key] += "\n" + line

    def make(text: str) -> Node:
        m = _FORMATTED_LINE.match(text)
        if not m:
            return _node_from_simple(text)
        name, op_id, extra = m.group(2).strip(), int(m.group(3)), m.group(4).strip()
        extra = extra[1:].strip() if extra.startswith(",") else extra
        _, codegen, sect = details.get(op_id, (name, None, {}))
        d = dict(sect)
        words = name.split()
        op = words[0] if words else name
        tree_extra = " ".join(words[1:])
        if op == "Scan" and len(words) >= 2 and words[1].lower() in FILE_FORMATS:
            op = "FileScan"
            d["Format"] = words[1].lower()
            if len(words) > 2:
                d.setdefault("Table", " ".join(words[2:]))
            tree_extra = ""
        if codegen is not None:
            d["Codegen id"] = codegen
        args = d.get("Arguments")
        if args is None:
            args = " ".join(x for x in (tree_extra, extra) if x)
        node = Node(op, args, d, op_id)
        if extra.startswith("Statistics("):
            node.details["Statistics"] = extra
        _normalise(node, tree_extra if op in JOINS else None)
        return node

    root = _parse_tree(trees[0][1], make)
    by_id = {x.id: x for x in root.walk() if x.id is not None}
    for host, block, expression in trees[1:]:
        sub = _parse_tree(block, make)
        holder = Node(expression.split()[0] if expression else "Subquery",
                      " ".join(expression.split()[1:]))
        holder.children.append(sub)
        target = by_id.get(host)
        if target is not None:
            target.inner.append(holder)
            by_id.update({x.id: x for x in sub.walk() if x.id is not None})
    return root


# -- unwrapping AQE and query stages ----------------------------------------------------------------------


def _unwrap(node: Node, top: bool = False) -> tuple[Node, bool, bool]:
    adaptive = final = False
    while True:
        if node.operator == "AdaptiveSparkPlan":
            adaptive = True
            final = final or "isFinalPlan=true" in node.args
            headers = {c.operator: c for c in node.children if c.operator.startswith("== ")}
            chosen = None
            for name in ("== Final Plan ==", "== Current Plan ==", "== Initial Plan =="):
                if name in headers and headers[name].children:
                    chosen = headers[name].children[0]
                    break
            if chosen is None:
                plain = [c for c in node.children if not c.operator.startswith("== ")]
                if not plain:
                    raise ValueError("AdaptiveSparkPlan without a plan below it")
                chosen = plain[0]
            final = final and "== Final Plan ==" in headers or (final and not headers)
            node = chosen
            continue
        if node.operator in QUERY_STAGES and len(node.children) == 1:
            child = node.children[0]
            stage = node.args.split(",")[0].strip()
            if stage.isdigit():
                child.details.setdefault("Query stage", int(stage))
            stats = node.details.get("Statistics") or ""
            m = _STATS.search(stats)
            if m:
                child.details.setdefault("Runtime size", parse_bytes(m.group(1)))
                if m.group(2):
                    child.details.setdefault("Runtime rows", parse_count(m.group(2)))
            node = child
            continue
        break
    node.children = [_unwrap(c)[0] for c in node.children]
    node.inner = [_unwrap(c)[0] for c in node.inner]
    return node, adaptive, final


# -- statistics from the cost mode's optimized logical plan ------------------------------------------------


def parse_bytes(text: str) -> int | None:
    m = re.fullmatch(r"\s*([\d.]+(?:[Ee][+-]?\d+)?)\s*([KMGTPE]iB|B)?\s*", text)
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2) or "B"])


def parse_count(text: str) -> int | None:
    try:
        return int(float(text.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class LogicalStats:
    """Sizes from an optimized logical plan: the root's, and both sides of each Join (walk order)."""

    size: int | None
    rows: int | None
    joins: tuple[tuple[tuple[int | None, int | None], tuple[int | None, int | None]], ...]


def logical_statistics(lines: list[str]) -> LogicalStats:
    """The ``Statistics(sizeInBytes=..., rowCount=...)`` of a cost-mode optimized logical plan."""

    def make(text: str) -> Node:
        m = _IDENT.match(text)
        node = Node(m.group(0) if m else text.split(" ", 1)[0], text)
        found = list(_STATS.finditer(text))
        if found:
            node.size = parse_bytes(found[-1].group(1))
            node.rows = parse_count(found[-1].group(2)) if found[-1].group(2) else None
        return node

    try:
        root = _parse_tree(_tree_block(lines), make)
    except ValueError:
        return LogicalStats(None, None, ())
    joins = tuple(((j.children[0].size, j.children[0].rows), (j.children[1].size, j.children[1].rows))
                  for j in root.walk(inner=False) if j.operator == "Join" and len(j.children) == 2)
    return LogicalStats(root.size, root.rows, joins)


def attach_sizes(root: Node, stats: LogicalStats) -> None:
    """Root size/rows, and each side of the n-th physical join gets the n-th logical join's side."""
    if root.size is None:
        root.size, root.rows = stats.size, stats.rows
    joins = [n for n in root.walk(inner=False) if n.operator in JOINS and len(n.children) == 2]
    if not joins or len(joins) != len(stats.joins):
        return
    for join, sides in zip(joins, stats.joins):
        for child, (size, rows) in zip(join.children, sides):
            if child.size is None:
                child.size, child.rows = size, rows
