# teaches: SPK202, SPK251, SPK205, SPK203, SPK204
# %% [markdown]
# # 3. Shuffles: sorting, repartitioning and partitioners
#
# A shuffle writes every row to local disk and sends it over the network, so that rows with the same key
# meet in one partition. In a DataFrame plan each one is an `Exchange`. This notebook removes shuffles
# that do no useful work.

# %%
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-03")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext

# %%
%load_ext sparkcoach

# %% [markdown]
# ## A sort before a groupBy is thrown away
#
# 1,000,000 events of 1,000 users. Sorting by time and then grouping by user sorts everything (a range
# shuffle, then a sort), and the `groupBy`'s own hash shuffle discards the order (SPK202).

# %%
events = spark.range(1_000_000).selectExpr("id", "id % 1000 AS user",
    "CAST(id % 997 AS DOUBLE) / 7 AS amount", "(id * 7919) % 1000003 AS ts")

# %%
%%sparklint --measure --runs 3
totals = events.orderBy("ts").groupBy("user").agg(F.sum("amount").alias("total"))
rows = totals.collect()
len(rows)

# %% [markdown]
# ## Reading the plan's Exchanges
#
# `df.explain()` prints the physical plan; after the job has run, with adaptive query execution, the
# plan Spark really ran. Read it from the bottom up: `Exchange rangepartitioning(ts ...)` is the sort's
# shuffle, then `Sort`, then `Exchange hashpartitioning(user, ...)`, the `groupBy`'s shuffle.

# %%
totals.explain()

# %% [markdown]
# `%sparkcoach explain df` analyses one DataFrame's plan without running a job. The coach finds the wasted
# sort in the plan too (SPK251, a plan rule: it also catches sorts the code does not show, in SQL or in
# DataFrames built elsewhere), and marks the flagged operator.

# %%
%sparkcoach explain totals

# %% [markdown]
# Without the sort, one `Exchange hashpartitioning` is left, after a partial aggregation
# (`HashAggregate` before the exchange, so only one row per user and partition is shuffled):

# %%
events.groupBy("user").agg(F.sum("amount").alias("total")).explain()

# %% [markdown]
# ## `repartition` and `coalesce`
#
# `repartition(n)` is a full shuffle into `n` partitions; `coalesce(n)` merges partitions without a
# shuffle (fewer partitions only). A `repartition` right before another shuffle (a `groupBy`, a join, a
# `reduceByKey`) is wasted: the second shuffle redistributes the rows by its own key (SPK205). Set the
# number of partitions on the shuffle itself instead.
#
# `coalesce(1)` is the usual way to write a single file, and fine right before the write. Followed by more
# transformations it runs them all in one task on one core (SPK203; no rewrite: where the single
# partition belongs is the author's choice).
#
# `--no-run` shows the static findings without running the cell.

# %%
%%sparklint --no-run
per_user = events.repartition(16).groupBy("user").agg(F.count("*").alias("n"))
ones = sc.parallelize(range(100_000), 4).map(lambda i: (i % 100, 1))
counts = ones.repartition(8).reduceByKey(lambda a, b: a + b)
single = events.coalesce(1).withColumn("day", F.col("ts") % 7)
single.write.format("noop").mode("overwrite").save()

# %% [markdown]
# ## `map` drops the partitioner, `mapValues` keeps it
#
# After `partitionBy`, every key sits in a known partition. `map` may change keys, so Spark forgets the
# partitioning and the next `join` shuffles both sides again; `mapValues` keeps it and the join reuses it
# (SPK204).

# %%
pairs = sc.parallelize(range(100_000), 8).map(lambda i: (i, i % 1000))

# %%
%%sparklint --measure --runs 3
by_key = pairs.partitionBy(8)
doubled = by_key.map(lambda kv: (kv[0], kv[1] * 2))
matched = doubled.join(by_key).count()
matched

# %% [markdown]
# Compare the *stages* and *shuffle* figures of the two variants in the measurement: they show the
# shuffle the rewrite does not run.

# %% [markdown]
# Next: [04_closures](04_closures.ipynb), what a function shipped to the executors carries with it.
