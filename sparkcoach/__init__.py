"""sparkcoach: a Spark optimization coach for notebooks.

``%load_ext sparkcoach`` registers the magics.  Importing this package never imports pyspark.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython):
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython):
    from .magics import unload

    unload(ipython)
