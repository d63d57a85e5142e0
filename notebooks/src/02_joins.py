# teaches: SPK301, SPK303
# %% [markdown]
# # 2. Joins: broadcast a small side, filter before you join
#
# A join of a big table with a small one can move every row of the big table across the network (a
# *sort-merge join*: shuffle both sides by the key, sort, merge) or send the small table to every
# executor and leave the big one where it is (a *broadcast hash join*). Spark picks a broadcast only
# when it knows the small side is small.

# %%
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-02")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext

# %%
%load_ext sparkcoach

# %% [markdown]
# ## The data
#
# Two million people generated with `spark.range`, and 50 states typed in as a Python list.

# %%
people = spark.range(2_000_000).selectExpr("id", "id % 50 AS state_id", "id % 97 AS age")
states = spark.createDataFrame([(i, f"state_{i:02d}") for i in range(50)], ["state_id", "name"])

# %% [markdown]
# ## Sort-merge or broadcast?
#
# Spark broadcasts a side on its own when its *estimated* size is under
# `spark.sql.autoBroadcastJoinThreshold` (10 MB by default). A DataFrame made from a Python list has no
# estimate, so Spark assumes it is huge: the plan is a `SortMergeJoin` with an `Exchange` (a shuffle)
# on **both** sides, two million people included.

# %%
print("autoBroadcastJoinThreshold:", spark.conf.get("spark.sql.autoBroadcastJoinThreshold"))
print("adaptive query execution:", spark.conf.get("spark.sql.adaptive.enabled"))
people.join(states, "state_id").explain()

# %% [markdown]
# With `broadcast(states)` the plan is a `BroadcastHashJoin`: the 50 rows go to every executor
# (`BroadcastExchange`) and the people are not shuffled for the join.

# %%
people.join(F.broadcast(states), "state_id").explain()

# %% [markdown]
# The coach sees this in the code (SPK301: a side Spark cannot size, no hint) and measures its rewrite
# against the cell on the same data.

# %%
%%sparklint --measure --runs 3
by_state = (people.join(states, "state_id").groupBy("name")
            .agg(F.count("*").alias("people"), F.avg("age").alias("avg_age")))
rows = by_state.collect()
len(rows)

# %% [markdown]
# ### What adaptive query execution changes
#
# With `spark.sql.adaptive.enabled` (on by default) the plans above start with `AdaptiveSparkPlan
# isFinalPlan=false`: Spark re-plans between stages using the sizes it has actually seen. Once the
# shuffle of the small side has run and turned out tiny, AQE can switch the join to a broadcast for the
# rest of the query; by then, though, both sides have been shuffled. The plan Spark really ran, after the
# job (`isFinalPlan=true`): look for the join in it, and for the `ShuffleQueryStage`s (shuffles that ran)
# below it.

# %%
by_state.explain()

# %% [markdown]
# A hint, or a small side Spark can size (a `spark.range`, a file, `createDataFrame` of a pandas
# DataFrame), decides the broadcast before anything is shuffled.
#
# ## Filter before the join (RDDs)
#
# For DataFrames the optimizer moves a filter on one side below the join by itself, and the coach does
# not report it. RDD functions are opaque to Spark: a `filter` after an RDD `join` runs only after every
# record of both inputs has been shuffled. Here 300,000 orders of 5,000 users are joined, and only the
# large orders are kept *after* the join (SPK303).

# %%
%%sparklint --measure --runs 3
users = sc.parallelize(range(5_000), 4).map(lambda u: (u, f"user_{u}"))
orders = sc.parallelize(range(300_000), 4).map(lambda i: (i % 5_000, (i * 37) % 1000))
big = users.join(orders).filter(lambda kv: kv[1][1] > 950)
big.count()

# %% [markdown]
# The rewrite filters the orders before they are shuffled; the result check compares the rows of both
# variants. The coach also points out that `users` is a small RDD: SPK301 for RDD joins suggests
# broadcasting it as a dictionary and looking keys up map-side, which avoids the join's shuffle altogether
# (a suggestion, not an automatic rewrite, so it is not measured).
#
# Next: [03_shuffles](03_shuffles.ipynb), where shuffles come from and how to read them in a plan.
