#!/usr/bin/env python
"""Access-log analytics on the RDD API.

Kept on RDDs because the parser is regex heavy and the output feeds an old reporting tool
that reads tab-separated text files.

    spark-submit rdd_log_analysis.py hdfs:///logs/nginx/2024/03/* hdfs:///ref/hosts.tsv hdfs:///reports/logs
"""
import re
import sys
from operator import add

from pyspark import SparkConf, SparkContext

LOG_PATTERN = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) \S+" (\d{3}) (\d+|-)')

STATUS_NAMES = [
    (200, "OK"),
    (301, "Moved Permanently"),
    (304, "Not Modified"),
    (404, "Not Found"),
    (500, "Internal Server Error"),
    (503, "Service Unavailable"),
]


def parse_line(line):
    m = LOG_PATTERN.match(line)
    if m is None:
        return None
    host, ts, method, path, status, size = m.groups()
    return {
        "host": host,
        "ts": ts,
        "method": method,
        "path": path.split("?", 1)[0],
        "status": int(status),
        "bytes": 0 if size == "-" else int(size),
    }


def to_tsv(kv):
    key, value = kv
    if isinstance(value, tuple):
        return "\t".join([str(key)] + [str(v) for v in value])
    return f"{key}\t{value}"


def main(log_path, hosts_path, out_dir):
    conf = SparkConf().setAppName("access-log-analytics").set("spark.default.parallelism", "200")
    sc = SparkContext(conf=conf)

    logs = sc.textFile(log_path).map(parse_line).filter(lambda r: r is not None)
    logs.cache()
    print("parsed lines:", logs.count())

    # --- volume per host -------------------------------------------------------------
    bytes_per_host = logs.map(lambda r: (r["host"], r["bytes"])).groupByKey().mapValues(sum)  # expect: SPK201

    # --- hits per path (already the right way round) --------------------------------
    hits_per_path = logs.map(lambda r: (r["path"], 1)).reduceByKey(add)
    top_paths = hits_per_path.takeOrdered(25, key=lambda kv: -kv[1])
    for path, hits in top_paths:
        print(f"{hits:>10}  {path}")

    # --- largest response per path ---------------------------------------------------
    max_bytes = (
        logs.map(lambda r: (r["path"], r["bytes"]))
        .groupByKey()  # expect: SPK201
        .mapValues(lambda sizes: max(sizes))
    )
    max_bytes.map(to_tsv).saveAsTextFile(f"{out_dir}/max_bytes_per_path")

    # --- server errors per host -----------------------------------------------------
    errors = logs.filter(lambda r: r["status"] >= 500).map(lambda r: (r["host"], 1))
    error_counts = errors.groupByKey().map(lambda kv: (kv[0], len(kv[1])))  # expect: SPK201

    # --- request timeline per host, needed whole for the sessionizer ----------------
    timeline = logs.map(lambda r: (r["host"], r["ts"])).groupByKey().mapValues(list)
    sessions = timeline.mapValues(lambda stamps: len(split_sessions(stamps)))
    sessions.map(to_tsv).saveAsTextFile(f"{out_dir}/sessions_per_host")

    # --- share of all hits per host, reported next to the byte volume ---------------
    hits_per_host = logs.map(lambda r: (r["host"], 1)).reduceByKey(add)
    total_hits = hits_per_host.values().sum()
    share = hits_per_host.map(lambda kv: (kv[0], kv[1] / total_hits))  # expect: SPK204
    share.join(bytes_per_host).map(to_tsv).saveAsTextFile(f"{out_dir}/host_share")

    # --- bytes per status with a readable name --------------------------------------
    status_names = sc.parallelize(STATUS_NAMES)
    by_status = logs.map(lambda r: (r["status"], r["bytes"])).join(status_names)  # expect: SPK301
    by_status.map(lambda kv: (kv[1][1], kv[1][0])).reduceByKey(add).map(to_tsv).saveAsTextFile(f"{out_dir}/bytes_by_status")

    # the same lookup done with a broadcast dictionary, for the per-method report
    names = sc.broadcast(dict(STATUS_NAMES))
    by_method = logs.map(lambda r: ((r["method"], names.value.get(r["status"], "other")), 1)).reduceByKey(add)
    by_method.map(to_tsv).saveAsTextFile(f"{out_dir}/hits_by_method_status")

    # --- noisy hosts with their owner -----------------------------------------------
    host_info = (
        sc.textFile(hosts_path)
        .map(lambda line: line.rstrip("\n").split("\t"))
        .filter(lambda f: len(f) >= 3)
        .map(lambda f: (f[0], {"org": f[1], "country": f[2], "error_budget": int(f[3]) if len(f) > 3 else 100}))
    )
    joined = error_counts.join(host_info)
    noisy = joined.filter(lambda kv: kv[1][0] > 100)  # expect: SPK303
    over_budget = joined.filter(lambda kv: kv[1][0] > kv[1][1]["error_budget"])
    noisy.map(lambda kv: (kv[0], (kv[1][0], kv[1][1]["org"]))).map(to_tsv).saveAsTextFile(f"{out_dir}/noisy_hosts")
    over_budget.keys().saveAsTextFile(f"{out_dir}/over_budget")

    logs.unpersist()
    sc.stop()


def split_sessions(stamps, gap_seconds=1800):
    from datetime import datetime

    fmt = "%d/%b/%Y:%H:%M:%S %z"
    sessions, current, last = [], [], None
    for t in sorted(datetime.strptime(raw, fmt) for raw in stamps):
        if last is not None and (t - last).total_seconds() > gap_seconds:
            sessions.append(current)
            current = []
        current.append(t)
        last = t
    if current:
        sessions.append(current)
    return sessions


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    main(*sys.argv[1:])
