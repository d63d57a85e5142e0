# teaches: SPK401, SPK402, SPK404, SPK405
# %% [markdown]
# # 4. Closures and UDFs: what Spark ships to the executors
#
# A function you pass to `rdd.map`, `filter`, `foreach` or wrap in a `udf` runs on the executors, not on
# the driver. Spark pickles it with everything it references (its *closure*) and sends that to the tasks.
# What a closure drags along, and what a function does per record, decide whether a job is fast, slow or
# fails outright.

# %%
import os
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python workers run this kernel's Python

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-04")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext

# %%
%load_ext sparkcoach

# %% [markdown]
# ## A method that reads `self`
#
# Job code often lives in a class that keeps the session and its settings as fields. A lambda inside a
# method that reads `self.vat` references `self`, so Spark pickles the **whole object** with it: every
# field, and here the SparkSession, which cannot leave the driver (SPK401). Defining the class and the
# object runs no job; the coach reads the code.

# %%
%%sparklint
class Pricing:
    def __init__(self, spark, vat):
        self.spark = spark
        self.vat = vat

    def gross(self, rdd):
        return rdd.map(lambda x: round(x * (1 + self.vat), 2))

pricing = Pricing(spark, 0.2)

# %% [markdown]
# The first job that uses it fails while Spark pickles the function (PySpark also prints the traceback on
# stderr, hidden here):

# %%
import contextlib
import io

try:
    with contextlib.redirect_stderr(io.StringIO()):
        pricing.gross(sc.parallelize([10.0, 25.0, 40.0])).collect()
except Exception as e:
    print(type(e).__name__, "-", str(e).splitlines()[0][:160])

# %% [markdown]
# Without the session the job would run, but with a copy of every field of the object in every task. The
# rewrite copies the field into a local variable before shipping the function: only a float travels.

# %%
%%sparklint
class Pricing:
    def __init__(self, spark, vat):
        self.spark = spark
        self.vat = vat

    def gross(self, rdd):
        vat = self.vat
        return rdd.map(lambda x: round(x * (1 + vat), 2))

pricing = Pricing(spark, 0.2)
pricing.gross(sc.parallelize([10.0, 25.0, 40.0])).collect()

# %% [markdown]
# ## A big lookup table: closure or broadcast variable
#
# A price list of 100,000 products, built on the driver, used to price 200,000 order lines. Read inside
# the lambda, the dictionary is part of the closure (SPK402): pickled with the function and unpickled by
# **every task**. `sc.broadcast(prices)` sends it to each executor once; a Python worker reads it on first
# use of `.value` and keeps it for the next tasks.

# %%
%%sparklint --measure --runs 3
prices = {sku: (sku * 7919) % 10_000 / 100 for sku in range(100_000)}
lines = sc.parallelize(range(200_000), 8).map(lambda i: (i * 31) % 100_000)
revenue = lines.map(lambda sku: prices[sku]).sum()
round(revenue, 2)

# %% [markdown]
# Both variants run one stage of 8 tasks with no shuffle. The difference is small, and the verdict may well
# be "no measurable difference": PySpark already sends a pickled function over 1 MB as a broadcast, and
# there are only 8 tasks on 2 local Python workers, so the dictionary is unpickled 8 times instead of
# about twice. On a cluster a stage has thousands of tasks and the lookup can be hundreds of MB: unpickled
# once per task, it costs CPU time and memory in every one of them. Broadcast anything big that a
# function reads; small constants (a rate, a threshold, a short list) are fine in a closure.
#
# The rewritten cell:

# %%
%%sparklint
prices = {sku: (sku * 7919) % 10_000 / 100 for sku in range(100_000)}
lines = sc.parallelize(range(200_000), 8).map(lambda i: (i * 31) % 100_000)
prices_bc = sc.broadcast(prices)
revenue = lines.map(lambda sku: prices_bc.value[sku]).sum()
round(revenue, 2)

# %% [markdown]
# ## A connection per record
#
# Enriching or writing records through a database or a web service is common. A function given to `map`,
# `filter` or `foreach` runs once per record, so a connection it opens is opened once per record: a
# network round trip, a TLS handshake and a login each time in production, and enough connections to
# exhaust the server's limit. Here the "database" is a local SQLite file with the stock of 10,000 products
# (no server needed; a local file is far cheaper to open than a network connection, so this understates
# the cost).

# %%
import sqlite3

STOCK_DB = os.path.abspath("stock.db")
with sqlite3.connect(STOCK_DB) as conn:
    conn.execute("CREATE TABLE IF NOT EXISTS stock (sku INTEGER PRIMARY KEY, qty INTEGER)")
    conn.execute("DELETE FROM stock")
    conn.executemany("INSERT INTO stock VALUES (?, ?)", ((s, (s * 13) % 5) for s in range(10_000)))
skus = sc.parallelize(range(20_000), 4).map(lambda i: (i * 7) % 10_000)

# %% [markdown]
# `in_stock` opens the database for each of the 20,000 SKUs it checks (SPK404):

# %%
%%sparklint
def in_stock(sku):
    conn = sqlite3.connect(STOCK_DB)
    row = conn.execute("SELECT qty FROM stock WHERE sku = ?", (sku,)).fetchone()
    conn.close()
    return row is not None and row[0] > 0

available = skus.filter(in_stock).count()
available

# %% [markdown]
# The coach has no automatic rewrite for this one (where to open and close the connection is the
# author's call), but its message gives the shape: `mapPartitions` calls the function once per partition
# with an iterator over its records, so one connection serves the whole partition (`foreachPartition` for
# writes). Compare the job time in the summary line with the cell above:

# %%
%%sparklint
def in_stock_partition(rows):
    conn = sqlite3.connect(STOCK_DB)
    for sku in rows:
        row = conn.execute("SELECT qty FROM stock WHERE sku = ?", (sku,)).fetchone()
        if row is not None and row[0] > 0:
            yield sku
    conn.close()

available = skus.mapPartitions(in_stock_partition).count()
available

# %% [markdown]
# ## Python UDFs that a built-in already does
#
# A Python UDF is a closure too, called for every row: Spark converts the rows (in Arrow batches, by
# default in Spark 4), sends them to a Python worker, calls the function once per row and converts the
# results back. Spark's built-in functions run in the JVM on Spark's own row format, and the optimizer
# can see through them. Upper-casing a string is a built-in (SPK405). 200,000 people:

# %%
people = spark.range(200_000).selectExpr("id", "concat('user_', id) AS name", "id % 90 AS age")

# %%
%%sparklint --measure --runs 3
upper = F.udf(lambda s: s.upper(), "string")
rows = (people.select("age", upper("name").alias("name"))
        .groupBy("age").agg(F.max("name").alias("last")).collect())
sorted(rows)[:3]

# %% [markdown]
# Both variants run the same stages and tasks and shuffle the same few bytes (one row per age and
# partition): the difference is all CPU, the rows converted to Arrow, handed to Python and back. The
# built-in is usually the faster one even here, and the gap grows with the rows and with every UDF
# column; on a busy laptop the verdict still varies between runs. In the plan a Python UDF shows as an
# `ArrowEvalPython` (`BatchEvalPython` with Arrow off) operator, and the optimizer cannot look inside it.
# Keep UDFs for what no built-in does (a parser, a model, a library call); when you need one, a
# vectorized `pandas_udf` calls the function once per batch instead of once per row.
#
# The rewritten cell, with the unused UDF definition dropped and no Python left in the plan:

# %%
%%sparklint
rows = (people.select("age", F.upper("name").alias("name"))
        .groupBy("age").agg(F.max("name").alias("last")).collect())
sorted(rows)[:3]

# %% [markdown]
# Next: [05_caching](05_caching.ipynb), when `cache()` pays and how to read files fast.
