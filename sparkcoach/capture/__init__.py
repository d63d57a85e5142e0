"""What a cell built and ran: DataFrame plans, RDD lineage, Spark jobs.

Only imported by the magics (and tests); importing it never starts a JVM or a job.
"""
