"""What %%sparklint adds to a cell that runs Spark jobs, and how long plan capture takes.

    .venv/bin/python benchmarks/bench_magic.py [--runs N]

Runs the same cell with and without the magic, alternately (A B A B ...), after a
warm-up, on a local[2] session; prints the median wall time of each, the overhead
(target: under 5 % and under 150 ms), and the plan capture time of a ~20-operator
plan once the JVM is warm (target: under 50 ms).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

CELL = """people = spark.range(10_000_000).selectExpr("id", "id % 50 AS state_id", "id % 97 AS age")
states = spark.range(50).selectExpr("id AS state_id", "concat('s', id) AS name")
by_state = people.join(states, "state_id").groupBy("name").agg(F.avg("age").alias("avg_age"))
rows = by_state.orderBy("name").collect()
len(rows)
"""

WIDE = """wide = (spark.range(100000).selectExpr("id", "id % 7 AS k", "id % 13 AS j")
        .join(spark.range(100).selectExpr("id AS k", "id * 2 AS v"), "k")
        .filter("v > 3").groupBy("j").agg(F.sum("v").alias("s"), F.count("*").alias("n"))
        .join(spark.range(13).selectExpr("id AS j", "id % 2 AS parity"), "j")
        .withColumn("r", F.col("s") / F.col("n")).filter("parity = 1").orderBy("r"))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from IPython.core.interactiveshell import InteractiveShell
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    shell = InteractiveShell.instance()
    shell.user_ns.update(spark=spark, sc=spark.sparkContext)
    quiet = io.StringIO()

    def run(code: str) -> float:
        t = time.perf_counter()
        with redirect_stdout(quiet), redirect_stderr(quiet):
            r = shell.run_cell(code, store_history=True)
        elapsed = time.perf_counter() - t
        if not r.success:
            raise SystemExit(f"cell failed: {r.error_in_exec or r.error_before_exec}")
        return elapsed

    run("from pyspark.sql import functions as F\n%load_ext sparkcoach")
    for _ in range(2):  # warm-up: JIT, caches, the REST API
        run(CELL)
        run("%%sparklint\n" + CELL)
    plain, magic = [], []
    for _ in range(args.runs):
        plain.append(run(CELL))
        magic.append(run("%%sparklint\n" + CELL))
    med = statistics.median
    over = med(magic) - med(plain)

    run(WIDE)
    from sparkcoach.capture.plan import plan_of

    df = shell.user_ns["wide"]
    plan_of(df, "wide", 1)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        cp = plan_of(df, "wide", 1)
        times.append(time.perf_counter() - t)
    ops = sum(1 for _ in cp.root.walk())
    report = {
        "cell_plain_s": round(med(plain), 3), "cell_magic_s": round(med(magic), 3),
        "overhead_s": round(over, 3), "overhead_pct": round(100 * over / med(plain), 1),
        "plan_operators": ops, "plan_capture_ms": round(med(times) * 1000, 1), "runs": args.runs,
    }
    print(f"cell without the magic: {report['cell_plain_s']:.3f} s (median of {args.runs})")
    print(f"cell with %%sparklint:  {report['cell_magic_s']:.3f} s")
    print(f"overhead:               {report['overhead_s'] * 1000:.0f} ms ({report['overhead_pct']:.1f} %) "
          f"(target: < 150 ms and < 5 %)")
    print(f"plan capture, {ops} operators: {report['plan_capture_ms']:.1f} ms (target: < 50 ms)")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "magic.json").write_text(json.dumps(report, indent=2) + "\n")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
