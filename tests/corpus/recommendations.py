"""Candidate generation for the home-page recommender (nightly batch)."""
import sys
from datetime import date

from pyspark import StorageLevel
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

RUN_DATE = sys.argv[1] if len(sys.argv) > 1 else date.today().isoformat()
OUT = "s3://acme-recs/candidates"

spark = (
    SparkSession.builder.appName("recs-candidates")
    .config("spark.sql.shuffle.partitions", "800")
    # broadcasts kept timing out on the old cluster, so they were switched off for good
    .config("spark.sql.autoBroadcastJoinThreshold", "-1")  # expect: SPK701
    .config("spark.sql.adaptive.enabled", "true")
    .getOrCreate()
)

interactions = (
    spark.read.parquet("s3://acme-events/interactions/")
    .filter(F.col("dt") >= F.date_sub(F.lit(RUN_DATE), 28))
    .select("user_id", "item_id", "event_type", "event_ts")
    .persist(StorageLevel.MEMORY_ONLY)  # expect: SPK502
)
items = spark.table("catalog.items").select("item_id", "category", "brand", "price", "in_stock")
users = spark.table("crm.users").select("user_id", "region", "signup_date", "tier")
blocked = spark.table("catalog.blocked_items").select("item_id")

# --- implicit feedback weights ---------------------------------------------------------
weights = F.when(F.col("event_type") == "purchase", 5.0).when(F.col("event_type") == "cart", 2.0).otherwise(1.0)
scored = interactions.withColumn("w", weights).join(items, "item_id")

# hand-maintained boosts from the merchandising team
boosts = spark.createDataFrame(
    [("electronics", 1.3), ("books", 1.1), ("toys", 1.2), ("garden", 0.9), ("grocery", 0.8)],
    ["category", "boost"],
)
scored = scored.join(boosts, "category", "left").fillna({"boost": 1.0})  # expect: SPK301
scored = scored.join(F.broadcast(blocked), "item_id", "left_anti")

# regions -> serving cluster, also hand maintained
region_rdd = spark.sparkContext.parallelize([("EU", "eu-west-1"), ("US", "us-east-1"), ("APAC", "ap-southeast-1")])
regions = region_rdd.toDF(["region", "serving_region"])
users = users.join(regions, "region", "left")  # expect: SPK301

# --- per-user affinity -------------------------------------------------------------------
affinity = (
    scored.repartition(400)  # expect: SPK205
    .groupBy("user_id", "category")
    .agg(F.sum(F.col("w") * F.col("boost")).alias("affinity"))
)
w_user = Window.partitionBy("user_id").orderBy(F.desc("affinity"))
top_categories = affinity.withColumn("rk", F.row_number().over(w_user)).filter("rk <= 3")

# --- popularity per category -----------------------------------------------------------
popular = (
    interactions.repartition("item_id")
    .groupBy("item_id")
    .agg(F.countDistinct("user_id").alias("buyers"))
)
item_pop = items.repartition(64, "category").join(popular, "item_id")  # expect: SPK205
w_cat = Window.partitionBy("category").orderBy(F.desc("buyers"))
top_items = item_pop.filter("in_stock").withColumn("rk", F.row_number().over(w_cat)).filter("rk <= 50")

# --- candidates ------------------------------------------------------------------------
candidates = top_categories.select("user_id", "category").join(top_items.select("category", "item_id", "buyers"), "category")
already_seen = interactions.select("user_id", "item_id").distinct()
candidates = candidates.join(already_seen, ["user_id", "item_id"], "left_anti")

# baseline used by the offline evaluation: every user against every item
all_pairs = users.select("user_id").crossJoin(items.select("item_id"))  # expect: SPK302
baseline = all_pairs.join(popular, "item_id").withColumn("score", F.log1p("buyers"))

# recency feature: last session start per user
sessions = spark.table("events.sessions").select(F.col("user_id").alias("session_user"), "session_start")
last_session = (
    users.join(sessions)  # expect: SPK302
    .groupBy("user_id")
    .agg(F.max("session_start").alias("last_session"))
)

# hourly serving grid for the cache warmer: 24 rows on the small side
hours = spark.range(24).withColumnRenamed("id", "hour")
warm_grid = top_items.select("item_id", "category").crossJoin(hours)

# --- outputs ---------------------------------------------------------------------------
(
    candidates.join(users.select("user_id", "serving_region"), "user_id")
    .repartition(200, "serving_region")
    .write.mode("overwrite")
    .partitionBy("serving_region")
    .parquet(f"{OUT}/dt={RUN_DATE}")
)
baseline.write.mode("overwrite").parquet(f"{OUT}/baseline/dt={RUN_DATE}")
last_session.write.mode("overwrite").parquet(f"{OUT}/recency/dt={RUN_DATE}")
warm_grid.write.mode("overwrite").parquet(f"{OUT}/warm_grid/dt={RUN_DATE}")

stats = candidates.agg(F.countDistinct("user_id").alias("users"), F.count("*").alias("rows")).first()
print(f"{RUN_DATE}: {stats['rows']:,} candidates for {stats['users']:,} users")
interactions.unpersist()
