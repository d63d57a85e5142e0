"""Item-to-item recommendations and seller PageRank over the purchase graph (RDD API).

Inputs (tab separated, no header):
    purchases:  user_id  item_id  ts
    follows:    seller_id  followed_seller_id
    items:      item_id  seller_id  category_code  title  in_stock
"""
import heapq
import itertools
import math
import sys
from operator import add

from pyspark import SparkConf, SparkContext

ITERATIONS = 12
DAMPING = 0.85
MAX_BASKET = 200          # baskets larger than this are resellers; skip them
TOP_K = 20

conf = SparkConf().setAppName("graph-recommendations").set("spark.default.parallelism", "512")
sc = SparkContext(conf=conf)
root = sys.argv[1] if len(sys.argv) > 1 else "hdfs:///data/shop"


def split_tsv(line):
    return line.rstrip("\n").split("\t")


# ---------------------------------------------------------------- baskets
purchases = sc.textFile(f"{root}/purchases/").map(split_tsv).filter(lambda p: len(p) == 3)
baskets = (
    purchases.map(lambda p: (p[0], p[1]))
    .distinct()
    .groupByKey()
    .mapValues(lambda items: sorted(set(items)))
    .filter(lambda kv: 1 < len(kv[1]) <= MAX_BASKET)
)
baskets.cache()

item_freq = baskets.flatMap(lambda kv: [(i, 1) for i in kv[1]]).reduceByKey(add)
n_baskets = baskets.count()

# co-occurrence counts for every item pair in a basket
co_counts = (
    baskets.flatMap(lambda kv: itertools.combinations(kv[1], 2))
    .map(lambda pair: (pair, 1))
    .reduceByKey(add, numPartitions=1024)
    .filter(lambda kv: kv[1] >= 3)
)

# lift(a, b) = P(a, b) / (P(a) P(b)); item frequencies are joined in twice
by_first = co_counts.map(lambda kv: (kv[0][0], (kv[0][1], kv[1])))
with_fa = by_first.join(item_freq).map(lambda kv: (kv[1][0][0], (kv[0], kv[1][0][1], kv[1][1])))
with_fb = with_fa.join(item_freq)
lifts = with_fb.map(
    lambda kv: (kv[1][0][0], (kv[0], kv[1][0][1] * n_baskets / float(kv[1][0][2] * kv[1][1])))
)



def _push(heap, cand):
    if len(heap) < TOP_K:
        heapq.heappush(heap, (cand[1], cand[0]))
    elif cand[1] > heap[0][0]:
        heapq.heapreplace(heap, (cand[1], cand[0]))
    return heap


def _merge(a, b):
    for lift, item in b:
        a = _push(a, (item, lift))
    return a


# symmetric neighbour lists, best TOP_K by lift (bounded heap per key, combined map-side)
neighbours = (
    lifts.flatMap(lambda kv: [(kv[0], kv[1]), (kv[1][0], (kv[0], kv[1][1]))])
    .aggregateByKey([], _push, _merge)
    .mapValues(lambda heap: [(item, lift) for lift, item in sorted(heap, reverse=True)])
)

# item catalogue: titles for the rendered recommendation lists
items = sc.textFile(f"{root}/items/").map(split_tsv).filter(lambda p: len(p) == 5)
titles = items.map(lambda p: (p[0], p[3])).collectAsMap()  # expect: SPK101
rendered = neighbours.map(lambda kv: (kv[0], [titles.get(i, "?") for i, _ in kv[1]]))  # expect: SPK402
rendered.saveAsPickleFile(f"{root}/out/recs_rendered")

# only recommend items that are in stock
stock = items.map(lambda p: (p[0], p[4] == "1"))
in_stock_recs = neighbours.join(stock).filter(lambda kv: kv[1][1])  # expect: SPK303
in_stock_recs.mapValues(lambda v: v[0]).saveAsPickleFile(f"{root}/out/recs")

# category names: a handful of codes maintained by hand
categories = sc.parallelize([("B", "books"), ("E", "electronics"), ("G", "garden"),
                             ("H", "home"), ("T", "toys")])
item_cat = items.map(lambda p: (p[2], p[0])).join(categories)  # expect: SPK301
cat_sizes = item_cat.map(lambda kv: (kv[1][1], 1)).reduceByKey(add).collect()
for name, n in sorted(cat_sizes):
    print(f"{name:12s} {n}")

# ---------------------------------------------------------------- seller PageRank
follows = sc.textFile(f"{root}/follows/").map(split_tsv).map(lambda p: (p[0], p[1])).distinct()
links = follows.groupByKey().mapValues(list).partitionBy(256).cache()
out_degree = follows.groupByKey().mapValues(len)  # expect: SPK201
ranks = links.mapValues(lambda _: 1.0)

for i in range(ITERATIONS):
    contribs = links.join(ranks).flatMap(
        lambda kv: [(dst, kv[1][1] / len(kv[1][0])) for dst in kv[1][0]]
    )
    ranks = contribs.reduceByKey(add).map(lambda kv: (kv[0], (1 - DAMPING) + DAMPING * kv[1]))  # expect: SPK204

top_sellers = ranks.join(out_degree).takeOrdered(50, key=lambda kv: -kv[1][0])
for seller, (rank, degree) in top_sellers:
    print(f"{seller}\t{rank:.5f}\t{degree}")

# personalised scores for a marketing test: every user against every seller
users = purchases.map(lambda p: p[0]).distinct()
sellers = ranks.keys()
candidates = users.cartesian(sellers)  # expect: SPK302
candidates.map(lambda us: f"{us[0]}\t{us[1]}").saveAsTextFile(f"{root}/out/user_seller_candidates")

# entropy of each user's category mix, sorted by key for the downstream reader
user_cat = purchases.map(lambda p: (p[1], p[0])).join(items.map(lambda p: (p[0], p[2])))
mix = (
    user_cat.map(lambda kv: ((kv[1][0], kv[1][1]), 1))
    .reduceByKey(add)
    .map(lambda kv: (kv[0][0], kv[1]))
    .groupByKey()
    .mapValues(list)
)


def entropy(counts):
    total = float(sum(counts))
    return -sum(c / total * math.log(c / total) for c in counts if c)


mix.mapValues(entropy).sortByKey().saveAsTextFile(f"{root}/out/user_category_entropy")

degree_sorted = out_degree.sortByKey()  # expect: SPK202
degree_sorted.join(ranks).saveAsTextFile(f"{root}/out/seller_degree_rank")

baskets.unpersist()
links.unpersist()
sc.stop()
