"""Settings from ``[tool.sparkcoach]`` in the nearest ``pyproject.toml``."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    pass


def find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for d in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        p = d / "pyproject.toml"
        if p.is_file():
            return p
    return None


def _codes(value, key: str, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.sparkcoach] {key} must be a list of rule codes")
    return tuple(v.strip().upper() for v in value if v.strip())


def load(start: Path) -> tuple[dict, Path | None]:
    """``({"select": (...), "ignore": (...)}, path)`` from the nearest pyproject.toml (empty if none)."""
    path = find_pyproject(start)
    if path is None:
        return {}, None
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    section = data.get("tool", {}).get("sparkcoach", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.sparkcoach] must be a table")
    out = {}
    for key in ("select", "ignore", "extend-ignore"):
        if key in section:
            out[key] = _codes(section[key], key, path)
    unknown = set(section) - {"select", "ignore", "extend-ignore"}
    if unknown:
        raise ConfigError(f"{path}: unknown [tool.sparkcoach] setting {sorted(unknown)[0]!r}")
    return out, path
