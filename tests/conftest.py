import os
import random
import sys
from pathlib import Path

import pytest

os.environ["SPARKCOACH_STRICT"] = "1"  # a rule that raises fails the test instead of being skipped
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def spark():
    """One real local SparkSession for the whole test run."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("sparkcoach-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "true")  # on 127.0.0.1 (the bind address): the job capture reads its REST API
        .config("spark.ui.port", str(random.randint(20000, 60000)))  # a random high port; the next free one
        .config("spark.port.maxRetries", "64")  # above it if taken (spark.ui.port=0 is not valid)
        .config("spark.sql.execution.arrow.pyspark.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sc(spark):
    return spark.sparkContext


@pytest.fixture(scope="module")
def ip(spark):
    """A real IPython shell with sparkcoach loaded and ``spark``/``sc`` defined (``_load_output``: what
    ``%load_ext`` printed); unloaded at the end of the module."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.user_ns["spark"] = spark
    shell.user_ns["sc"] = spark.sparkContext
    with capture_output() as out:
        shell.run_cell("%load_ext sparkcoach", store_history=True)
    shell._load_output = out.stdout
    yield shell
    shell.run_cell("%unload_ext sparkcoach")
