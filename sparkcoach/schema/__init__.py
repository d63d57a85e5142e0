"""JSON Schemas shipped with sparkcoach (data files; the JupyterLab extension reads the same files)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

FINDINGS = "findings.schema.json"


@lru_cache(maxsize=None)
def load(name: str = FINDINGS) -> dict:
    """The parsed schema ``name`` (default: the findings report schema)."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
