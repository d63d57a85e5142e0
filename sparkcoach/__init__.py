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


def _jupyter_labextension_paths():
    """Where the built JupyterLab extension lives (``jupyter labextension develop`` links it)."""
    return [{"src": "labextension", "dest": "sparkcoach"}]


def _jupyter_server_extension_points():
    """The Jupyter server extension (lint-as-you-type routes) is :mod:`sparkcoach.server`."""
    from .server import _jupyter_server_extension_points

    return _jupyter_server_extension_points()
