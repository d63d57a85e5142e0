# -*- coding: utf-8 -*-
"""
Clickstream aggregation job (2017, Spark 1.6 era, still scheduled on the old 2.4 cluster).

Input:  hdfs:///data/clicks/<yyyy>/<mm>/<dd>/part-*   (user \t page \t dwell_seconds \t ts)
Output: Hive tables in the ``clickstream`` database.
"""
from __future__ import print_function

import sys
import time

from pyspark import SparkConf, SparkContext, StorageLevel
from pyspark.sql import HiveContext, Row

conf = (SparkConf()
        .setAppName("legacy-clickstream")
        .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.sql.autoBroadcastJoinThreshold", "-1"))  # expect: SPK701
sc = SparkContext(conf=conf)
sqlContext = HiveContext(sc)

DAY = sys.argv[1]  # yyyy/mm/dd
NUM_PARTITIONS = 200


def parse(line):
    fields = line.split("\t")
    return fields[0], (fields[1], int(fields[2]), long_ts(fields[3]))


def long_ts(text):
    return int(time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%S")))


raw = sc.textFile("hdfs:///data/clicks/%s/part-*" % DAY)
clicks = raw.filter(lambda l: l and not l.startswith("#")).map(parse)

# partition by user once, everything below is per user
clicks_by_user = clicks.partitionBy(NUM_PARTITIONS).persist(StorageLevel.MEMORY_ONLY)  # expect: SPK502

# total dwell time per user
dwell = clicks_by_user.map(lambda kv: (kv[0], kv[1][1]))  # expect: SPK204
total_dwell = dwell.reduceByKey(lambda a, b: a + b)

# pages per user, same partitioner kept
pages = clicks_by_user.mapValues(lambda v: v[0])
distinct_pages = pages.distinct().mapValues(lambda _: 1).reduceByKey(lambda a, b: a + b)

# ordered page sequence per user for the funnel table
page_seq = clicks_by_user.sortBy(lambda kv: kv[1][2]).groupByKey().mapValues(list)  # expect: SPK202

# full per-user history, needed as-is by the path-mining step
history = clicks_by_user.groupByKey().mapValues(lambda vs: sorted(vs, key=lambda v: v[2]))

# malformed dwell values get reported to the data owners
errors = raw.filter(lambda l: l and len(l.split("\t")) != 4)
if errors.count():  # expect: SPK102
    errors.saveAsTextFile("hdfs:///data/clicks/_errors/%s" % DAY.replace("/", "-"))

# crawler traffic, kept aside for the bot report
bots = clicks.filter(lambda kv: kv[1][0].startswith("/robots") or kv[0].startswith("bot-")).cache()  # expect: SPK501
bots.map(lambda kv: kv[0]).distinct().saveAsTextFile("hdfs:///data/clicks/_bots/%s" % DAY.replace("/", "-"))

# user profiles from Hive, re-parallelized so they can be joined as an RDD
profiles = sc.parallelize(sqlContext.table("crm.user_profiles").rdd.collect())  # expect: SPK103
profiles_kv = profiles.map(lambda r: (r.user_id, r))

# long sessions of premium users
premium_dwell = total_dwell.join(profiles_kv)
premium_long = premium_dwell.filter(lambda kv: kv[1][1].tier == "premium")  # expect: SPK303
weighted = premium_dwell.filter(lambda kv: kv[1][0] > kv[1][1].dwell_threshold)

# names for the top users, looked up in the profiles RDD
top_ids = total_dwell.filter(lambda kv: kv[1] > 4 * 3600).keys()
top_named = top_ids.map(lambda uid: (uid, profiles_kv.lookup(uid)))  # expect: SPK403

# page-to-page co-occurrence for the "related pages" widget
page_sets = history.mapValues(lambda vs: sorted(set(v[0] for v in vs)))
page_pairs = page_sets.flatMap(lambda kv: [((a, b), 1) for a in kv[1] for b in kv[1] if a < b]).reduceByKey(lambda a, b: a + b)

# every page against every page for the similarity matrix (the widget reads only the top 20)
all_pages = pages.values().distinct()
page_matrix = all_pages.cartesian(all_pages)  # expect: SPK302

# --- write out ------------------------------------------------------------------------
total_dwell.map(lambda kv: Row(user_id=kv[0], dwell=kv[1], day=DAY)).toDF().write.mode("append").saveAsTable("clickstream.dwell")
distinct_pages.map(lambda kv: Row(user_id=kv[0], pages=kv[1], day=DAY)).toDF().write.mode("append").saveAsTable("clickstream.pages")
page_seq.map(lambda kv: Row(user_id=kv[0], seq=[p[0] for p in kv[1]], day=DAY)).toDF().write.mode("append").saveAsTable("clickstream.funnel")
page_pairs.map(lambda kv: Row(a=kv[0][0], b=kv[0][1], n=kv[1], day=DAY)).toDF().write.mode("append").saveAsTable("clickstream.cooccurrence")
premium_long.map(lambda kv: Row(user_id=kv[0], dwell=kv[1][0])).toDF().write.mode("append").saveAsTable("clickstream.premium_long")
weighted.keys().map(lambda u: Row(user_id=u)).toDF().write.mode("append").saveAsTable("clickstream.over_threshold")
top_named.map(lambda kv: Row(user_id=kv[0], name=kv[1][0].name if kv[1] else None)).toDF().write.mode("append").saveAsTable("clickstream.top_users")
page_matrix.map(lambda ab: Row(a=ab[0], b=ab[1])).toDF().write.mode("append").saveAsTable("clickstream.page_matrix")

clicks_by_user.unpersist()
sc.stop()
