"""Executor sizing: how many executors, cores and how much memory a cluster's nodes can give Spark.

The classic rule of thumb (Cloudera, "How-to: Tune Your Apache Spark Jobs, Part 2"):

1. Leave 1 core and ~1 GB on every node for the OS and the Hadoop/YARN daemons.
2. Give each executor ~5 cores: more tends to hurt HDFS client throughput, fewer wastes memory
   on per-JVM overhead (and one-core "tiny" executors lose broadcast and cache sharing).
3. Split what is left of the node's memory evenly between its executors; each share is one YARN
   container holding ``spark.executor.memory`` plus ``spark.executor.memoryOverhead``, and the
   overhead is ``max(384 MB, 10% of the executor memory)``.
4. On a multi-node YARN cluster, leave one executor's slot for the ApplicationMaster.

The worked example, 6 nodes x 16 cores x 64 GB: 15 usable cores -> 3 executors of 5 cores per
node, 18 - 1 = 17 executors; (64 - 1) GB / 3 = 21 GB per executor container, which holds
``--executor-memory 19g`` plus ``spark.executor.memoryOverhead=2g``.

Rounding: memory is in binary units (``1g`` = 1024 MiB, as Spark reads it). The executor
memory is rounded *down* and the overhead *up* to a step that grows with the container share
(1 GiB for shares of 16 GiB or more, 512 MiB from 4 GiB, 128 MiB below), and the executor memory
is lowered one step at a time until memory + overhead fits the share. So 21 GiB -> 19g + 2g (the
exact 10% split would be 19.09g + 1.91g), 40.33 GiB (122 GB nodes) -> 36g + 4g, 15.5 GiB ->
14g + 1536m and 3 GiB (a 4 GB node) -> 2688m + 384m.

Pure Python: importing this module never imports pyspark.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

KIB = 1024
MIB = 1024 ** 2
GIB = 1024 ** 3
TIB = 1024 ** 4

_UNITS = {"": 1, "b": 1, "k": KIB, "kb": KIB, "kib": KIB, "m": MIB, "mb": MIB, "mib": MIB,
          "g": GIB, "gb": GIB, "gib": GIB, "t": TIB, "tb": TIB, "tib": TIB,
          "p": TIB * 1024, "pb": TIB * 1024, "pib": TIB * 1024}
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)

# Spark refuses executors under 450 MiB (UnifiedMemoryManager: 1.5 x the 300 MiB reserved memory).
SPARK_MIN_EXECUTOR_MEMORY = 450 * MIB
# Below this we prefer fewer executors per node (leaving cores idle) to starving each JVM.
COMFORTABLE_EXECUTOR_MEMORY = 1 * GIB
# Spark's defaults, for comparing a session that leaves a setting unset.
SPARK_DEFAULT_EXECUTOR_MEMORY = 1 * GIB
SPARK_DEFAULT_MIN_OVERHEAD = 384 * MIB
SPARK_DEFAULT_OVERHEAD_FACTOR = 0.10


def parse_memory(value: str | int, *, default_unit: str = "b") -> int:
    """``"122g"`` -> bytes. Units b, k, m, g, t, p (also kb/mb/gb..., kib/mib/gib..., any case)
    are binary, as Spark reads them; ``"1.5g"`` is allowed. A bare number takes ``default_unit``
    (bytes here; Spark reads a bare ``spark.executor.memory`` as MiB: pass ``default_unit="m"``).
    An int is a byte count. Raises ValueError on anything else."""
    if isinstance(value, bool):
        raise ValueError(f"cannot parse memory size {value!r}: use a number with a unit such as 512m, 19g or 1t")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"memory size must not be negative, got {value}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"cannot parse memory size {value!r}: use a number with a unit such as 512m, 19g or 1t")
    m = _MEMORY.match(value)
    unit = (m.group(2).lower() if m else "") or default_unit.lower()
    if not m or unit not in _UNITS:
        raise ValueError(f"cannot parse memory size {value!r}: use a number with a unit such as 512m, 19g or 1t")
    return int(round(float(m.group(1)) * _UNITS[unit]))


def format_memory(n: int) -> str:
    """Bytes -> the exact Spark size string with the largest whole unit: ``19 * GIB`` -> ``"19g"``,
    ``2688 * MIB`` -> ``"2688m"``, ``1536 * MIB`` -> ``"1536m"``, ``1000`` -> ``"1000b"``."""
    if n < 0:
        raise ValueError(f"memory size must not be negative, got {n}")
    if n == 0:
        return "0"
    for suffix, size in (("t", TIB), ("g", GIB), ("m", MIB), ("k", KIB)):
        if n % size == 0:
            return f"{n // size}{suffix}"
    return f"{n}b"


def _approx(n: float) -> str:
    """A readable, rounded size for prose: ``40.33 GiB`` -> ``"40.3g"``, ``21 GiB`` -> ``"21g"``."""
    for suffix, size in (("t", TIB), ("g", GIB), ("m", MIB), ("k", KIB)):
        if n >= size:
            v = n / size
            return f"{v:.0f}{suffix}" if abs(v - round(v)) < 0.05 else f"{v:.1f}{suffix}"
    return f"{int(n)}b"


@dataclass(frozen=True)
class ExecutorPlan:
    """What :func:`plan_executors` suggests. Memory fields are bytes; ``*_text`` give Spark strings."""

    nodes: int
    node_cores: int
    node_memory: int
    os_cores: int
    os_memory: int
    cores_per_executor: int  # --executor-cores
    executors_per_node: int
    num_executors: int  # --num-executors / spark.executor.instances
    container_memory: int  # each executor's share of the node: (node memory - OS reserve) / executors per node
    executor_memory: int  # --executor-memory / spark.executor.memory
    memory_overhead: int  # spark.executor.memoryOverhead
    am_reserved: bool  # one executor slot left for the YARN ApplicationMaster
    notes: tuple[str, ...] = field(default=())

    @property
    def total_cores(self) -> int:
        return self.num_executors * self.cores_per_executor

    @property
    def default_parallelism(self) -> int:
        """The suggestion for spark.default.parallelism / spark.sql.shuffle.partitions: 2x the cores."""
        return 2 * self.total_cores

    @property
    def parallelism_range(self) -> tuple[int, int]:
        """The usual advice, 2-3 tasks per core."""
        return 2 * self.total_cores, 3 * self.total_cores

    @property
    def executor_memory_text(self) -> str:
        return format_memory(self.executor_memory)

    @property
    def memory_overhead_text(self) -> str:
        return format_memory(self.memory_overhead)

    @property
    def idle_cores_per_node(self) -> int:
        return self.node_cores - self.os_cores - self.executors_per_node * self.cores_per_executor

    def conf(self) -> dict[str, str]:
        """The suggestion as Spark configuration keys and values."""
        return {
            "spark.executor.instances": str(self.num_executors),
            "spark.executor.cores": str(self.cores_per_executor),
            "spark.executor.memory": self.executor_memory_text,
            "spark.executor.memoryOverhead": self.memory_overhead_text,
            "spark.default.parallelism": str(self.default_parallelism),
            "spark.sql.shuffle.partitions": str(self.default_parallelism),
        }

    @property
    def submit_flags(self) -> str:
        """``--num-executors 17 --executor-cores 5 --executor-memory 19g --conf spark.executor.memoryOverhead=2g
        --conf spark.default.parallelism=170 --conf spark.sql.shuffle.partitions=170`` (one line)."""
        return (f"--num-executors {self.num_executors} --executor-cores {self.cores_per_executor} "
                f"--executor-memory {self.executor_memory_text} "
                f"--conf spark.executor.memoryOverhead={self.memory_overhead_text} "
                f"--conf spark.default.parallelism={self.default_parallelism} "
                f"--conf spark.sql.shuffle.partitions={self.default_parallelism}")


def _choose_cores(usable: int, target: int) -> int:
    """Cores per executor: ``target`` unless a smaller count (down to about half of it) puts at
    least 10% more of the node's usable cores to work; nodes smaller than the target get one
    executor with every usable core. 15 usable -> 5 (3 x 5); 7 -> 3 (2 x 3 rather than 1 x 5);
    23 -> 5 (4 x 5; 7 x 3 would use only 1 core more); 2 -> 2; 1 -> 1."""
    if usable <= target:
        return usable
    low = max(1, math.ceil(target / 2))
    used = {c: (usable // c) * c for c in range(target, low - 1, -1)}
    best = max(used.values())
    return next(c for c in range(target, low - 1, -1) if used[c] >= 0.9 * best)


def _split_memory(share: int, overhead_fraction: float, min_overhead: int) -> tuple[int, int]:
    """(executor memory, overhead) for one container share: memory rounded down and overhead up to a
    step (1 GiB for a share of 16 GiB or more, 512 MiB from 4 GiB, else 128 MiB), the memory lowered
    a step at a time until memory + overhead <= share."""
    step = GIB if share >= 16 * GIB else 512 * MIB if share >= 4 * GIB else 128 * MIB
    raw = min(share / (1 + overhead_fraction), share - min_overhead)
    memory = max(0, int(raw // step) * step)
    while True:
        overhead = max(min_overhead, math.ceil(memory * overhead_fraction / step) * step)
        if memory + overhead <= share or memory <= 0:
            return memory, overhead
        memory -= step


def plan_executors(node_cores: int, node_memory: str | int, nodes: int = 1, *, os_cores: int = 1,
                   os_memory: str | int = "1g", cores_per_executor: int = 5, overhead_fraction: float = 0.10,
                   min_overhead: str | int = "384m", leave_one_executor_for_am: bool = True) -> ExecutorPlan:
    """Size executors for ``nodes`` identical worker nodes of ``node_cores`` cores and ``node_memory``
    (``"64g"``, or an int byte count). ``cores_per_executor`` is the target (the classic 5); a node
    with fewer usable cores gets one executor with all of them. See the module docstring for the
    rule of thumb and the rounding. Raises ValueError with a plain message on bad input."""
    for name, v in (("node_cores", node_cores), ("nodes", nodes), ("os_cores", os_cores),
                    ("cores_per_executor", cores_per_executor)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{name} must be a whole number, got {v!r}")
    if node_cores < 2:
        raise ValueError(f"node_cores must be at least 2 (1 core is left for the OS and daemons), got {node_cores}")
    if nodes < 1:
        raise ValueError(f"nodes must be at least 1, got {nodes}")
    if os_cores < 0 or os_cores >= node_cores:
        raise ValueError(f"os_cores must be between 0 and node_cores - 1 ({node_cores - 1}), got {os_cores}")
    if cores_per_executor < 1:
        raise ValueError(f"cores_per_executor must be at least 1, got {cores_per_executor}")
    if not 0 <= overhead_fraction < 1:
        raise ValueError(f"overhead_fraction must be between 0 and 1, got {overhead_fraction}")
    node_mem = parse_memory(node_memory)
    os_mem = parse_memory(os_memory)
    min_ovh = parse_memory(min_overhead)
    hint = " (an int is a byte count: write '64g' for 64 GB)" if isinstance(node_memory, int) else ""
    if node_mem <= os_mem:
        raise ValueError(f"node memory {_approx(node_mem)} is too small: it must exceed the "
                         f"{format_memory(os_mem)} reserved for the OS and daemons{hint}")

    usable_cores = node_cores - os_cores
    usable_mem = node_mem - os_mem
    notes: list[str] = []
    cores = _choose_cores(usable_cores, cores_per_executor)
    per_node = usable_cores // cores
    memory, overhead = _split_memory(usable_mem // per_node, overhead_fraction, min_ovh)
    # Memory-bound nodes: fewer, bigger-memory executors rather than JVMs that cannot run.
    memory_bound = False
    while per_node > 1 and memory < COMFORTABLE_EXECUTOR_MEMORY:
        per_node -= 1
        memory_bound = True
        memory, overhead = _split_memory(usable_mem // per_node, overhead_fraction, min_ovh)
    if memory < SPARK_MIN_EXECUTOR_MEMORY:
        need = SPARK_MIN_EXECUTOR_MEMORY + max(min_ovh, int(SPARK_MIN_EXECUTOR_MEMORY * overhead_fraction))
        raise ValueError(f"node memory {_approx(node_mem)} is too small: after the {format_memory(os_mem)} OS "
                         f"reserve an executor needs at least {_approx(need)} (450m, Spark's minimum, plus "
                         f"overhead){hint}")
    share = usable_mem // per_node
    if cores < cores_per_executor:
        if usable_cores <= cores_per_executor:
            notes.append(f"{cores} core{'s' if cores != 1 else ''} per executor rather than {cores_per_executor}: "
                         f"the node has only {usable_cores} usable core{'s' if usable_cores != 1 else ''}")
        else:
            classic = usable_cores // cores_per_executor
            notes.append(f"{cores} cores per executor rather than {cores_per_executor}: {per_node} x {cores} "
                         f"uses {per_node * cores} of the {usable_cores} usable cores, {classic} x "
                         f"{cores_per_executor} only {classic * cores_per_executor}")
    idle = usable_cores - per_node * cores
    if idle:
        why = " (memory-bound: more executors would each get under 1g)" if memory_bound else ""
        notes.append(f"{idle} core{'s' if idle != 1 else ''} per node left idle{why}")
    am = leave_one_executor_for_am and nodes > 1
    total = per_node * nodes - (1 if am else 0)
    return ExecutorPlan(nodes=nodes, node_cores=node_cores, node_memory=node_mem, os_cores=os_cores,
                        os_memory=os_mem, cores_per_executor=cores, executors_per_node=per_node,
                        num_executors=total, container_memory=share, executor_memory=memory,
                        memory_overhead=overhead, am_reserved=am, notes=tuple(notes))


def _conf_memory(conf: dict, key: str) -> int | None:
    value = conf.get(key)
    if value in (None, ""):
        return None
    try:
        return parse_memory(str(value), default_unit="m")  # Spark reads a bare number here as MiB
    except ValueError:
        return None


def _conf_int(conf: dict, key: str) -> int | None:
    try:
        return int(str(conf[key]).strip())
    except (KeyError, ValueError):
        return None


def compare_with(result: ExecutorPlan, conf: dict) -> list[str]:
    """One line per setting, comparing the suggestion with a session's conf (``{key: value}``, e.g.
    ``dict(spark.sparkContext.getConf().getAll())`` or the capture's ``CellRun.conf``):
    ``"spark.executor.memory: 1g now, 19g suggested"``; ``"...: 19g (matches)"`` when equal; unset
    keys say so and name Spark's default. Executor settings do nothing in local mode: a
    ``spark.master`` of ``local...`` adds a line saying so."""
    conf = {str(k): v for k, v in (conf or {}).items()}
    lines: list[str] = []
    master = str(conf.get("spark.master") or "")
    if master.startswith("local"):
        lines.append(f"spark.master is {master}: executor settings have no effect in local mode "
                     "(the driver runs every task); they apply when the job is submitted to a cluster")

    def line(key: str, now: str | None, suggested: str, same: bool, default: str | None = None) -> None:
        if now is None:
            unset = f"unset (Spark's default: {default})" if default else "unset"
            lines.append(f"{key}: {unset}, {suggested} suggested")
        elif same:
            lines.append(f"{key}: {suggested} (matches)")
        else:
            lines.append(f"{key}: {now} now, {suggested} suggested")

    mem = _conf_memory(conf, "spark.executor.memory")
    line("spark.executor.memory", None if mem is None else format_memory(mem), result.executor_memory_text,
         mem == result.executor_memory, "1g")
    cores = _conf_int(conf, "spark.executor.cores")
    line("spark.executor.cores", None if cores is None else str(cores), str(result.cores_per_executor),
         cores == result.cores_per_executor, "1 on YARN, all of the worker's cores on standalone")
    dynamic = str(conf.get("spark.dynamicAllocation.enabled", "")).strip().lower() == "true"
    if dynamic:
        mx = _conf_int(conf, "spark.dynamicAllocation.maxExecutors")
        line("spark.dynamicAllocation.maxExecutors (dynamic allocation is on)", None if mx is None else str(mx),
             str(result.num_executors), mx == result.num_executors, "unbounded")
    else:
        n = _conf_int(conf, "spark.executor.instances")
        line("spark.executor.instances", None if n is None else str(n), str(result.num_executors),
             n == result.num_executors, "2 on YARN")
    ovh = _conf_memory(conf, "spark.executor.memoryOverhead")
    if ovh is None:
        effective = max(SPARK_DEFAULT_MIN_OVERHEAD,
                        int((mem if mem is not None else SPARK_DEFAULT_EXECUTOR_MEMORY) * SPARK_DEFAULT_OVERHEAD_FACTOR))
        line("spark.executor.memoryOverhead", None, result.memory_overhead_text, False,
             f"max(384m, 10% of executor memory) = {_approx(effective)}")
    else:
        line("spark.executor.memoryOverhead", format_memory(ovh), result.memory_overhead_text,
             ovh == result.memory_overhead)
    low, high = result.parallelism_range
    for key, default in (("spark.default.parallelism", "total executor cores; in local mode, the local cores"),
                         ("spark.sql.shuffle.partitions", "200")):
        p = _conf_int(conf, key)
        suggested = str(result.default_parallelism)
        if p is not None and p != result.default_parallelism and low <= p <= high:
            lines.append(f"{key}: {p} (within the suggested {low}-{high})")
        else:
            line(key, None if p is None else str(p), suggested, p == result.default_parallelism, default)
    return lines


def render(result: ExecutorPlan, comparison: list[str] | None = None) -> str:
    """The suggestion as plain text: the arithmetic, the flags, then the comparison lines (if any)."""
    r = result
    per_exec = r.executor_memory + r.memory_overhead
    out = [
        f"Cluster: {r.nodes} node{'s' if r.nodes != 1 else ''} x {r.node_cores} cores x {_approx(r.node_memory)} "
        f"(reserving {r.os_cores} core{'s' if r.os_cores != 1 else ''} and {_approx(r.os_memory)} per node "
        "for the OS and daemons)",
        f"Executors: {r.executors_per_node} per node x {r.cores_per_executor} "
        f"core{'s' if r.cores_per_executor != 1 else ''} = {r.num_executors} executor"
        f"{'s' if r.num_executors != 1 else ''}" + (f" ({r.executors_per_node * r.nodes} minus 1 left for the YARN ApplicationMaster)" if r.am_reserved else ""),
        f"Memory per executor: {r.executor_memory_text} + {r.memory_overhead_text} overhead = {_approx(per_exec)} "
        f"of a {_approx(r.container_memory)} container share (({_approx(r.node_memory)} - {_approx(r.os_memory)}) / "
        f"{r.executors_per_node})",
        f"Total executor cores: {r.total_cores}; parallelism: {r.default_parallelism} "
        f"(2-3 tasks per core: {r.parallelism_range[0]}-{r.parallelism_range[1]})",
    ]
    out += [f"Note: {n}" for n in r.notes]
    out += ["", "spark-submit " + r.submit_flags]
    if comparison:
        out += ["", "Compared with this session:"] + [f"  {c}" for c in comparison]
    return "\n".join(out) + "\n"
