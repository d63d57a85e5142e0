"""The Jupyter server extension: lint-as-you-type routes under ``{base_url}sparkcoach/``.

``POST sparkcoach/lint`` lints a notebook's code cells with the static engine and
``GET sparkcoach/rules`` lists the rules (see :mod:`sparkcoach.server.handlers`).  The
routes never touch a kernel, so they answer while a kernel is busy with a long Spark job.
Importing this package is cheap: jupyter_server is imported only when the server loads it.
"""


def _jupyter_server_extension_points():
    return [{"module": "sparkcoach.server"}]


def _load_jupyter_server_extension(serverapp):
    """Register the routes on a running server (called by jupyter_server)."""
    from jupyter_server.utils import url_path_join

    from .handlers import LintHandler, RulesHandler

    base = url_path_join(serverapp.web_app.settings["base_url"], "sparkcoach")
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "lint"), LintHandler),
        (url_path_join(base, "rules"), RulesHandler),
    ])
    serverapp.log.info("sparkcoach: lint routes at %s", base)
