"""HTTP handlers for the lint routes, behind the Jupyter server's token, cookie and XSRF checks.

The work (parsing the body, linting) runs on one worker thread, off the server's event
loop: the server keeps answering other requests while a large notebook is linted.  One
thread is enough because the engine is CPU-bound under the GIL; more would not lint faster.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from .lint import MAX_BODY_BYTES, BadRequest, lint_body, rules

_executor: ThreadPoolExecutor | None = None


def _off_loop(fn, *args):
    """Run ``fn(*args)`` on the lint thread; await the result."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sparkcoach-lint")
    return IOLoop.current().run_in_executor(_executor, fn, *args)


class _Handler(APIHandler):
    def _error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": " ".join(message.split())}))

    async def _answer(self, fn, *args) -> None:
        try:
            result = await _off_loop(fn, *args)
        except BadRequest as exc:
            return self._error(400, str(exc))
        except Exception as exc:  # a bug in a rule or the engine: one line to the client, the traceback to the log
            self.log.exception("sparkcoach: %s failed", self.request.path)
            return self._error(500, f"sparkcoach failed: {type(exc).__name__}: {str(exc)[:300]}")
        self.finish(json.dumps(result))


class LintHandler(_Handler):
    """``POST sparkcoach/lint``: the static findings of a notebook's code cells."""

    @web.authenticated
    async def post(self) -> None:
        ctype = self.request.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            return self._error(415, f"Content-Type must be application/json, got {ctype or 'none'}")
        size = len(self.request.body)
        if size > MAX_BODY_BYTES:
            return self._error(413, f"body too large: {size} bytes (at most {MAX_BODY_BYTES})")
        await self._answer(lint_body, self.request.body)


class RulesHandler(_Handler):
    """``GET sparkcoach/rules``: every rule's code, name, severity, kind and summary."""

    @web.authenticated
    async def get(self) -> None:
        await self._answer(rules)
