# teaches: SPK601, SPK602, SPK603, SPK604, SPK605
# %% [markdown]
# # 7. SQL strings: what the coach reads in `spark.sql(...)`
#
# A query in a `spark.sql("...")` string goes through the same optimizer as DataFrame code, but the
# Python linter sees only a string. The coach parses the SQL inside the string and checks it: a star
# over a join, a sort nobody keeps, a missing join condition, `NOT IN` over a subquery and a function
# around a filtered column.

# %%
import contextlib
import io

from pyspark.sql import SparkSession

spark = (SparkSession.builder.master("local[2]").appName("sparkcoach-07")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext


def plan_lines(df, word):
    """The lines of ``df``'s physical plan that contain ``word``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        df.explain()
    return [line.strip(" :+-") for line in out.getvalue().splitlines() if word in line]

# %%
%load_ext sparkcoach

# %% [markdown]
# ## The data
#
# Half a million orders of 50,000 customers over three years (2023 to 2025), and 20,000 blocked
# customers, registered as temporary views so that SQL can name them. `createOrReplaceTempView` stores
# no data: a view is a name for the DataFrame's plan, computed again by every query that reads it.

# %%
spark.range(50_000).selectExpr(
    "id AS customer_id", "concat('customer_', id) AS name",
    "CASE WHEN id % 10 = 0 THEN 'business' ELSE 'private' END AS segment",
).createOrReplaceTempView("customers")
spark.range(500_000).selectExpr(
    "id AS order_id", "(id * 7919) % 50000 AS customer_id",
    "CAST(id % 997 AS DOUBLE) / 7 AS amount",
    "date_add(DATE'2023-01-01', CAST(id % 1096 AS INT)) AS order_date",
).createOrReplaceTempView("orders")
spark.range(20_000).selectExpr("(id * 13) % 50000 AS customer_id").createOrReplaceTempView("blocked")

# %% [markdown]
# ## `SELECT *` over a join, a forgotten join condition
#
# Two queries the coach reports from the text alone; `--no-run` shows the findings without running the
# cell (the second query, run, would pair every order with every customer: 25 billion rows).
#
# - **SPK601** `SELECT *` over a join returns every column of both sides: `customer_id` comes out
#   twice, so any later `customer_id` is ambiguous, and Spark reads and shuffles columns nobody uses.
#   The output also changes whenever a table gains a column. Name the columns.
# - **SPK603** a comma join whose `WHERE` does not relate the two tables is a Cartesian product: with no
#   equality to hash or sort on, Spark can only run a nested-loop join. Usually it is a forgotten
#   condition, and the result is wrong as well as slow.

# %%
%%sparklint --no-run
enriched = spark.sql("""
    SELECT * FROM orders o JOIN customers c ON o.customer_id = c.customer_id
""")
big_orders = spark.sql("""
    SELECT o.order_id, c.name FROM orders o, customers c WHERE o.amount > 140
""")

# %% [markdown]
# Both need a decision only the author can make (which columns, which key), so the coach says what to
# write instead of rewriting.
#
# ## A sort in a subquery
#
# An `ORDER BY` inside a subquery or CTE whose outer query groups, joins or sorts again (SPK602): the
# `GROUP BY` shuffles the rows by customer, and no order survives a shuffle. Spark still runs the sort
# here: a range shuffle of every order (`Exchange rangepartitioning`) and a `Sort`, before the
# aggregation's own shuffle. The rewrite drops the `ORDER BY`; the rows are the same, and their order
# was never guaranteed. (The write goes to Spark's `noop` sink, which runs the query and stores nothing.)

# %%
%%sparklint --measure --runs 3
per_customer = spark.sql("""
    SELECT customer_id, count(*) AS n, sum(amount) AS total
    FROM (SELECT * FROM orders ORDER BY order_date) o
    GROUP BY customer_id
""")
per_customer.write.format("noop").mode("overwrite").save()

# %% [markdown]
# Compare the *stages* and the *shuffle* bytes of the two variants: the original has one shuffle more,
# of every order. A plan rule can report the same waste (SPK251, a global sort whose order a later
# shuffle throws away) in SQL the coach cannot parse, or in a view defined elsewhere.
#
# ## `NOT IN (subquery)` and its NULLs
#
# Orders of customers who are not blocked, written with `NOT IN`. SQL's three-valued logic makes
# `x NOT IN (SELECT y ...)` *unknown* as soon as one `y` is NULL, so Spark cannot run it as an ordinary
# anti join (SPK604): it runs a *null-aware* anti join, which must see the whole subquery result on every
# executor, so the subquery is always broadcast. `NOT EXISTS` (or `LEFT ANTI JOIN`) has no such rule and
# runs as an ordinary anti join: broadcast when the subquery is small, sort-merge when it is not.
#
# Here `blocked` has no NULLs, so the rewrite returns the same rows, and the measurement checks it.

# %%
%%sparklint --measure --runs 3
allowed = spark.sql("""
    SELECT count(*) AS orders, sum(amount) AS total FROM orders
    WHERE customer_id NOT IN (SELECT customer_id FROM blocked)
""")
allowed.collect()

# %% [markdown]
# ### What the measurement shows
#
# The 20,000 blocked ids are small, so both variants broadcast them and the plans differ in one flag:
# the same stages, tasks and shuffle bytes (a few bytes: the only shuffle sends each partition's partial
# count and sum to the final one). Expect times close to each other; on a busy laptop the verdict can
# still tip either way. What `NOT IN` costs shows when the subquery is big. To see it here, pretend
# `blocked` is big by lowering the broadcast threshold to 1 KB: `NOT EXISTS` becomes a
# `SortMergeJoin ... LeftAnti` (both sides shuffled, nothing held in memory), while `NOT IN` stays a
# `BroadcastHashJoin ... LeftAnti, BuildRight, true` (the `true` is *null-aware*): Spark broadcasts the
# subquery whatever its size. With a hundred million blocked ids that is a broadcast the
# driver collects first, and a job that runs out of memory or times out.

# %%
spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "1KB")
for query in ["SELECT order_id FROM orders WHERE customer_id NOT IN (SELECT customer_id FROM blocked)",
              "SELECT order_id FROM orders o WHERE NOT EXISTS "
              "(SELECT 1 FROM blocked b WHERE b.customer_id = o.customer_id)"]:
    print(plan_lines(spark.sql(query), "Join")[0])
spark.conf.unset("spark.sql.autoBroadcastJoinThreshold")

# %% [markdown]
# ### The rewrite changes NULL semantics
#
# The coach marks this rewrite *unsafe*: it is the same query only when neither column holds NULLs. Two
# tiny views show both differences. One NULL in the subquery and `NOT IN` returns no row at all; a NULL
# in the outer column is dropped by `NOT IN` and kept by `NOT EXISTS`.

# %%
spark.sql("SELECT * FROM VALUES (1), (2), (NULL) AS t(id)").createOrReplaceTempView("ids")
spark.sql("SELECT * FROM VALUES (2), (NULL) AS t(id)").createOrReplaceTempView("excluded")
not_in = spark.sql("SELECT id FROM ids WHERE id NOT IN (SELECT id FROM excluded)").collect()
not_exists = spark.sql("SELECT id FROM ids i WHERE NOT EXISTS "
                       "(SELECT 1 FROM excluded e WHERE e.id = i.id)").collect()
print("NOT IN:    ", not_in)
print("NOT EXISTS:", not_exists)

# %% [markdown]
# Before applying it, decide what a NULL should mean: keep `NOT IN`'s behaviour with
# `WHERE customer_id IS NOT NULL` on the outer side and make sure the subquery column is `NOT NULL` (then
# the two agree), or accept `NOT EXISTS`'s "unknown is not excluded".
#
# ## A function around a filtered column
#
# Data in files is where filters pay most: a Parquet file keeps the minimum and maximum of every column
# per row group, and Spark skips the row groups a *pushed-down* filter rules out. Write the orders to
# Parquet, sorted by date so that each file covers a few months, and read them back as a view.

# %%
(spark.table("orders").repartitionByRange(6, "order_date").sortWithinPartitions("order_date")
 .write.mode("overwrite").parquet("orders.parquet"))
spark.read.parquet("orders.parquet").createOrReplaceTempView("orders_pq")

# %% [markdown]
# `year(order_date) = 2024` must be computed for every row, so it cannot be pushed down (SPK605): every
# file is read and decoded. The rewrite compares the column itself, a range Spark pushes to the Parquet
# reader. It is marked unsafe because the coach cannot see the column's type in the SQL: for a `DATE`
# (as here) or a `TIMESTAMP` the rows are the same, for a string in another format they would not be.

# %%
%%sparklint --measure --runs 3
sales_2024 = spark.sql("""
    SELECT count(*) AS orders, sum(amount) AS total FROM orders_pq
    WHERE year(order_date) = 2024
""")
sales_2024.collect()

# %% [markdown]
# The timings come from five megabytes on local disk, where reading everything is cheap: the verdict may
# be a small gain or "no measurable difference", and the stages, tasks and (tiny) shuffle bytes are the
# same in both variants. What differs is how much the scan reads. The plans show it: `PushedFilters` of
# the original holds only `IsNotNull(order_date)`, the rewrite's also the range.

# %%
for where in ["year(order_date) = 2024", "order_date >= '2024-01-01' AND order_date < '2025-01-01'"]:
    scan = plan_lines(spark.sql(f"SELECT order_id FROM orders_pq WHERE {where}"), "PushedFilters")[0]
    print(f"{where}\n  {scan[scan.index('PushedFilters'):].split('], ')[0]}]")

# %% [markdown]
# With the range pushed down, the Parquet reader compares it with each row group's (and page's) minimum
# and maximum `order_date` and skips those that cannot hold 2024. Each file here is one row group:

# %%
spark.sql("""
    SELECT regexp_extract(input_file_name(), 'part-([0-9]+)', 1) AS file,
           min(order_date) AS first_day, max(order_date) AS last_day, count(*) AS rows
    FROM orders_pq GROUP BY 1 ORDER BY 1
""").show()

# %% [markdown]
# The files whose dates all lie outside 2024 are skipped without being decoded, and in a file that
# straddles a new year the reader can skip the pages outside 2024 as well: the rewritten query decodes
# about a third of the rows (the Spark UI's SQL tab shows it as the scan's *number of output
# rows*). On a table of years of data, or one partitioned by date, that is most of the table not read.
#
# ## The rewritten queries
#
# The same queries with the coach's advice applied: named columns, no inner `ORDER BY`, a join key,
# `NOT EXISTS` and a range on the column. No findings.

# %%
%%sparklint
enriched = spark.sql("""
    SELECT o.order_id, o.customer_id, o.amount, c.name, c.segment
    FROM orders o JOIN customers c ON o.customer_id = c.customer_id
""")
per_customer = spark.sql("""
    SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer_id
""")
big_orders = spark.sql("""
    SELECT o.order_id, c.name FROM orders o JOIN customers c ON o.customer_id = c.customer_id
    WHERE o.amount > 140
""")
allowed = spark.sql("""
    SELECT count(*) AS orders, sum(amount) AS total FROM orders
    WHERE NOT EXISTS (SELECT 1 FROM blocked WHERE blocked.customer_id = orders.customer_id)
""")
sales_2024 = spark.sql("""
    SELECT count(*) AS orders, sum(amount) AS total FROM orders_pq
    WHERE order_date >= '2024-01-01' AND order_date < '2025-01-01'
""")
allowed.collect() + sales_2024.collect()

# %% [markdown]
# Next: [08_sizing](08_sizing.ipynb), executors, cores and memory for a real cluster.
