"""Customer engagement scoring.

Wrapped in a class so the orchestration layer can inject the session and the YAML config:

    job = CustomerScoringJob(spark, yaml.safe_load(open("conf/scoring.yml")))
    job.run()
"""
import logging
from dataclasses import dataclass, field

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

logger = logging.getLogger(__name__)


@dataclass
class ScoreBands:
    edges: list = field(default_factory=lambda: [0.2, 0.5, 0.8])
    labels: list = field(default_factory=lambda: ["dormant", "casual", "engaged", "champion"])

    def band_for(self, score: float) -> str:
        for edge, label in zip(self.edges, self.labels):
            if score < edge:
                return label
        return self.labels[-1]


class CustomerScoringJob:
    def __init__(self, spark: SparkSession, config: dict):
        self.spark = spark
        self.config = config
        self.min_score = config.get("min_score", 0.05)
        self.weights = config.get("weights", {"click": 0.1, "order": 1.0, "review": 0.5})
        self.segment_names = config.get("segment_names", {"A": "enterprise", "B": "smb", "C": "consumer"})
        self.bands = ScoreBands()
        self.output_table = config["output_table"]

    # ------------------------------------------------------------------ loading
    def load(self):
        events = self.spark.read.parquet(self.config["events_path"])
        profiles = self.spark.table(self.config["profiles_table"]).select("customer_id", "segment", "country")
        return events, profiles

    # ------------------------------------------------------------------ scoring
    def score_rdd(self, events: DataFrame):
        per_event = events.rdd.map(lambda r: (r.customer_id, r.clicks * self.weights["click"] + r.orders * self.weights["order"]))  # expect: SPK401
        return per_event.reduceByKey(lambda a, b: a + b)

    def score_reviews(self, events: DataFrame):
        weight = float(self.weights["review"])  # copy to a local so the closure ships a float, not the job
        return events.rdd.map(lambda r: (r.customer_id, r.reviews * weight)).reduceByKey(lambda a, b: a + b)

    def drop_low_scores(self, scores_rdd):
        def keep(kv):
            return kv[1] >= self.min_score

        return scores_rdd.filter(keep)  # expect: SPK401

    def label_segments(self, scored: DataFrame) -> DataFrame:
        segment_udf = F.udf(lambda code: self.segment_names.get(code, "unknown"), StringType())  # expect: SPK401
        return scored.withColumn("segment_name", segment_udf("segment"))

    def label_countries(self, scored: DataFrame) -> DataFrame:
        mapping = F.create_map(*[F.lit(x) for kv in self.config.get("country_names", {}).items() for x in kv])
        return scored.withColumn("country_name", F.coalesce(mapping[F.col("country")], F.col("country")))

    # ------------------------------------------------------------------ reporting
    def band_summary(self, scored: DataFrame) -> pd.DataFrame:
        pdf = scored.groupBy("segment").agg(F.avg("score").alias("avg_score"), F.count("*").alias("n")).toPandas()
        pdf["band"] = pdf["avg_score"].apply(lambda s: self.bands.band_for(s))
        pdf["share"] = pdf["n"] / pdf["n"].sum()
        return pdf.sort_values("avg_score", ascending=False)

    # ------------------------------------------------------------------ orchestration
    def run(self) -> None:
        events, profiles = self.load()
        active = events.filter(F.col("event_date") >= F.date_sub(F.current_date(), 90)).cache()  # expect: SPK501

        clicks_orders = self.drop_low_scores(self.score_rdd(active))
        scores = clicks_orders.toDF(["customer_id", "score"])

        profiles = profiles.cache()
        scored = scores.repartition(200).join(profiles, "customer_id")  # expect: SPK205
        scored = self.label_countries(self.label_segments(scored))

        unscored = profiles.join(scores, "customer_id", "left_anti").count()
        by_country = profiles.groupBy("country").count().orderBy(F.desc("count")).limit(10).collect()
        logger.info("unscored customers: %d, top countries: %s", unscored, [r["country"] for r in by_country])

        scored.write.mode("overwrite").saveAsTable(self.output_table)
        logger.info("\n%s", self.band_summary(scored).to_string(index=False))
        profiles.unpersist()


def main():
    import sys

    import yaml

    spark = SparkSession.builder.appName("customer-scoring").enableHiveSupport().getOrCreate()
    with open(sys.argv[1]) as fh:
        config = yaml.safe_load(fh)
    CustomerScoringJob(spark, config).run()


if __name__ == "__main__":
    main()
