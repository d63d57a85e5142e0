# teaches: SPK205, SPK262, SPK260, SPK261
# %% [markdown]
# # 6. Partitions and parallelism: how many tasks, how big, how even
#
# A stage runs one task per partition, and a core runs one task at a time. The number of partitions
# decides how much of the cluster a stage can use; their sizes decide how long each task runs and whether
# its data fits in memory. This notebook sets the numbers, then reads the three runtime findings the
# coach takes from the Spark jobs a `%%sparklint` cell ran: tiny tasks, task skew and spill.

# %%
import time

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-06")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext

# %%
%load_ext sparkcoach

# %% [markdown]
# ## Where the number of partitions comes from
#
# - **Data made in the program** (`spark.range`, `sc.parallelize`): `spark.default.parallelism`, the total
#   number of cores (2 here), unless you pass a number.
# - **Files**: one partition per split of about `spark.sql.files.maxPartitionBytes` (128 MB), below.
# - **After a DataFrame shuffle** (`groupBy`, `join`, `orderBy`): `spark.sql.shuffle.partitions` (200 by
#   default, 4 in this session), which adaptive query execution (AQE) then coalesces when the partitions
#   turn out small. An RDD shuffle keeps the input's number unless you pass `numPartitions`.
#
# `df.rdd.getNumPartitions()` tells the number for a DataFrame (after a shuffle it runs the query, so that
# AQE can decide), `rdd.getNumPartitions()` for an RDD.

# %%
events = spark.range(500_000).selectExpr("id", "id % 1000 AS user",
    "CAST(id % 997 AS DOUBLE) / 7 AS amount")
per_user = events.groupBy("user").agg(F.sum("amount").alias("total"))
print("default parallelism:", sc.defaultParallelism)
print("shuffle partitions: ", spark.conf.get("spark.sql.shuffle.partitions"))
print("events:             ", events.rdd.getNumPartitions())
print("parallelize:        ", sc.parallelize(range(1000)).getNumPartitions())
print("per_user (AQE):     ", per_user.rdd.getNumPartitions())

# %% [markdown]
# The aggregation's 4 shuffle partitions became 1: the 1,000 totals are a few kilobytes, and AQE merges
# small partitions up to `spark.sql.adaptive.advisoryPartitionSizeInBytes` (64 MB).
#
# ### The rules of thumb
#
# - **2 to 3 tasks per core** in every big stage: with exactly one task per core, the stage waits for
#   its slowest task while the other cores idle; with a few per core, a core that finishes early takes the
#   next one. A cluster of 50 executors with 4 cores each wants 400 to 600 partitions.
# - **About 128 MB of input per task** (100 to 200 MB of shuffle data): enough work per task to pay for
#   its overhead, small enough to fit in a task's share of executor memory.
#
# Take the larger of the two counts. In production, set `spark.sql.shuffle.partitions` for the largest
# shuffle of the job (its shuffle bytes / ~150 MB) and leave AQE on to coalesce the smaller ones.
#
# ## Files: `spark.sql.files.maxPartitionBytes`
#
# Eight small Parquet files (half a megabyte each). Spark packs files into splits of at most
# `maxPartitionBytes`, counting each file as its size plus `spark.sql.files.openCostInBytes` (4 MB, the cost
# of opening it); for small inputs it also shrinks the split so that every core gets one
# (total bytes / `spark.default.parallelism`).

# %%
spark.range(0, 400_000, 1, 8).selectExpr("id", "id % 1000 AS user",
    "CAST(id % 997 AS DOUBLE) / 7 AS amount").write.mode("overwrite").parquet("events.parquet")
print("128 MB splits:", spark.read.parquet("events.parquet").rdd.getNumPartitions(), "partitions")
spark.conf.set("spark.sql.files.maxPartitionBytes", "4m")
print("4 MB splits:  ", spark.read.parquet("events.parquet").rdd.getNumPartitions(), "partitions")
spark.conf.unset("spark.sql.files.maxPartitionBytes")

# %% [markdown]
# With the default, the eight small files share two partitions, one per core; with 4 MB splits each file is
# its own partition. In production the split is simply 128 MB: a 100 GB table is read by about 800 tasks.
# Raise `maxPartitionBytes` when the tasks of a scan are short and many; lower it when a scan's tasks run out
# of memory (wide rows that decompress to much more than their size on disk).
#
# ## More partitions is not more parallelism
#
# A `repartition(16)` before a `groupBy` looks like it spreads the work. It is a full shuffle of every
# row, and the `groupBy` shuffles again by its own key into `spark.sql.shuffle.partitions`, throwing the
# first layout away (SPK205). The coach removes the `repartition` and measures both.

# %%
%%sparklint --measure --runs 3
per_user = events.repartition(16).groupBy("user").agg(F.sum("amount").alias("total"))
rows = per_user.collect()
len(rows)

# %% [markdown]
# The times depend on the machine and on what else it runs; the Spark figures of the two variants do not.
# The original runs one more stage with 16 more tasks, and its shuffle bytes are every row of `events`
# (megabytes); the rewrite shuffles partial sums only, one row per user and map task (kilobytes). Here the
# shuffle stays on local disk; on a cluster it also crosses the network. To choose the number of partitions
# of a DataFrame shuffle, set `spark.sql.shuffle.partitions`; for an RDD shuffle, pass it to the operation
# (`reduceByKey(f, 16)`).
#
# ## Too many partitions: tiny tasks (SPK262)
#
# A job tuned for a big cluster often leaves `spark.sql.shuffle.partitions` high, say 2,000. Without AQE
# every shuffle of this small data then runs 2,000 tasks of a few milliseconds each: the scheduling,
# shipping and bookkeeping of each task is most of the stage's time.
#
# The coach reports a stage of 2,000 tasks or more whose median task took under 100 ms: production-sized
# thresholds (a few hundred short tasks are normal). To keep this notebook quick, it runs 400 partitions and
# lowers the coach's threshold to match with `%config` (the runtime rules' thresholds are settings:
# `SparkCoach.tiny_task_count`, `tiny_task_median_s`, `skew_min_task_s`, `skew_ratio`, `spill_min_bytes`).

# %%
%config SparkCoach.tiny_task_count = 400
spark.conf.set("spark.sql.adaptive.enabled", "false")
spark.conf.set("spark.sql.shuffle.partitions", "400")

# %%
%%sparklint
per_user = events.groupBy("user").agg(F.sum("amount").alias("total"))
rows = per_user.collect()
len(rows)

# %% [markdown]
# SPK262 is a *runtime* finding: the code is fine, the stage the cell ran was not. It names the setting the
# number of tasks came from and its value as the cell ran. The summary line shows the cell's time, its
# stages and its tasks; compare them with the next cell.
#
# With AQE on (the default since Spark 3.2), the same 400 shuffle partitions are coalesced after the map
# stage into as few as their size calls for: one task here.

# %%
spark.conf.set("spark.sql.adaptive.enabled", "true")

# %%
%%sparklint
per_user = events.groupBy("user").agg(F.sum("amount").alias("total"))
rows = per_user.collect()
len(rows)

# %%
spark.conf.set("spark.sql.shuffle.partitions", "4")
%config SparkCoach.tiny_task_count = 2000

# %% [markdown]
# Other sources of tiny tasks: thousands of small input files (compact them, or raise `maxPartitionBytes`),
# `sc.parallelize(data, 5000)`, a `repartition(n)` with a large `n`. Writing such a stage also leaves
# thousands of small files behind.
#
# ## One partition much bigger than the others: task skew (SPK260)
#
# 6,600 orders, 6,000 of them from customer 0. Valuing an order takes about a millisecond: `score` stands
# for real per-record work (a model, a lookup); it sleeps, so that this small demo behaves like a big one
# and its timings do not depend on the machine. (The `count()` also starts Spark's Python workers, so that
# their start-up is not timed below.)

# %%
def score(order):
    time.sleep(0.001)  # ~1 ms of work per order
    return order % 100

orders = sc.parallelize(range(6_600), 8).map(lambda i: (0 if i % 11 else i % 997, i))
orders.count()

# %% [markdown]
# `partitionBy(8)` places every customer's orders in one partition (the following `reduceByKey` then needs
# no shuffle of its own). It also places all of customer 0's orders, and all the scoring they need, in
# *one* task.

# %%
%%sparklint
by_customer = orders.partitionBy(8)
totals = by_customer.mapValues(score).reduceByKey(lambda a, b: a + b)
top = totals.takeOrdered(3, key=lambda kv: -kv[1])
top

# %% [markdown]
# SPK260 compares each stage's longest task with its median task. By default it reports a stage whose
# longest task ran over 5 s and over 10 times the median: production-sized thresholds (a 2-second straggler
# is noise on a busy cluster), which this demo passes with one task of over 6 s (6,000 orders) next to tasks
# of a fraction of a second. While that task runs, one core works and the other has nothing left to do.
#
# The fix depends on the work:
#
# - Per-record work and anything that combines (sums, counts): do it **before** the shuffle, where the
#   input partitions are even, and let `reduceByKey` (or a DataFrame aggregation, which combines on the map
#   side by itself) shuffle one partial result per key and partition.
# - A join with a hot key: broadcast the small side; for sort-merge joins AQE splits skewed partitions
#   (`spark.sql.adaptive.skewJoin.enabled`), but only those over 256 MB.
# - Work that needs a key's rows together (a window, `collect_list`, an RDD `groupByKey`): salt the key
#   (`(key, random 0..n)`), work per salted key, then combine per key. AQE does not split those partitions.
#
# Here, scoring before the shuffle:

# %%
%%sparklint
totals = orders.mapValues(score).reduceByKey(lambda a, b: a + b, 8)
top = totals.takeOrdered(3, key=lambda kv: -kv[1])
top

# %% [markdown]
# The same scoring, now in eight even tasks of 825 orders each, two at a time: no finding, and the cell's
# time (in the summary line) is about the total scoring divided by the two cores, instead of the hot
# customer's share of it on one core. The coach has no automatic rewrite for skew (which fix fits depends on the
# work), so there is nothing for `--measure` to time here.
#
# ## A task that does not fit in memory: spill (SPK261)
#
# When a task's sort, aggregation, join or window buffer outgrows its share of execution memory, Spark writes
# it to local disk and reads it back: *spill*. The stage still succeeds, several times slower; heavy spill
# comes before out-of-memory failures. A window over `partitionBy("user")` buffers all of a user's rows.
# Here 20 users have 3,000 rows each, which fit in memory with room to spare, so the demo lowers the window
# buffer's limits to 1,000 rows (`spark.sql.windowExec.buffer.*.threshold`, internal settings, for demos and
# tests), as if each row were much bigger.

# %%
big_users = spark.range(60_000).selectExpr("id", "id % 20 AS user", "CAST(id % 997 AS DOUBLE) AS amount")
spark.conf.set("spark.sql.windowExec.buffer.in.memory.threshold", "1000")
spark.conf.set("spark.sql.windowExec.buffer.spill.threshold", "1000")

# %%
%%sparklint
by_user = Window.partitionBy("user")
shares = big_users.withColumn("share", F.col("amount") / F.sum("amount").over(by_user))
shares.write.format("noop").mode("overwrite").save()

# %% [markdown]
# SPK261 reports any spill (spill bytes are a figure of the stage, like its shuffle bytes): how much, over
# how many tasks, and the usual remedies. Of its two figures, the bytes written to disk are the data; the
# in-memory figure counts the memory pages the buffer released, which can be far larger. For this window more partitions would not help: the buffer holds
# one *user*, however many partitions there are. A user's total does not need the rows buffered: aggregate
# the totals (20 rows), broadcast them and divide, which never holds a user's rows together.

# %%
%%sparklint
totals = big_users.groupBy("user").agg(F.sum("amount").alias("total"))
shares = big_users.join(F.broadcast(totals), "user").withColumn("share", F.col("amount") / F.col("total"))
shares.write.format("noop").mode("overwrite").save()

# %%
spark.conf.unset("spark.sql.windowExec.buffer.in.memory.threshold")
spark.conf.unset("spark.sql.windowExec.buffer.spill.threshold")

# %% [markdown]
# The rewrite reads `big_users` twice (here from `spark.range`, in production from files), the price of not
# buffering; with the default limits the window would not spill on this data at all. In production, read the
# spill figures next to the tasks' input sizes: spill in every task of a stage with few, large partitions
# calls for more partitions; spill in one task, for the skew fixes above; spill in a window or a join over one
# huge key, for another plan or more memory per core (`spark.executor.memory`, fewer `spark.executor.cores`).
#
# Next: [07_sql](07_sql.ipynb), `spark.sql` strings.
