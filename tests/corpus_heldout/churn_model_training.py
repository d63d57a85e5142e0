"""Train the subscription churn model (pyspark.ml) and register scores.

Feature engineering happens in Spark; only evaluation artefacts (small) come
back to the driver for plotting.
"""
import math
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from pyspark.ml import Pipeline
from pyspark.ml.classification import GBTClassifier, LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import (Imputer, OneHotEncoder, StandardScaler, StringIndexer,
                                VectorAssembler)
from pyspark.ml.functions import vector_to_array
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType

NUMERIC = ["tenure_days", "monthly_fee", "sessions_30d", "tickets_90d", "failed_payments_90d",
           "avg_session_minutes", "discount_pct"]
CATEGORICAL = ["plan", "country", "acquisition_channel", "device_family"]
LABEL = "churned_60d"

spark = SparkSession.builder.appName("churn-training").getOrCreate()
snapshot = sys.argv[1] if len(sys.argv) > 1 else "2024-04-30"

accounts = spark.table("analytics.account_snapshot").where(F.col("snapshot_date") <= snapshot)
labels = spark.read.json("s3://ml-labels/churn/v2/")  # expect: SPK503

# raw exports arrive with messy headers: "Tenure Days", "Monthly Fee", ...
for c in accounts.columns:
    accounts = accounts.withColumnRenamed(c, c.strip().lower().replace(" ", "_"))  # expect: SPK504

df = accounts.join(labels.select("account_id", "snapshot_date", LABEL), ["account_id", "snapshot_date"])

for c in NUMERIC:
    df = df.withColumn(c, F.col(c).cast(DoubleType()))  # expect: SPK504

normalize_channel = F.udf(lambda s: s.strip().lower() if s else None, StringType())  # expect: SPK405
df = df.withColumn("acquisition_channel", normalize_channel("acquisition_channel"))


@F.udf(DoubleType())
def entropy_of_usage(minutes_by_feature):
    # Shannon entropy over the usage distribution (map<string,double>)
    if not minutes_by_feature:
        return 0.0
    total = sum(v for v in minutes_by_feature.values() if v)
    if total <= 0:
        return 0.0
    h = 0.0
    for v in minutes_by_feature.values():
        if v:
            p = v / total
            h -= p * math.log(p, 2)
    return h


df = df.withColumn("usage_entropy", entropy_of_usage("minutes_by_feature"))
NUMERIC.append("usage_entropy")

# time-based split: the most recent 20% of snapshot dates is the test set
dates = df.select("snapshot_date").distinct()
dates = dates.withColumn("pct", F.percent_rank().over(Window.orderBy("snapshot_date")))
df = df.join(F.broadcast(dates), "snapshot_date")
train = df.where(F.col("pct") < 0.8).drop("pct").cache()
test = df.where(F.col("pct") >= 0.8).drop("pct").cache()
print(f"train={train.count()} test={test.count()} positives={train.where(F.col(LABEL) == 1).count()}")

# recency features: rank of each snapshot within its account, newest first
per_account = Window.partitionBy("account_id").orderBy(F.col("snapshot_date").desc())
train = train.withColumn("snap_rank", F.row_number().over(per_account))

indexers = [StringIndexer(inputCol=c, outputCol=f"{c}_idx", handleInvalid="keep") for c in CATEGORICAL]
encoder = OneHotEncoder(inputCols=[f"{c}_idx" for c in CATEGORICAL],
                        outputCols=[f"{c}_ohe" for c in CATEGORICAL])
imputer = Imputer(inputCols=NUMERIC, outputCols=[f"{c}_imp" for c in NUMERIC], strategy="median")
assembler = VectorAssembler(inputCols=[f"{c}_imp" for c in NUMERIC] + [f"{c}_ohe" for c in CATEGORICAL],
                            outputCol="raw_features")
scaler = StandardScaler(inputCol="raw_features", outputCol="features", withMean=False)
lr = LogisticRegression(featuresCol="features", labelCol=LABEL, maxIter=50)

pipeline = Pipeline(stages=[*indexers, encoder, imputer, assembler, scaler, lr])
grid = (ParamGridBuilder()
        .addGrid(lr.regParam, [0.0, 0.01, 0.1])
        .addGrid(lr.elasticNetParam, [0.0, 0.5])
        .build())
evaluator = BinaryClassificationEvaluator(labelCol=LABEL, metricName="areaUnderPR")
cv = CrossValidator(estimator=pipeline, estimatorParamMaps=grid, evaluator=evaluator, numFolds=3, parallelism=3)
cv_model = cv.fit(train)

gbt = GBTClassifier(featuresCol="features", labelCol=LABEL, maxDepth=5, maxIter=60)
gbt_model = Pipeline(stages=[*indexers, encoder, imputer, assembler, scaler, gbt]).fit(train)

scored = {
    "logreg": cv_model.transform(test),
    "gbt": gbt_model.transform(test),
}
for name, preds in scored.items():
    print(name, "AUPR", evaluator.evaluate(preds))

best = scored["gbt"].withColumn("p_churn", vector_to_array("probability")[1])

# calibration curve: 20 buckets, aggregated in Spark
calib = (
    best.withColumn("bucket", F.floor(F.col("p_churn") * 20))
    .groupBy("bucket")
    .agg(F.avg("p_churn").alias("predicted"), F.avg(F.col(LABEL).cast("double")).alias("observed"))
    .orderBy("bucket")
    .toPandas()
)
fig, ax = plt.subplots(figsize=(5, 5))
ax.plot(calib["predicted"], calib["observed"], marker="o")
ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
fig.savefig("/tmp/churn_calibration.png")

# lift table for the business deck: deciles of the score
lift = best.withColumn("decile", F.ntile(10).over(Window.partitionBy("country").orderBy(F.desc("p_churn"))))
lift.groupBy("country", "decile").agg(F.avg(LABEL).alias("churn_rate")).show(50)

# per-account error analysis (written for the analysts, not pulled to the driver)
errors = best.where((F.col("p_churn") > 0.7) & (F.col(LABEL) == 0))
errors.select("account_id", "snapshot_date", "p_churn", *NUMERIC).write.mode("overwrite").parquet(
    "s3://ml-artifacts/churn/error_analysis/")

# feature importances from the GBT, small and local
importances = gbt_model.stages[-1].featureImportances.toArray()
for name, imp in sorted(zip(assembler.getInputCols(), importances), key=lambda t: -t[1])[:15]:
    print(f"{name:40s} {imp:.4f}")

all_scores = best.select("account_id", "snapshot_date", "p_churn").toPandas()  # expect: SPK101
all_scores.to_parquet("/dbfs/tmp/churn_scores.parquet")

gbt_model.write().overwrite().save("s3://ml-artifacts/churn/gbt/latest")
train.unpersist()
test.unpersist()
