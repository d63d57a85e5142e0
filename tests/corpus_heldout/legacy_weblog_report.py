# -*- coding: utf-8 -*-
"""
Nightly web log report (Spark 1.6, CDH 5.x).

Usage:
    spark-submit --master yarn-cluster --num-executors 40 \
        legacy_weblog_report.py hdfs:///logs/apache/2016/11/02 hdfs:///reports/weblog/20161102
"""
from __future__ import print_function

import re
import sys
from datetime import datetime
from operator import add

from pyspark import SparkConf, SparkContext, StorageLevel
from pyspark.sql import HiveContext, Row, SQLContext

LOG_RE = re.compile(
    r'^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+) \S+" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)"'
)
TS_FMT = "%d/%b/%Y:%H:%M:%S"


def parse_line(line):
    m = LOG_RE.match(line)
    if m is None:
        return None
    host, user, ts, method, path, status, size, referer, agent = m.groups()
    return Row(
        host=host,
        user=None if user == "-" else user,
        ts=datetime.strptime(ts.split(" ")[0], TS_FMT),
        method=method,
        path=path.split("?")[0],
        status=int(status),
        bytes=0 if size == "-" else int(size),
        referer=referer,
        agent=agent,
    )


def is_bot(agent):
    a = agent.lower()
    return any(tok in a for tok in ("bot", "crawler", "spider", "slurp", "curl/"))


def session_length(timestamps):
    ts = sorted(timestamps)
    return (ts[-1] - ts[0]).total_seconds() if len(ts) > 1 else 0.0


if __name__ == "__main__":
    in_path, out_path = sys.argv[1], sys.argv[2]
    conf = (SparkConf().setAppName("weblog-report")
            .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
            .set("spark.shuffle.service.enabled", "true"))
    sc = SparkContext(conf=conf)
    sqlContext = HiveContext(sc)

    logs = sc.textFile(in_path).map(parse_line).filter(lambda r: r is not None)
    logs.persist(StorageLevel.MEMORY_ONLY)  # expect: SPK502

    humans = logs.filter(lambda r: not is_bot(r.agent))
    errors = logs.filter(lambda r: r.status >= 500)

    # --- hits and bytes per host -------------------------------------------
    host_pairs = humans.map(lambda r: (r.host, r.bytes))
    hits_per_host = host_pairs.groupByKey().mapValues(len)  # expect: SPK201
    bytes_per_host = host_pairs.repartition(80).reduceByKey(add)  # expect: SPK205
    kb_per_host = bytes_per_host.map(lambda kv: (kv[0], kv[1] / 1024.0))  # expect: SPK204
    host_stats = kb_per_host.join(hits_per_host)
    host_stats.map(lambda kv: "%s\t%.1f\t%d" % (kv[0], kv[1][0], kv[1][1])) \
        .saveAsTextFile(out_path + "/host_stats")

    # --- top pages ------------------------------------------------------------
    page_hits = humans.map(lambda r: (r.path, 1)).reduceByKey(add, 64)
    top_pages = page_hits.takeOrdered(25, key=lambda kv: -kv[1])
    for path, n in top_pages:
        print("%8d  %s" % (n, path))

    # --- sessions: every hit of a (host, agent) pair, keep the list -------------
    visits = humans.map(lambda r: ((r.host, r.agent), r.ts))
    sessions = visits.groupByKey().mapValues(list)
    session_secs = sessions.mapValues(session_length)
    avg_session = session_secs.values().mean()
    print("average session length: %.1fs" % avg_session)

    # --- errors by path, with the owning team from the routing table -----------
    routes = sc.textFile("hdfs:///config/routing/routes.tsv") \
        .map(lambda l: l.split("\t")) \
        .map(lambda p: (p[0], p[1]))
    errors_by_path = errors.map(lambda r: (r.path, 1)).reduceByKey(add)
    owned = errors_by_path.join(routes).filter(lambda kv: kv[1][1] != "deprecated")  # expect: SPK303
    owned.map(lambda kv: (kv[1][1], kv[1][0])).reduceByKey(add) \
        .sortBy(lambda kv: -kv[1]) \
        .coalesce(1) \
        .saveAsTextFile(out_path + "/errors_by_team")

    # --- status mix per hour, via SQL -----------------------------------------
    df = sqlContext.createDataFrame(logs.map(lambda r: Row(hour=r.ts.hour, status=r.status)))
    df.registerTempTable("hits")
    mix = sqlContext.sql(
        "SELECT hour, status, count(*) AS n FROM hits GROUP BY hour, status ORDER BY hour, status"
    )
    for row in mix.collect():
        print(row.hour, row.status, row.n)

    # --- referers: newest batch from the marketing export ----------------------
    campaigns = sqlContext.read.json("hdfs:///marketing/campaign_referers/")  # expect: SPK503
    campaigns.registerTempTable("campaign_referers")
    ref_df = sqlContext.createDataFrame(humans.map(lambda r: Row(referer=r.referer, host=r.host)))
    ref_df.registerTempTable("referers")
    by_campaign = sqlContext.sql("""
        SELECT c.campaign, count(DISTINCT r.host) AS visitors
        FROM referers r JOIN campaign_referers c ON r.referer = c.referer
        GROUP BY c.campaign
    """)
    by_campaign.write.mode("overwrite").parquet(out_path + "/campaigns")

    # --- 5xx details for the on-call wiki page ---------------------------------
    for r in errors.collect():  # expect: SPK103
        sqlContext.sql(
            "INSERT INTO TABLE ops.error_log SELECT '%s', '%s', %d" % (r.host, r.path, r.status)
        )

    logs.unpersist()
    sc.stop()
