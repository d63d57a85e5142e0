"""Small syntax-tree helpers shared by rules."""

from __future__ import annotations

import ast
from typing import Iterator

from .dataflow import dotted

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

__all__ = ["FUNCS", "COMPS", "dotted", "names", "walk_scope"]


def names(node: ast.AST) -> set[str]:
    """Every ``Name`` id under ``node`` (loads and stores)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def walk_scope(node: ast.AST, comprehensions: bool = True) -> Iterator[ast.AST]:
    """Nodes under ``node`` that belong to its scope: nested functions and classes (and, with
    ``comprehensions=False``, comprehensions) are yielded but not entered."""
    stop = FUNCS + (ast.ClassDef,) + (() if comprehensions else COMPS)
    stack = list(ast.iter_child_nodes(node))
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, stop):
            continue
        stack.extend(ast.iter_child_nodes(n))
