"""Measured rewrites: run a cell and its rewrite alternately on the same data and compare.

``model`` holds the records (no pyspark), ``stats`` the verdict, ``sinks`` the
redirection of writes to a no-op sink, ``fingerprint`` the result check, and
``runner`` the measurement itself (the only part that talks to Spark).
"""
