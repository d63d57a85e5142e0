"""Lineage capture: ``parse_debug_string`` over real ``toDebugString`` texts, ``lineage_of`` live.

Fixtures in tests/fixtures/lineage/ are named ``<spark version>-<where>-<case>.txt``: "file" ran
as a script (/tmp/capA/lin/lineage_cases.py, in the README there), "kernel" in a real ipykernel
(cells are /tmp/ipykernel_<pid>/<hash>.py), "ipython" in an IPython InteractiveShell
(<ipython-input-N-hash>), "jvm" a DataFrame's own RDD (``queryExecution().toRdd()``).
"""

from __future__ import annotations

import inspect
import re

import pytest

from conftest import FIXTURES
from sparkcoach.capture.lineage import parse_debug_string

LINEAGE = FIXTURES / "lineage"
FILES = sorted(LINEAGE.glob("*.txt"))

SHUFFLE_1 = "PythonRDD:0 MapPartitionsRDD:0 ShuffledRDD:0 PairwiseRDD:1 PythonRDD:1"
UNION_PARENTS = "UnionRDD:1 PythonRDD:1 ParallelCollectionRDD:1 PythonRDD:1 ParallelCollectionRDD:1"

# case -> (name:stage in toDebugString order, [(method, line) of the call sites naming user code])
EXPECTED = {
    "file-parallelize": ("PythonRDD:0 ParallelCollectionRDD:0", []),
    "file-map": ("PythonRDD:0 ParallelCollectionRDD:0", []),
    "file-groupbykey": (SHUFFLE_1 + " ParallelCollectionRDD:1", [("groupByKey", 19)]),
    "file-reducebykey": (SHUFFLE_1 + " ParallelCollectionRDD:1", [("reduceByKey", 20)]),
    "file-join": (SHUFFLE_1 + " " + UNION_PARENTS, [("join", 22)]),
    "file-partitionby": (SHUFFLE_1 + " ParallelCollectionRDD:1", [("partitionBy", 23)]),
    "file-sortbykey": (SHUFFLE_1 + " ParallelCollectionRDD:1", [("sortByKey", 24)]),
    "file-textfile": (SHUFFLE_1 + " MapPartitionsRDD:1 ShuffledRDD:1 PairwiseRDD:2 PythonRDD:2 MapPartitionsRDD:2 "
                      "HadoopRDD:2", [("reduceByKey", 29), ("sortBy", 29)]),
    "file-twoshuffles": (SHUFFLE_1 + " MapPartitionsRDD:1 ShuffledRDD:1 PairwiseRDD:2 PythonRDD:2 "
                         "ParallelCollectionRDD:2", [("groupByKey", 30), ("reduceByKey", 30)]),
    "file-cached": ("PythonRDD:0 " + SHUFFLE_1 + " ParallelCollectionRDD:1", [("reduceByKey", 31)]),
    "file-union": (SHUFFLE_1 + " " + UNION_PARENTS, [("distinct", 34)]),
    "file-dfrdd": ("PythonRDD:0 MapPartitionsRDD:0 MapPartitionsRDD:0 SQLExecutionRDD:0 MapPartitionsRDD:0 "
                   "MapPartitionsRDD:0 ParallelCollectionRDD:0", []),
    "file-cogroup": (SHUFFLE_1 + " " + UNION_PARENTS, [("cogroup", 36)]),
    "file-subtract": (SHUFFLE_1 + " " + UNION_PARENTS, [("subtractByKey", 37)]),
    "kernel-groupbykey": (SHUFFLE_1 + " ParallelCollectionRDD:1", [("groupByKey", 3)]),
    "kernel-reducesort": (SHUFFLE_1 + " MapPartitionsRDD:1 ShuffledRDD:1 PairwiseRDD:2 PythonRDD:2 "
                          "ParallelCollectionRDD:2", [("reduceByKey", 2), ("sortByKey", 3)]),
    "kernel-joinpartition": ("MapPartitionsRDD:0 ShuffledRDD:0 PairwiseRDD:1 PythonRDD:1 MapPartitionsRDD:1 "
                             "ShuffledRDD:1 PairwiseRDD:2 PythonRDD:2 UnionRDD:2 PythonRDD:2 ParallelCollectionRDD:2 "
                             "PythonRDD:2 ParallelCollectionRDD:2", [("join", 2), ("partitionBy", 2)]),
    "kernel-textfile": (SHUFFLE_1 + " MapPartitionsRDD:1 HadoopRDD:1", [("groupByKey", 2)]),
    "jvm-sqljoin": ("SQLExecutionRDD:0 MapPartitionsRDD:0 ZippedPartitionsRDD2:0 MapPartitionsRDD:0 ShuffledRowRDD:0 "
                    "MapPartitionsRDD:1 MapPartitionsRDD:1 MapPartitionsRDD:1 ParallelCollectionRDD:1 "
                    "MapPartitionsRDD:0 ShuffledRowRDD:0 MapPartitionsRDD:1 MapPartitionsRDD:1 MapPartitionsRDD:1 "
                    "ParallelCollectionRDD:1", []),
}
for _case in ("groupbykey", "reducesort", "joinpartition", "textfile"):
    EXPECTED["ipython-" + _case] = EXPECTED["kernel-" + _case]

USER_FILE = {
    "file": re.compile(r"/tmp/capA/lin/lineage_cases\.py"),
    "kernel": re.compile(r"/tmp/ipykernel_\d+/\d+\.py"),
    "ipython": re.compile(r"<ipython-input-\d+-[0-9a-f]+>"),
}


def _key(path):
    version, rest = path.stem.split("-", 1)
    return version, rest


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture_text_parses(path):
    version, case = _key(path)
    nodes = parse_debug_string(path.read_bytes())
    shape, calls = EXPECTED[case]
    assert [f"{n.name}:{n.stage}" for n in nodes] == shape.split()
    assert sorted({(n.call.split(" at ")[0], n.line) for n in nodes if n.file}) == calls
    where = case.split("-")[0]
    for n in nodes:
        assert isinstance(n.id, int) and n.call
        if n.file is not None:
            assert USER_FILE[where].fullmatch(n.file), n.file
            assert n.call.endswith(f"{n.file}:{n.line}")
        else:  # Spark's own frames never count as the user's line
            assert n.line is None and re.search(r"\.(scala|java):\d+$", n.call)
    assert parse_debug_string(path.read_text()) == nodes
    assert len({n.id for n in nodes}) == len(nodes) or case.endswith(("join", "union", "cogroup", "subtract"))


def test_every_fixture_has_expectations_and_both_versions_are_covered():
    have = {_key(p) for p in FILES}
    assert {c for _, c in have} == set(EXPECTED)
    assert {c for v, c in have if v == "3.5.9"} >= {c for c in EXPECTED if c.startswith("file-")}


def test_partitions_per_stage_block():
    nodes = parse_debug_string((LINEAGE / "4.3.0-file-partitionby.txt").read_bytes())
    assert [n.partitions for n in nodes] == [8, 8, 8, 4, 4, 4]  # partitionBy(8) over 4 input partitions
    nodes = parse_debug_string((LINEAGE / "4.3.0-file-textfile.txt").read_bytes())
    assert [n.partitions for n in nodes] == [4, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2]
    # a union's parents have their own counts, which toDebugString does not print
    nodes = parse_debug_string((LINEAGE / "4.3.0-file-join.txt").read_bytes())
    assert [n.partitions for n in nodes] == [4, 4, 4, 6, 6, 6, None, None, None, None]
    # two-digit partition counts shift the "|" columns
    nodes = parse_debug_string((LINEAGE / "4.3.0-jvm-sqljoin.txt").read_bytes())
    assert [n.partitions for n in nodes] == [12] * 5 + [3] * 4 + [12] * 2 + [10] * 4


def test_cache_lines_and_named_rdds():
    nodes = parse_debug_string((LINEAGE / "4.3.0-file-cached.txt").read_bytes())
    assert len(nodes) == 7  # the "CachedPartitions: 4; MemorySize: ..." line is not an RDD
    nodes = parse_debug_string((LINEAGE / "4.3.0-file-textfile.txt").read_bytes())
    hadoop = nodes[-1]
    assert (hadoop.name, hadoop.id, hadoop.call) == ("HadoopRDD", 35, "textFile at NativeMethodAccessorImpl.java:0")


def test_shuffles_of_a_captured_lineage():
    from sparkcoach.capture.model import CapturedLineage

    nodes = parse_debug_string((LINEAGE / "4.3.0-kernel-reducesort.txt").read_bytes())
    lineage = CapturedLineage("totals", 2, nodes)
    assert [n.id for n in lineage.shuffles] == [14, 8]
    # the user's call that made each shuffle is on the PairwiseRDD right above the boundary
    above = [nodes[nodes.index(s) + 1] for s in lineage.shuffles]
    assert [(n.name, n.call.split(" at ")[0], n.line) for n in above] == [("PairwiseRDD", "sortByKey", 3),
                                                                        ("PairwiseRDD", "reduceByKey", 2)]


def test_hand_made_texts():
    text = ("(10) ShuffledRDD[3] at reduceByKey at <command-42>:7 [Memory Deserialized 1x Replicated]\n"
            " +-(2) MapPartitionsRDD[2] at map at <stdin>:1 []\n"
            "    |  my data MapPartitionsRDD[1] at textFile at <unknown>:0 []\n"
            "    |  my data HadoopRDD[0] at textFile at Some.scala:12 []\n")
    nodes = parse_debug_string(text)
    assert [(n.name, n.id, n.stage, n.partitions, n.file, n.line) for n in nodes] == [
        ("ShuffledRDD", 3, 0, 10, "<command-42>", 7),
        ("MapPartitionsRDD", 2, 1, 2, "<stdin>", 1),
        ("MapPartitionsRDD", 1, 1, 2, None, None),
        ("HadoopRDD", 0, 1, 2, None, None),
    ]
    for bad in ("", "nothing here", b"\n\n"):
        with pytest.raises(ValueError):
            parse_debug_string(bad)


# -- live ------------------------------------------------------------------------------------------------------


def test_lineage_of_names_this_file_and_line(sc):
    from sparkcoach.capture.lineage import lineage_of

    group = "sparkcoach-test-lineage"
    pairs = sc.parallelize(range(40), 4).map(lambda x: (x % 5, x))
    line = inspect.currentframe().f_lineno + 1
    grouped = pairs.groupByKey().mapValues(len)
    sc.setJobGroup(group, "lineage_of must not run jobs")
    try:
        lineage = lineage_of(grouped, "grouped", 9)
    finally:
        sc.setJobGroup("sparkcoach-test-other", "")
    assert sc.statusTracker().getJobIdsForGroup(group) == []
    assert (lineage.name, lineage.line) == ("grouped", 9)
    assert lineage.text.startswith("(4) PythonRDD[")
    assert [n.name for n in lineage.shuffles] == ["ShuffledRDD"]
    user = [n for n in lineage.nodes if n.file]
    assert user and all(n.file == __file__ and n.line == line and n.call.startswith("groupByKey at ")
                        for n in user)
    assert {n.stage for n in user} == {1}


def test_lineage_of_code_run_as_a_notebook_cell(sc):
    """Code compiled under an IPython cell name: the call sites name the cell and the cell's line."""
    from sparkcoach.capture.lineage import lineage_of

    cell = "pairs = sc.parallelize(range(40), 4).map(lambda x: (x % 5, x))\n" \
           "\n" \
           "totals = pairs.reduceByKey(lambda a, b: a + b)\n" \
           "ordered = totals.sortBy(lambda kv: kv[1])\n"
    ns = {"sc": sc}
    exec(compile(cell, "<ipython-input-7-0123456789ab>", "exec"), ns)
    lineage = lineage_of(ns["ordered"], "ordered", 4)
    calls = sorted({(n.call.split(" at ")[0], n.file, n.line) for n in lineage.nodes if n.file})
    assert calls == [("reduceByKey", "<ipython-input-7-0123456789ab>", 3),
                     ("sortBy", "<ipython-input-7-0123456789ab>", 4)]
    assert max(n.stage for n in lineage.nodes) == 2
