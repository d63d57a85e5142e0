"""The static engine: Python source, notebooks and SQL strings in, findings out.

Importing the engine never imports pyspark.
"""
