# teaches: SPK201
# %% [markdown]
# # 1. First steps: `%%sparklint` and a measured rewrite
#
# The coach reads a cell, runs it once exactly as without the magic, and shows under it what will cost
# time and memory, with a rewrite of *your* code. With `--measure` it also times your cell against the
# rewrite on the same data.
#
# Everything here runs on a local Spark (2 cores) with data generated in the notebook.

# %%
from pyspark.sql import SparkSession

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-01")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext

# %% [markdown]
# Load the coach. It says which magics are ready and which Spark it sees.

# %%
%load_ext sparkcoach

# %% [markdown]
# ## A sum per key with `groupByKey`
#
# 1,000,000 (key, value) pairs over 100 keys. `groupByKey()` ships every value of a key across the
# network and builds a list of them before `mapValues(sum)` adds them up. `--measure --runs 3` times
# the cell against the coach's rewrite: one warm-up each, then three alternating runs.

# %%
%%sparklint --measure --runs 3
pairs = sc.parallelize(range(1_000_000), 8).map(lambda i: (i % 100, (i * 7919) % 10_007))
totals = pairs.groupByKey().mapValues(sum)
top = totals.takeOrdered(5, key=lambda kv: (-kv[1], kv[0]))
top

# %% [markdown]
# ### What the view shows
#
# - The cell's own result (`top`), below the view: the magic does not change what the cell returns.
# - A summary line: findings, the Spark jobs the cell ran and their time.
# - **SPK201** (`groupByKey` followed by an aggregation): why it costs, and the rewrite of this cell as a
#   diff, `reduceByKey`, which adds values up on each partition before the shuffle.
# - The measurement: each variant's median time and spread, its Spark figures (stages, tasks, shuffle
#   bytes), the speedup with a verdict, and the **result check** (same rows in both variants). A
#   difference is claimed only when the spreads do not overlap; otherwise it says so.
#
# Read the shuffle figures as well as the times. `reduceByKey` shuffles one partial sum per key and
# partition instead of every value. On one machine, with the shuffle on local disk, the time saved can be
# small next to the Python work both variants do to generate the pairs, and the verdict may well be "no
# measurable difference"; on a cluster the shuffle crosses the network, and the lists `groupByKey` builds
# grow with the data.
#
# In JupyterLab with the extension the view is interactive; saved notebooks, GitHub and nbviewer show the
# HTML copy.
#
# ## The rewritten cell
#
# The same cell with the coach's rewrite applied: the same result, and no findings.

# %%
%%sparklint
pairs = sc.parallelize(range(1_000_000), 8).map(lambda i: (i % 100, (i * 7919) % 10_007))
totals = pairs.reduceByKey(lambda a, b: a + b)
top = totals.takeOrdered(5, key=lambda kv: (-kv[1], kv[0]))
top

# %% [markdown]
# Next: [02_joins](02_joins.ipynb), broadcast joins and what Spark decides on its own.
