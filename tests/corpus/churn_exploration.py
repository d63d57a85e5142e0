# %% [markdown]
# # Churn exploration
# Scratch analysis behind the Q2 churn deck.  Run cell by cell in VS Code.

# %%
import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import polars as pl
import seaborn as sns
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = SparkSession.builder.appName("churn-eda").config("spark.driver.memory", "16g").getOrCreate()

events = spark.read.parquet("s3://acme-analytics/app_events/")
subs = spark.table("billing.subscriptions")
plans = spark.table("billing.plans").select("plan_id", "plan_name", "monthly_price")

PLAN_COLORS = {"free": "#bbbbbb", "basic": "#4c72b0", "pro": "#dd8452", "team": "#55a868"}

# %% quick look
events.printSchema()
print(events.limit(10).toPandas())
print(events.take(5))
first_event = events.orderBy("event_ts").first()

# %% monthly active users (a few dozen rows)
mau = (
    events.groupBy(F.date_trunc("month", "event_ts").alias("month"))
    .agg(F.countDistinct("user_id").alias("mau"))
    .orderBy("month")
    .toPandas()
)
mau.plot(x="month", y="mau", figsize=(10, 4), title="Monthly active users")
plt.tight_layout()

n_users, n_events = events.agg(F.countDistinct("user_id"), F.count("*")).collect()[0]
print(f"{n_users:,} users, {n_events:,} events")

# %% session lengths: pull everything to pandas for the seaborn plots
events_pdf = events.toPandas()  # expect: SPK101
events_pdf["weekday"] = events_pdf["event_ts"].dt.day_name()
events_pdf["bucket"] = events_pdf["session_length"].apply(lambda s: "short" if s < 60 else "long")
sns.histplot(data=events_pdf, x="session_length", hue="bucket", log_scale=True)

# %% per-subscriber session counts, computed against the pandas frame
session_counts = subs.rdd.map(lambda r: (r.user_id, int((events_pdf["user_id"] == r.user_id).sum())))  # expect: SPK402
print(session_counts.take(10))

# %% a big sample to fit the survival model locally
sample_rows = events.select("user_id", "event_ts", "event_type").take(500_000)  # expect: SPK101
sample_pdf = pd.DataFrame(sample_rows, columns=["user_id", "event_ts", "event_type"])

# %% churned subscribers
churned = subs.filter(F.col("status") == "cancelled")
if churned.count() > 0:  # expect: SPK102
    churn_by_plan = churned.join(plans, "plan_id").groupBy("plan_name").count().toPandas()
    churn_by_plan["color"] = churn_by_plan["plan_name"].map(PLAN_COLORS)
    churn_by_plan.plot.bar(x="plan_name", y="count", color=churn_by_plan["color"])

# %% tenure distribution, sampled on the cluster first
tenure = (
    subs.withColumn("tenure_days", F.datediff(F.coalesce("cancelled_at", F.current_date()), "started_at"))
    .select("plan_id", "tenure_days")
    .limit(5_000)
    .toPandas()
)
tenure["tenure_months"] = np.floor(tenure["tenure_days"] / 30.4)
sns.boxplot(data=tenure, x="plan_id", y="tenure_months")

# %% survey answers
surveys = spark.read.option("header", "true").option("inferSchema", "true").csv("s3://acme-analytics/exit_surveys/")  # expect: SPK503
reasons = surveys.groupBy("primary_reason").count().orderBy(F.desc("count")).toPandas()
print(reasons.head(15))

# %% cohort exports are already on local disk as parquet: polars is faster here
cohorts = (
    pl.scan_parquet("exports/cohorts/*.parquet")
    .filter(pl.col("cohort_month") >= "2023-01")
    .group_by("cohort_month")
    .agg(pl.len().alias("users"), pl.col("retained_m3").mean().alias("m3"))
    .sort("cohort_month")
    .collect()
)
print(cohorts)

# %% ...and duckdb for the joins with the finance extract
con = duckdb.connect()
retention = con.sql(
    "SELECT * FROM 'exports/cohorts/*.parquet' c JOIN 'exports/finance.parquet' f ON c.user_id = f.user_id"
).df()
arpu = duckdb.sql("SELECT cohort_month, AVG(revenue) AS arpu FROM retention GROUP BY 1 ORDER BY 1").df()
arpu.plot(x="cohort_month", y="arpu")

# %% pandas-side feature tweaks for the deck
retention["segment"] = retention["seats"].map(lambda n: "team" if n > 1 else "solo")
retention["ltv"] = retention.apply(lambda row: row["revenue"] * row["expected_months"], axis=1)
retention.groupby("segment")["ltv"].describe()
