# teaches: SPK701, SPK301
# shows: Executors: 3 per node x 5 cores = 29 executors (30 minus 1 left for the YARN ApplicationMaster)
# shows: Memory per executor: 38g + 4g overhead = 42g of a 42.3g container share ((128g - 1g) / 3)
# shows: spark-submit --num-executors 29 --executor-cores 5 --executor-memory 38g
# shows: spark.sql.shuffle.partitions: 4 now, 290 suggested
# shows: Note: 3 cores per executor rather than 5: 2 x 3 uses 6 of the 7 usable cores, 1 x 5 only 5
# %% [markdown]
# # 8. Sizing executors: cores, memory and the settings that go with them
#
# On a cluster, Spark runs your tasks in *executors*: JVMs started on the worker nodes, each with a
# number of cores (tasks it runs at once) and a heap. How many, how big: four settings decide it,
# `spark.executor.instances`, `spark.executor.cores`, `spark.executor.memory` and
# `spark.executor.memoryOverhead`, and they are fixed when the application starts. `%sparkcoach
# resources` works them out for a node type and compares them with the session's own.

# %%
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-08")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext

# %%
%load_ext sparkcoach

# %% [markdown]
# ## The rule of thumb
#
# The classic recipe (from Cloudera's tuning guide, still the usual starting point on YARN):
#
# 1. **Leave a core and about a gigabyte per node** for the operating system and the Hadoop daemons
#    (NodeManager, DataNode). Give YARN all of it and the daemons compete with your tasks.
# 2. **About 5 cores per executor.** More concurrent tasks per JVM tend to hurt HDFS client throughput
#    and lengthen garbage-collection pauses on a huge heap; one-core executors waste memory on a JVM
#    each and lose what tasks share inside an executor (broadcast variables, cached blocks).
# 3. **Split what is left of the node's memory evenly** between its executors. Each share is one YARN
#    container, and holds the heap (`spark.executor.memory`) *plus* `spark.executor.memoryOverhead`:
#    off-heap memory for the JVM itself, thread stacks, network buffers and, in PySpark, the Python
#    worker processes. Spark's default overhead is 10% of the heap (at least 384 MB); a container that
#    outgrows heap + overhead is killed by YARN ("Container killed ... exceeding memory limits").
# 4. **One executor less on the cluster** for the YARN ApplicationMaster (in cluster mode it hosts the
#    driver).
# 5. **2-3 tasks per core** for `spark.default.parallelism` and `spark.sql.shuffle.partitions`, so that
#    fast tasks leave no core idle while slow ones finish.
#
# ## A worked example: ten r5.4xlarge nodes
#
# An AWS r5.4xlarge has 16 vCPUs and 128 GiB of memory. Ten of them:

# %%
%sparkcoach resources --node-cores 16 --node-memory 128g --nodes 10

# %% [markdown]
# Where the numbers come from:
#
# - 16 cores, 1 for the OS: 15 usable, so **3 executors of 5 cores** per node, 30 on the cluster, one
#   left for the ApplicationMaster: `--num-executors 29`.
# - 128 GiB, 1 for the OS: 127 GiB, a third of it (42.3 GiB) per container: **38g of heap + 4g of
#   overhead** (the 10% rounded up, the heap rounded down to fit).
# - 29 x 5 = 145 cores, hence 290-435 shuffle partitions.
#
# Use the memory the resource manager really offers, not the instance's sticker size: a managed service
# (EMR, Dataproc, HDInsight) hands YARN less than the node's RAM, and its
# `yarn.nodemanager.resource.memory-mb` for the instance type is the figure to pass (and then the OS
# gigabyte is reserved twice: a small, safe error).
#
# The last block compares the plan with this session, whose executor settings are unset (Spark's
# defaults: a 1g heap and 384m of overhead). They would do nothing anyway: the notebook runs Spark in
# local mode, where the driver runs every task. Its 4 shuffle partitions are 2 per core of `local[2]`,
# the same rule at laptop scale.
#
# A smaller node does not divide by 5. An m5.2xlarge has 8 vCPUs and 32 GiB: 7 usable cores make one
# executor of 5 (2 cores idle) or two of 3 (1 idle); the coach picks the one that puts more cores to work
# and says so.

# %%
%sparkcoach resources --node-cores 8 --node-memory 32g --nodes 10

# %% [markdown]
# ## Inside the heap
#
# Of each executor's heap, Spark keeps 300 MB for itself and gives `spark.memory.fraction` (0.6) of the
# rest to *unified memory*, shared by execution (shuffles, joins, sorts, aggregations) and storage
# (cached data, broadcasts); the other 40% holds user data structures and Spark's own objects. The tasks
# running at once share the execution memory, so a task gets at most:

# %%
heap_mib = 38 * 1024  # --executor-memory 38g, from the r5.4xlarge plan
fraction = float(spark.conf.get("spark.memory.fraction", "0.6"))
unified_mib = (heap_mib - 300) * fraction
print(f"unified memory: {unified_mib / 1024:.1f} GiB per executor, "
      f"about {unified_mib / 5 / 1024:.1f} GiB per task with 5 tasks running at once")

# %% [markdown]
# A task that needs more than its share spills to local disk (SPK261 reports spill from a cell's jobs).
# More memory per *task* comes from fewer cores per executor or more heap, not from more executors.
#
# ## Executor settings are fixed at start-up
#
# Executors are started with the application: `spark.executor.*` belongs on `spark-submit`, in the
# cluster's defaults or on the builder before the first `getOrCreate()`. A running session refuses to
# change it:

# %%
try:
    spark.conf.set("spark.executor.memory", "38g")
except Exception as exc:
    print(type(exc).__name__, str(exc).splitlines()[0][:160])
print("driver memory:", sc.getConf().get("spark.driver.memory", "1g (unset: the default)"))

# %% [markdown]
# In local mode `spark.driver.memory` is the only heap there is, and it too must be set before the JVM
# starts (`spark-submit --driver-memory`, or `PYSPARK_SUBMIT_ARGS` for a notebook).
#
# ## Memory settings in code: `autoBroadcastJoinThreshold = -1`
#
# Some settings *can* change at run time: the SQL ones. One is often set to get past a memory error: a
# broadcast join that ran out of memory (on the driver, which collects the small side first, or on the
# executors) gets `spark.sql.autoBroadcastJoinThreshold` set to `-1`, which turns automatic broadcasts
# off for every join of the session (SPK701). Each join without a hint becomes a sort-merge join that
# shuffles and sorts both sides, and adaptive execution no longer switches joins to broadcasts at run
# time either (its own threshold follows this one).
#
# Half a million orders joined with 30 countries typed in as a list:

# %%
orders = spark.range(500_000).selectExpr("id", "id % 30 AS country_id",
                                        "CAST(id % 997 AS DOUBLE) AS amount")
countries = spark.createDataFrame([(i, f"country_{i:02d}") for i in range(30)],
                                  ["country_id", "country"])

# %% [markdown]
# SPK701 has no automatic rewrite: which joins need a broadcast, and what threshold fits the executors'
# memory, is the author's call. Here the coach also reports the join itself (SPK301: a small side Spark
# cannot size, and no hint), and *that* rewrite, `broadcast(countries)`, is what SPK701 recommends for
# the joins that need it: a hint still broadcasts with the threshold at `-1`. The measurement runs both
# with the threshold at `-1`.

# %%
%%sparklint --measure --runs 3
spark.conf.set("spark.sql.autoBroadcastJoinThreshold", -1)
by_country = (orders.join(countries, "country_id").groupBy("country")
              .agg(F.count("*").alias("orders"), F.sum("amount").alias("total")))
rows = by_country.collect()
len(rows)

# %% [markdown]
# ### Reading the measurement
#
# The original shuffles both sides for a sort-merge join: all the orders are written to shuffle files
# and read back, then shuffled again (much smaller, after a partial aggregation) for the `groupBy`. With
# the hint, the 30 countries go to every task and only the `groupBy`'s partial sums are shuffled: compare
# the *shuffle* bytes (megabytes against a kilobyte or two) and the *stages* of the two variants. On two
# local cores the time saved is the shuffle of half a million narrow rows: the verdict may be a clear
# gain, or "no measurable difference" when the runs spread widely on a busy machine; on a cluster the
# shuffle crosses the network and grows with the big side.
#
# After the run, a plan rule sees the join Spark actually ran (SPK350): a sort-merge join whose measured
# side was tiny, and that adaptive execution did *not* switch to a broadcast, because its threshold
# follows the `-1`.
#
# ## The rewritten cell
#
# A threshold raised to fit the memory instead of `-1` (broadcasts of up to 50 MB are fine with a driver
# and executors of several GB), and a hint on the join that needs one. No findings.

# %%
%%sparklint
spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "50MB")
by_country = (orders.join(F.broadcast(countries), "country_id").groupBy("country")
              .agg(F.count("*").alias("orders"), F.sum("amount").alias("total")))
rows = by_country.collect()
len(rows)

# %% [markdown]
# ## Serialization: Kryo
#
# `spark.serializer` (no rule checks it) sets how Spark serializes JVM objects: in RDD shuffles and in
# serialized caches of Scala or Java RDDs. `org.apache.spark.serializer.KryoSerializer` is faster and
# more compact than Java serialization, and worth setting for such jobs (with the classes registered).
# It changes little here: DataFrames keep their rows in Spark's own binary format (Tungsten) whatever the
# serializer, and PySpark RDD records reach the JVM already pickled by Python, as bytes.
#
# Next: [09_beyond_one_machine](09_beyond_one_machine.ipynb), a standalone cluster and Spark Connect.
