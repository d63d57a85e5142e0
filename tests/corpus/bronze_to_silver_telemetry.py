# Databricks notebook source
# MAGIC %md
# MAGIC # Bronze -> Silver: device telemetry
# MAGIC Reads one day of raw gateway telemetry, deduplicates re-sent readings, converts units,
# MAGIC merges into `silver.telemetry` and raises alerts for overheating devices.

# COMMAND ----------

dbutils.widgets.text("ingest_date", "")
ingest_date = dbutils.widgets.get("ingest_date")
assert ingest_date, "ingest_date widget is required"

# COMMAND ----------

from delta.tables import DeltaTable
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType, TimestampType

telemetry_schema = StructType(
    [
        StructField("device_id", StringType(), False),
        StructField("reading_ts", TimestampType(), False),
        StructField("received_at", TimestampType(), True),
        StructField("temp_f", DoubleType(), True),
        StructField("humidity", DoubleType(), True),
        StructField("firmware", StringType(), True),
    ]
)

# COMMAND ----------

raw = spark.read.format("json").schema(telemetry_schema).load(f"/mnt/bronze/telemetry/{ingest_date}/")
devices = spark.read.format("csv").option("header", "true").option("inferSchema", "true").load("/mnt/bronze/devices/")  # expect: SPK503
display(raw)

# COMMAND ----------

# MAGIC %md Gateways re-send readings after a reconnect: keep the last one received.

# COMMAND ----------

w = Window.partitionBy("device_id", "reading_ts").orderBy(F.col("received_at").desc())
clean = (
    raw.withColumn("rn", F.row_number().over(w))
    .filter("rn = 1")
    .drop("rn")
    .withColumn("temp_c", F.round((F.col("temp_f") - 32) * 5 / 9, 2))
    .join(devices.select("device_id", "site", "model"), "device_id", "left")
)

# COMMAND ----------

stats = clean.orderBy("reading_ts").groupBy("device_id").agg(F.avg("temp_c").alias("avg_temp"), F.max("temp_c").alias("max_temp"))  # expect: SPK202
display(stats)

# COMMAND ----------

# the dashboard reads one small status file
status = clean.repartition(1).withColumn("is_hot", F.col("temp_c") > 80).groupBy("device_id").agg(F.max("is_hot").alias("ever_hot"))  # expect: SPK203
status.write.mode("overwrite").format("delta").save("/mnt/silver/device_status")

# COMMAND ----------

# detach the lineage before the merge, the plan got too deep
snapshot = spark.createDataFrame(clean.collect(), clean.schema)  # expect: SPK103

# COMMAND ----------

silver = DeltaTable.forPath(spark, "/mnt/silver/telemetry")
(
    silver.alias("t")
    .merge(snapshot.alias("s"), "t.device_id = s.device_id AND t.reading_ts = s.reading_ts")
    .whenMatchedUpdateAll()
    .whenNotMatchedInsertAll()
    .execute()
)

# COMMAND ----------

# MAGIC %sql
# MAGIC OPTIMIZE silver.telemetry ZORDER BY (device_id)

# COMMAND ----------

for row in clean.select("device_id", "temp_c", "site").collect():  # expect: SPK103
    if row.temp_c is not None and row.temp_c > 90:
        dbutils.notebook.run("/Shared/alerts/send_overheat_alert", 120, {"device_id": row.device_id, "site": row.site})

# COMMAND ----------

hot_sites = stats.join(devices.select("device_id", "site"), "device_id").filter("max_temp > 85").groupBy("site").count()
display(hot_sites)
for r in hot_sites.collect():
    print(f"{r['site']}: {r['count']} hot devices")

# COMMAND ----------

# the daily extract for the vendor portal is a single csv
daily = clean.groupBy("site", F.to_date("reading_ts").alias("day")).agg(F.avg("temp_c").alias("avg_temp_c"))
daily.coalesce(1).write.mode("overwrite").option("header", True).csv(f"/mnt/exports/vendor/{ingest_date}")

dbutils.notebook.exit("ok")
