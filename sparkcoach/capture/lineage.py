"""An RDD's lineage (``rdd.toDebugString()``) as :class:`~sparkcoach.capture.model.RddNode` rows.

``toDebugString`` prints one line per RDD, the RDD itself first::

    (4) PythonRDD[8] at RDD at PythonRDD.scala:59 []
     |  MapPartitionsRDD[7] at mapPartitions at PythonRDD.scala:197 []
     |  ShuffledRDD[6] at partitionBy at NativeMethodAccessorImpl.java:0 []
     +-(4) PairwiseRDD[5] at groupByKey at /tmp/ipykernel_10600/2652535873.py:3 []
        |  PythonRDD[4] at groupByKey at /tmp/ipykernel_10600/2652535873.py:3 []
        |  ParallelCollectionRDD[0] at readRDDFromFile at PythonRDD.scala:326 []

``+-(n)`` starts the parent stage of a shuffle dependency (``n`` partitions); the
``|`` column says which stage a narrow line belongs to.  ``RddNode.stage`` is 0 for
the RDD's own (last) stage and one more per shuffle boundary going up the lineage.
``partitions`` is the ``(n)`` of the node's stage block, carried down the block's
narrow lines until a node whose parents may have another count (``UnionRDD``,
``CoalescedRDD``, ...), below which it is ``None``.  The call site ("groupByKey at
<ipython-input-3-...>:5") names the user's file and line: ``file``/``line`` are set
when the file is Python code (a ``.py`` path, an IPython/ipykernel cell, a
``<command-...>``/``<stdin>``-style pseudo-file), never for Spark's own
``*.scala``/``*.java`` frames.  In PySpark the user's call site sits on the
``PairwiseRDD``/``PythonRDD`` lines below ``+-``; the ``ShuffledRDD`` itself says
"partitionBy at NativeMethodAccessorImpl.java:0".

Cache information lines (``CachedPartitions: 4; MemorySize: ...``) are skipped.
Pure Python: never imports pyspark, and ``lineage_of`` never runs a job.
"""

from __future__ import annotations

import re

from .model import CapturedLineage, RddNode

_LINE = re.compile(r"^(?P<prefix>[ |]*)(?:(?P<shuffle>\+-)?\((?P<parts>\d+)\) )?(?P<desc>.*)$")
_DESC = re.compile(r"^(?P<label>.*?)(?P<cls>[A-Za-z_$][\w$]*)\[(?P<id>\d+)\] at (?P<call>.*?)"
                   r"(?: \[(?P<storage>[^\]]*)\])?\s*$")
_CALL = re.compile(r"^(?P<method>.*?) at (?P<file>.+):(?P<line>\d+)$")
# parents of these may have another partition count than the RDD itself
_REPARTITIONING = frozenset({"UnionRDD", "PartitionerAwareUnionRDD", "CoalescedRDD", "CartesianRDD",
                             "PartitionPruningRDD"})


def parse_debug_string(text: str | bytes) -> tuple[RddNode, ...]:
    """The RDDs of a ``toDebugString()`` text, in its order (the RDD itself first).

    Raises ``ValueError`` when no line looks like an RDD.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    nodes: list[RddNode] = []
    stage_of_bar: dict[int, int] = {}  # column of a stage's "|" -> its stage number
    parts_of_stage: dict[int, int | None] = {}  # stage number -> the partition count its block carries now
    for raw in text.splitlines():
        if not raw.strip():
            continue
        m = _LINE.match(raw.rstrip())
        prefix, shuffle, parts, desc = m.group("prefix"), m.group("shuffle"), m.group("parts"), m.group("desc")
        if shuffle is None and raw.lstrip(" |").startswith("+-"):
            continue  # "+-" without "(n)": not a lineage line we know
        d = _DESC.match(desc)
        if not d:
            continue  # CachedPartitions: ...; MemorySize: ... (or anything else that is not an RDD)
        width = len(parts) + 2 if parts is not None else 0
        if shuffle:
            column = len(prefix)  # "+-" sits in the parent stage's "|" column
            stage = _stage_at(stage_of_bar, column) + 1
            bar = column + 2 + (width - 1) // 2
            _forget_right_of(stage_of_bar, column)
            stage_of_bar[bar] = stage
            parts_of_stage[stage] = int(parts)
        elif parts is not None and not nodes:
            stage = 0
            stage_of_bar = {(width - 1) // 2: 0}
            parts_of_stage = {0: int(parts)}
        else:
            bar = prefix.rfind("|")
            if bar < 0:
                continue
            stage = _stage_at(stage_of_bar, bar)
        cls = d.group("cls")
        call = d.group("call").strip()
        file, line = _user_frame(call)
        nodes.append(RddNode(cls, int(d.group("id")), call, parts_of_stage.get(stage), stage, line, file))
        if cls in _REPARTITIONING:
            parts_of_stage[stage] = None
    if not nodes:
        raise ValueError("no RDD in the toDebugString text")
    return tuple(nodes)


def _stage_at(stage_of_bar: dict[int, int], column: int) -> int:
    if column in stage_of_bar:
        return stage_of_bar[column]
    left = [c for c in stage_of_bar if c <= column]
    return stage_of_bar[max(left)] if left else 0


def _forget_right_of(stage_of_bar: dict[int, int], column: int) -> None:
    for c in [c for c in stage_of_bar if c > column]:
        del stage_of_bar[c]


def _user_frame(call: str) -> tuple[str | None, int | None]:
    """(file, line) of a call site naming Python code; (None, None) for Spark's own frames."""
    m = _CALL.match(call)
    if not m:
        return None, None
    file = m.group("file").strip()
    if file.endswith((".scala", ".java")) or file in ("NativeMethodAccessorImpl.java", "<unknown>"):
        return None, None
    if not (file.endswith((".py", ".ipy")) or (file.startswith("<") and file.endswith(">"))):
        return None, None
    return file, int(m.group("line"))


def lineage_of(rdd, name: str, line: int | None = None) -> CapturedLineage:
    """``rdd``'s lineage (``toDebugString`` builds no job)."""
    text = rdd.toDebugString()
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    return CapturedLineage(name, line, parse_debug_string(text), text or "")
