# teaches: SPK501, SPK502, SPK503
# %% [markdown]
# # 5. Caching and storage: when `cache()` pays, and what to read
#
# `cache()` keeps a DataFrame's rows on the executors after the first action computes them, so later
# actions start from there instead of from the source. It is not free: the first action also has to
# build the cache, and the cache holds executor memory that joins and aggregations need. The format you
# read matters as much: a CSV file has to be parsed, and guessed, row by row.

# %%
from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-05")
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
# 250,000 sales of 200 stores over a year, written to the current directory twice: as CSV with a header
# line (a folder of text files, as exports usually arrive) and as Parquet.

# %%
sales = spark.range(250_000).selectExpr(
    "id", "id % 200 AS store", "date_add(DATE'2024-01-01', CAST(id % 365 AS INT)) AS day",
    "ROUND((id * 7919) % 10000 / 100, 2) AS amount")
sales.write.mode("overwrite").option("header", True).csv("sales_csv")
sales.write.mode("overwrite").parquet("sales_parquet")

# %% [markdown]
# ## A cache that pays: read twice
#
# The daily totals per store feed two results. Cached, the second action reads the totals from memory
# instead of scanning and aggregating the sales again. The coach has nothing to say:

# %%
%%sparklint
daily = (spark.read.parquet("sales_parquet").groupBy("store", "day")
         .agg(F.sum("amount").alias("total")).cache())
best_days = daily.orderBy(F.desc("total")).limit(3).collect()
busy_stores = daily.filter("total > 100").groupBy("store").count().count()
best_days, busy_stores

# %% [markdown]
# Release a cache when you are done with it; otherwise it holds memory until the application ends.

# %%
print("cached:", daily.is_cached)
daily.unpersist()
print("cached:", daily.is_cached)

# %% [markdown]
# ## A cache that does not: read once
#
# Here the cached DataFrame is used by a single action (SPK501). The job computes the rows *and* copies
# them into the cache, and nothing reads the copy. `--measure` times the cell against the rewrite without
# `.cache()`:

# %%
%%sparklint --measure --runs 3
gross = spark.read.parquet("sales_parquet").withColumn("gross", F.col("amount") * 1.2).cache()
by_store = gross.groupBy("store").agg(F.sum("gross").alias("gross")).collect()
len(by_store)

# %% [markdown]
# Compare the figures: both variants shuffle the same few bytes (one partial sum per store and
# partition), but the cached one runs more stages and tasks, because building the cache is work of its
# own: every row is encoded into Spark's in-memory columnar format before the aggregation reads it back.
# How much time that costs varies between runs (the verdict may say so); it grows with the data, and on a
# cluster the memory it takes is the bigger cost: storage and execution share one memory pool, and a
# cache nobody reads can push a join or an aggregation into spilling to disk.
#
# The rewritten cell:

# %%
%%sparklint
gross = spark.read.parquet("sales_parquet").withColumn("gross", F.col("amount") * 1.2)
by_store = gross.groupBy("store").agg(F.sum("gross").alias("gross")).collect()
len(by_store)

# %% [markdown]
# ## Storage levels: memory only, or memory and disk
#
# `persist(level)` chooses where cached blocks live. With `MEMORY_ONLY`, a partition that does not fit (or
# is evicted for another cache) is dropped, and every later action **recomputes it from the source**,
# silently. `MEMORY_AND_DISK` writes it to local disk instead and reads it back (SPK502). A DataFrame's
# `cache()` already uses memory and disk; an RDD's `cache()` is memory only.

# %%
%%sparklint --measure --runs 3
gross = spark.read.parquet("sales_parquet").withColumn("gross", F.col("amount") * 1.2)
gross.persist(StorageLevel.MEMORY_ONLY)
by_store = gross.groupBy("store").agg(F.sum("gross").alias("gross")).collect()
by_day = gross.groupBy("day").agg(F.sum("gross").alias("gross")).collect()
len(by_store), len(by_day)

# %% [markdown]
# Expect "no measurable difference" here: these 250,000 rows fit in memory, so both levels keep every
# partition in memory and run the same jobs. The measurement shows what the rewrite costs when the data
# fits (nothing); the level matters when it does not, on a busy cluster with large caches, where
# memory-only blocks are recomputed on every use and memory-and-disk ones are read back from local disk.
#
# The rewritten cell:

# %%
%%sparklint
gross = spark.read.parquet("sales_parquet").withColumn("gross", F.col("amount") * 1.2)
gross.persist(StorageLevel.MEMORY_AND_DISK)
by_store = gross.groupBy("store").agg(F.sum("gross").alias("gross")).collect()
by_day = gross.groupBy("day").agg(F.sum("gross").alias("gross")).collect()
len(by_store), len(by_day)

# %%
gross.unpersist()
gross.is_cached

# %% [markdown]
# ## CSV with an inferred schema, an explicit schema, or Parquet
#
# `inferSchema=True` makes Spark read the whole CSV once just to guess the column types, then again to
# run the query (SPK503; JSON read without a schema does the same). Look at the number of jobs in the
# summary line: two for the query (the aggregation's shuffle, then its result), one that reads the header
# line, and one that reads every row to guess the types:

# %%
%%sparklint
sales_csv = spark.read.csv("sales_csv", header=True, inferSchema=True)
by_store = sales_csv.groupBy("store").agg(F.sum("amount").alias("total"))
totals = by_store.collect()
sales_csv.dtypes

# %% [markdown]
# With the schema given, the types are known before anything is read: only the query's two jobs run. The
# types are also the ones you chose: inference picked `int` for `id` and `store` (the values it saw fit),
# and on real files it can guess wrong (a ZIP code read as a number loses its leading zeros):

# %%
%%sparklint
schema = "id BIGINT, store BIGINT, day DATE, amount DOUBLE"
sales_csv = spark.read.csv("sales_csv", header=True, schema=schema)
by_store = sales_csv.groupBy("store").agg(F.sum("amount").alias("total"))
totals = by_store.collect()
sales_csv.dtypes

# %% [markdown]
# Both CSV cells also show **SPK550**, an *info* finding from the plan of `by_store`: a CSV scan that feeds
# an aggregation parses the whole text of every row on every read. A schema saves the inference pass, not
# the parsing.
#
# Parquet stores the schema with the data, in columns. Its extra job reads the schema from the files'
# footers (a few kilobytes, not the rows); the query then reads only the two columns it needs, and
# filters can skip whole row groups using the min/max values Parquet keeps. Compare the summary lines'
# times too. Write data you read more than once as Parquet (or a table format built on it, such as Delta
# or Iceberg).

# %%
%%sparklint
sales_pq = spark.read.parquet("sales_parquet")
by_store = sales_pq.groupBy("store").agg(F.sum("amount").alias("total"))
totals = by_store.collect()
sales_pq.dtypes

# %% [markdown]
# Next: [06_partitions](06_partitions.ipynb), how many tasks, how big, how even.
