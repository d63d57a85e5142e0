"""Executor sizing maths: the worked examples, small nodes, rounding, errors, comparison and rendering."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sparkcoach.resources import (
    GIB,
    MIB,
    ExecutorPlan,
    compare_with,
    format_memory,
    parse_memory,
    plan_executors,
    render,
)


def test_the_classic_worked_example_6_nodes_16_cores_64g():
    r = plan_executors(16, "64g", 6)
    assert isinstance(r, ExecutorPlan)
    assert (r.cores_per_executor, r.executors_per_node, r.num_executors) == (5, 3, 17)
    assert r.am_reserved
    assert r.container_memory == 21 * GIB  # (64 - 1) / 3: "21 GB per executor before overhead"
    assert (r.executor_memory_text, r.memory_overhead_text) == ("19g", "2g")
    assert r.total_cores == 85
    assert r.default_parallelism == 170 and r.parallelism_range == (170, 255)
    assert r.submit_flags.startswith(
        "--num-executors 17 --executor-cores 5 --executor-memory 19g --conf spark.executor.memoryOverhead=2g")
    assert "--conf spark.default.parallelism=170" in r.submit_flags
    assert r.conf()["spark.executor.instances"] == "17"
    assert r.notes == ()


def test_the_issue_example_4_nodes_16_cores_122g():
    r = plan_executors(node_cores=16, node_memory="122g", nodes=4)
    assert (r.cores_per_executor, r.executors_per_node, r.num_executors) == (5, 3, 11)
    assert (r.executor_memory_text, r.memory_overhead_text) == ("36g", "4g")
    assert r.total_cores == 55 and r.default_parallelism == 110


@pytest.mark.parametrize("cores,memory,nodes", [
    (16, "64g", 6), (16, "122g", 4), (2, "4g", 1), (4, "8g", 3), (8, "32g", 3), (12, "48g", 5), (16, "4g", 1),
    (24, "96g", 10), (32, "256g", 20), (64, "512g", 2), (96, "768g", 50), (6, "3g", 2), (2, "2g", 1),
])
def test_every_plan_fits_the_node(cores, memory, nodes):
    r = plan_executors(cores, memory, nodes)
    node = parse_memory(memory)
    assert r.executor_memory + r.memory_overhead <= r.container_memory
    assert r.executors_per_node * r.container_memory <= node - GIB
    assert r.executors_per_node * r.cores_per_executor <= cores - 1
    assert 1 <= r.cores_per_executor <= 5
    assert r.memory_overhead >= 384 * MIB and r.memory_overhead >= 0.10 * r.executor_memory
    assert r.executor_memory >= 450 * MIB  # Spark's own minimum
    assert r.num_executors == r.executors_per_node * nodes - (1 if nodes > 1 else 0)
    assert parse_memory(r.executor_memory_text) == r.executor_memory  # the flag text is exact


def test_small_nodes_get_fewer_cores_per_executor():
    r = plan_executors(2, "4g")
    assert (r.cores_per_executor, r.executors_per_node, r.num_executors) == (1, 1, 1)
    assert not r.am_reserved  # one node: no ApplicationMaster slot taken
    assert (r.executor_memory_text, r.memory_overhead_text) == ("2688m", "384m")  # 128 MiB steps under 4g
    assert "only 1 usable core" in r.notes[0]
    r = plan_executors(4, "8g")
    assert (r.cores_per_executor, r.executors_per_node) == (3, 1)


def test_awkward_core_counts_prefer_using_the_cores():
    r = plan_executors(8, "32g", 3)  # 7 usable cores: 2 x 3 beats 1 x 5
    assert (r.cores_per_executor, r.executors_per_node, r.num_executors) == (3, 2, 5)
    assert any("2 x 3 uses 6 of the 7 usable cores" in n for n in r.notes)
    assert (r.executor_memory_text, r.memory_overhead_text) == ("14g", "1536m")  # 512 MiB steps for a 15.5g share
    r = plan_executors(24, "96g", 10)  # 23 usable: 4 x 5 (20) is within 10% of 7 x 3 (21)
    assert (r.cores_per_executor, r.executors_per_node) == (5, 4)
    assert "3 cores per node left idle" in r.notes


def test_memory_bound_nodes_run_fewer_executors():
    r = plan_executors(16, "4g")
    assert r.executors_per_node == 2 and r.executor_memory >= GIB
    assert any("memory-bound" in n for n in r.notes)


def test_options_change_the_arithmetic():
    r = plan_executors(16, "64g", 6, leave_one_executor_for_am=False)
    assert r.num_executors == 18 and not r.am_reserved
    r = plan_executors(16, "64g", 6, os_cores=0, os_memory="0")
    assert r.executors_per_node == 3 and r.idle_cores_per_node == 1
    r = plan_executors(16, "64g", 6, cores_per_executor=3)
    assert (r.cores_per_executor, r.executors_per_node) == (3, 5)
    r = plan_executors(16, "64g", 6, overhead_fraction=0.2)
    assert r.memory_overhead >= 0.2 * r.executor_memory
    assert r.executor_memory + r.memory_overhead <= r.container_memory


@pytest.mark.parametrize("kwargs,message", [
    ({"node_cores": 1, "node_memory": "4g"}, "node_cores must be at least 2"),
    ({"node_cores": 0, "node_memory": "4g"}, "node_cores must be at least 2"),
    ({"node_cores": 4, "node_memory": "12x"}, "cannot parse memory size '12x'"),
    ({"node_cores": 4, "node_memory": ""}, "cannot parse memory size"),
    ({"node_cores": 4, "node_memory": "1g"}, "too small"),
    ({"node_cores": 4, "node_memory": "1400m"}, "too small"),
    ({"node_cores": 4, "node_memory": 64}, "an int is a byte count"),
    ({"node_cores": 4, "node_memory": "8g", "nodes": 0}, "nodes must be at least 1"),
    ({"node_cores": 4.5, "node_memory": "8g"}, "node_cores must be a whole number"),
    ({"node_cores": 4, "node_memory": "8g", "os_cores": 4}, "os_cores must be between"),
    ({"node_cores": 4, "node_memory": "8g", "cores_per_executor": 0}, "cores_per_executor must be at least 1"),
    ({"node_cores": 4, "node_memory": "8g", "overhead_fraction": 1.5}, "overhead_fraction"),
    ({"node_cores": 4, "node_memory": "8g", "os_memory": "lots"}, "cannot parse memory size 'lots'"),
])
def test_bad_input_is_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_executors(**kwargs)


def test_parse_memory():
    assert parse_memory("122g") == 122 * GIB
    assert parse_memory("19G") == parse_memory("19gb") == parse_memory("19 GiB") == 19 * GIB
    assert parse_memory("512m") == 512 * MIB
    assert parse_memory("1.5g") == 1536 * MIB
    assert parse_memory("1t") == 1024 * GIB
    assert parse_memory("2k") == 2048 and parse_memory("100b") == 100
    assert parse_memory("1024") == 1024 and parse_memory(4096) == 4096
    assert parse_memory("1024", default_unit="m") == GIB  # how Spark reads a bare spark.executor.memory
    for bad in ("12x", "g", "", "-1g", "1g2", None, True):
        with pytest.raises(ValueError):
            parse_memory(bad)


def test_format_memory():
    assert format_memory(19 * GIB) == "19g"
    assert format_memory(2688 * MIB) == "2688m"
    assert format_memory(1536 * MIB) == "1536m"
    assert format_memory(1024 * GIB) == "1t"
    assert format_memory(3 * 1024) == "3k" and format_memory(1000) == "1000b" and format_memory(0) == "0"
    for n in (GIB, 384 * MIB, 2688 * MIB, 5 * 1024 * GIB, 12345):
        assert parse_memory(format_memory(n)) == n


def test_compare_with_a_local_session_conf():
    r = plan_executors(16, "64g", 6)
    lines = compare_with(r, {"spark.master": "local[2]", "spark.executor.memory": "1g",
                             "spark.sql.shuffle.partitions": "4"})
    assert lines[0].startswith("spark.master is local[2]: executor settings have no effect in local mode")
    assert "spark.executor.memory: 1g now, 19g suggested" in lines
    assert "spark.executor.cores: unset (Spark's default: 1 on YARN, all of the worker's cores on standalone), " \
           "5 suggested" in lines
    assert "spark.executor.instances: unset (Spark's default: 2 on YARN), 17 suggested" in lines
    assert any(x.startswith("spark.executor.memoryOverhead: unset") and x.endswith("= 384m), 2g suggested")
               for x in lines)
    assert "spark.sql.shuffle.partitions: 4 now, 170 suggested" in lines
    assert any(x.startswith("spark.default.parallelism: unset") for x in lines)


def test_compare_with_matching_settings_says_so():
    r = plan_executors(16, "64g", 6)
    conf = {"spark.master": "yarn", "spark.executor.memory": "19456", "spark.executor.cores": "5",
            "spark.executor.instances": "17", "spark.executor.memoryOverhead": "2048m",
            "spark.default.parallelism": "170", "spark.sql.shuffle.partitions": "200"}
    lines = compare_with(r, conf)
    assert lines == [
        "spark.executor.memory: 19g (matches)",  # a bare number is MiB, as Spark reads it
        "spark.executor.cores: 5 (matches)",
        "spark.executor.instances: 17 (matches)",
        "spark.executor.memoryOverhead: 2g (matches)",
        "spark.default.parallelism: 170 (matches)",
        "spark.sql.shuffle.partitions: 200 (within the suggested 170-255)",
    ]


def test_compare_with_dynamic_allocation_and_odd_values():
    r = plan_executors(16, "64g", 6)
    lines = compare_with(r, {"spark.dynamicAllocation.enabled": "true", "spark.dynamicAllocation.maxExecutors": "50",
                             "spark.executor.memory": "not-a-size", "spark.executor.cores": "five"})
    assert "spark.dynamicAllocation.maxExecutors (dynamic allocation is on): 50 now, 17 suggested" in lines
    assert not any(x.startswith("spark.executor.instances") for x in lines)
    assert any(x.startswith("spark.executor.memory: unset") for x in lines)  # unparsable reads as unset
    assert compare_with(r, {})[0].startswith("spark.executor.memory: unset (Spark's default: 1g), 19g suggested")


def test_compare_with_a_real_session_conf(spark):
    r = plan_executors(16, "64g", 6)
    conf = dict(spark.sparkContext.getConf().getAll())
    lines = compare_with(r, conf)
    assert lines[0].startswith("spark.master is local[2]")
    assert "spark.sql.shuffle.partitions: 4 now, 170 suggested" in lines
    assert "spark.default.parallelism: 4 now, 170 suggested" in lines


def test_render():
    r = plan_executors(16, "64g", 6)
    text = render(r, compare_with(r, {"spark.executor.memory": "1g"}))
    assert text.splitlines()[:4] == [
        "Cluster: 6 nodes x 16 cores x 64g (reserving 1 core and 1g per node for the OS and daemons)",
        "Executors: 3 per node x 5 cores = 17 executors (18 minus 1 left for the YARN ApplicationMaster)",
        "Memory per executor: 19g + 2g overhead = 21g of a 21g container share ((64g - 1g) / 3)",
        "Total executor cores: 85; parallelism: 170 (2-3 tasks per core: 170-255)",
    ]
    assert "\nspark-submit --num-executors 17 --executor-cores 5 --executor-memory 19g " in text
    assert "Compared with this session:\n  spark.executor.memory: 1g now, 19g suggested\n" in text
    small = render(plan_executors(2, "4g"))
    assert "1 node x 2 cores x 4g" in small and "= 1 executor\n" in small and "Note: 1 core per executor" in small
    assert "Compared with" not in small


def test_import_is_pure_python():
    out = subprocess.run([sys.executable, "-c", "import sys, sparkcoach.resources as r; r.render(r.plan_executors(16, '64g', 6));"
                          "print('pyspark' in sys.modules, 'py4j' in sys.modules)"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"
