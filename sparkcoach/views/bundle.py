"""The findings report as a MIME bundle, checked against its JSON Schema.

``display(mime_bundle(report), raw=True)`` shows the JupyterLab extension's
view where it is installed, and the static HTML or the text everywhere else.
"""

from __future__ import annotations

from functools import lru_cache

from . import MIME, SEVERITIES
from . import html as _html
from . import text as _text

__all__ = ["MIME", "InvalidReport", "validate", "mime_bundle", "schema"]


class InvalidReport(ValueError):
    """The report does not match ``findings.schema.json`` (or its counts disagree with its findings)."""


def schema() -> dict:
    """The findings report JSON Schema (``sparkcoach/schema/findings.schema.json``); don't mutate it."""
    from ..schema import load

    return load()


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


def validate(report: dict) -> None:
    """Raise :class:`InvalidReport` (a ``ValueError``) unless ``report`` matches the schema and its
    summary counts match its findings' severities."""
    import jsonschema

    errors = list(_validator().iter_errors(report))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        where = "/".join(str(p) for p in best.absolute_path) or "(root)"
        raise InvalidReport(f"invalid sparkcoach report at {where}: {best.message}")
    summary = report["summary"]
    for sev in SEVERITIES:
        n = sum(1 for f in report["findings"] if f["severity"] == sev)
        if summary[sev] != n:
            raise InvalidReport(f"invalid sparkcoach report: summary.{sev} is {summary[sev]} "
                                f"but there are {n} {sev} findings")


def mime_bundle(report: dict, compact: bool = False) -> dict:
    """``{MIME: report, "text/plain": ..., "text/html": ...}`` for ``display(..., raw=True)``;
    validates the report first.  ``compact`` shortens the text and HTML fallbacks (the JSON is whole)."""
    validate(report)
    return {
        MIME: report,
        "text/plain": _text.render(report, compact=compact),
        "text/html": _html.render(report, compact=compact),
    }
