"""sparkcoach: a Spark optimization coach for notebooks.

Importing this package never imports pyspark.
"""

__version__ = "0.1.0"
