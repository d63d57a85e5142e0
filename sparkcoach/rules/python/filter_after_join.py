"""## What it does
Checks for an RDD `join` followed by a `filter` that tests only one input's values
or only the key.
In `lambda kv: kv[1][0] > 5` the test reads the left values, with `kv[1][1]` the
right ones, with `kv[0]` the key.

## Why is this bad?
An RDD join shuffles every record of both inputs before the filter drops some of
the joined pairs.  A test on one side's values can run on that input before the
join, so the dropped records are never shuffled; Spark cannot move the filter
itself, since RDD functions are opaque to it (DataFrame filters are pushed below
joins by the optimizer and are not reported).

The same holds for the preserved side of a `leftOuterJoin` (left values) or a
`rightOuterJoin` (right values).  A test on the key alone can run on both inputs.

## Example
```python
big_spenders = users.join(orders).filter(lambda kv: kv[1][1] > 100)
```

Use instead:
```python
big_spenders = users.join(orders.filter(lambda kv: kv[1] > 100))
```

## Fix safety
The fix is safe for a lambda applied directly to the join's result
(`a.join(b).filter(lambda kv: ...)`): the test sees the same key and value, now
as `kv[1]` of that input's `(key, value)` pairs, and an inner join (or the
preserved side of an outer join) keeps exactly the pairs whose values pass it.
A filter reached through a variable, or given a named function, is reported
without a fix.
"""

from __future__ import annotations

import ast
import re

from ...engine import values as V
from ...findings import Edit
from ...rules.base import python_rule

# join method -> the sides whose values a filter can be moved to
_JOINS = {"join": ("left", "right"), "leftOuterJoin": ("left",), "rightOuterJoin": ("right",)}
_PRIMARY = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)
_SCOPES = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _short(text: str, limit: int = 48) -> str:
    text = re.sub(r"\s+\.", ".", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _index(node: ast.AST, value: ast.AST) -> int | None:
    """``value[i]`` with a literal int i -> i."""
    if isinstance(node, ast.Subscript) and node.value is value and isinstance(node.slice, ast.Constant) \
            and type(node.slice.value) is int:
        return node.slice.value
    return None


def _binds(node: ast.AST, name: str) -> bool:
    """A nested scope or target that rebinds name."""
    if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
        a = node.args
        return any(x.arg == name for x in a.posonlyargs + a.args + a.kwonlyargs) or \
            any(x is not None and x.arg == name for x in (a.vararg, a.kwarg))
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    return False


def _uses(fn: ast.AST) -> tuple[str, list[tuple[str, ast.Subscript]]] | None:
    """The parameter and how the body uses it: ("key", p[0]), ("left", p[1][0]), ("right", p[1][1]).

    None when the function uses the record any other way (the whole pair, ``p[1]`` alone, ...).
    """
    if not isinstance(fn, (ast.Lambda, ast.FunctionDef)):
        return None
    a = fn.args
    if a.posonlyargs or a.vararg or a.kwarg or a.kwonlyargs or not a.args:
        return None
    if len(a.args) - len(a.defaults) != 1:
        return None  # extra parameters must all have defaults (captured values)
    p = a.args[0].arg
    if isinstance(fn, ast.FunctionDef) and fn.decorator_list:
        return None
    body = [fn.body] if isinstance(fn, ast.Lambda) else fn.body
    uses: list[tuple[str, ast.Subscript]] = []
    ok = True

    def visit(node: ast.AST, parents: tuple) -> None:
        nonlocal ok
        if not ok:
            return
        if node is not fn and _binds(node, p):
            ok = False
            return
        if isinstance(node, ast.Name) and node.id == p:
            parent = parents[-1] if parents else None
            i = _index(parent, node) if parent is not None else None
            if i == 0:
                uses.append(("key", parent))
                return
            if i == 1 and len(parents) > 1:
                j = _index(parents[-2], parent)
                if j in (0, 1):
                    uses.append(("left" if j == 0 else "right", parents[-2]))
                    return
            ok = False
            return
        for child in ast.iter_child_nodes(node):
            visit(child, parents + (node,))

    for stmt in body:
        visit(stmt, ())
    if not ok or not uses:
        return None
    for default in a.defaults:
        if any(isinstance(n, ast.Name) and n.id == p for n in ast.walk(default)):
            return None
    return p, uses


def _rewritten_lambda(fn: ast.Lambda, uses, ctx) -> str:
    """The lambda's own text with each ``p[1][i]`` turned into ``p[1]``."""
    src = ctx.source
    line, col, end_line, end_col = src.span(fn)
    start = src.offset(line, col)
    text = src.text[start: src.offset(end_line, end_col)]
    p = fn.args.args[0].arg
    spans = []
    for side, node in uses:
        if side == "key":
            continue
        l, c, el, ec = src.span(node)
        spans.append((src.offset(l, c) - start, src.offset(el, ec) - start))
    for s, e in sorted(spans, reverse=True):
        text = text[:s] + f"{p}[1]" + text[e:]
    return text


def _join_call(expr: ast.AST) -> ast.Call | None:
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in _JOINS:
        return expr
    return None


def _rdd_join(j: ast.Call, ctx) -> bool:
    """An RDD join: ``a.join(b)`` / ``a.join(b, numPartitions)``, neither side known to be anything else."""
    if not j.args or len(j.args) > 2 or any(isinstance(x, ast.Starred) for x in j.args):
        return False
    if any(k.arg != "numPartitions" for k in j.keywords):
        return False
    lv, rv = ctx.value(j.func.value), ctx.value(j.args[0])
    if any(v is not None and v.kind != V.RDD for v in (lv, rv)):
        return False
    if len(j.args) == 2 and not (isinstance(j.args[1], (ast.Name, ast.Attribute))
                                 or (isinstance(j.args[1], ast.Constant) and type(j.args[1].value) is int)):
        return False  # DataFrame.join(other, "key") and the like
    return lv is not None or rv is not None or ctx.spark_aware


def _position(src, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    start = 0
    for i, text in enumerate(src.lines, 1):
        if start + len(text) > offset:
            return i, offset - start + 1
        start += len(text)
    return len(src.lines), len(src.lines[-1]) + 1 if src.lines else 1


def _delete_filter(node: ast.Call, j: ast.Call, ctx) -> Edit | None:
    """Remove the ``.filter(...)`` that follows the join call."""
    src = ctx.source
    _, _, jl, jc = src.span(j)
    _, _, el, ec = src.span(node)
    line, col, _, _ = src.attr_span(node.func)
    between = src.between(jl, jc, line, col)  # from the end of the join to the method name
    dot = between.rstrip(" \t\\\r\n").rfind(".")
    if dot < 0 or between[dot + 1:].strip(" \t\\\r\n"):
        return None
    if not between[:dot].strip(" \t\\\r\n"):
        return Edit(jl, jc, el, ec, "")  # only whitespace between: `.join(b)` then `.filter(...)`
    # a comment or the join's own closing parenthesis in between: remove from the dot on
    dl, dc = _position(src, src.offset(jl, jc) + dot)
    return Edit(dl, dc, el, ec, "")


@python_rule("SPK303", "filter-after-join", "warning", ast.Call)
def filter_after_join(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute) or f.attr != "filter" or len(node.args) != 1 or node.keywords:
        return
    recv = f.value
    j = _join_call(recv)
    via = None
    if j is None:
        if not isinstance(recv, ast.Name):
            return
        v = ctx.value(recv)
        if v is None or v.kind != V.RDD or v.cached is not None:
            return
        j = _join_call(v.node)
        if j is None:
            return
        via = recv.id
    if not _rdd_join(j, ctx):
        return
    fn_arg = node.args[0]
    fn = fn_arg if isinstance(fn_arg, ast.Lambda) else ctx.function_of(fn_arg)
    found = _uses(fn) if fn is not None else None
    if found is None:
        return
    p, uses = found
    kinds = {k for k, _ in uses}
    sides = kinds - {"key"}
    if len(sides) > 1:
        return  # tests both sides: it has to run after the join
    allowed = _JOINS[j.func.attr]
    a, b = j.func.value, j.args[0]
    a_s, b_s = _short(ctx.segment(a), 32), _short(ctx.segment(b), 32)
    if not isinstance(a, _PRIMARY):
        a_s = f"({a_s})"
    if not isinstance(b, _PRIMARY):
        b_s = f"({b_s})"
    join_text = f"`{a_s}.{j.func.attr}({b_s})`"
    if via is not None:
        join_text = f"`{via}` (`{a_s}.{j.func.attr}({b_s})`)"
    if not sides:
        if j.func.attr != "join":
            return
        tested = _short(ctx.segment(fn_arg), 40)
        both = f"{a_s}.filter({tested}).join({b_s}.filter({tested}))"
        msg = (f"{join_text} shuffles every record before this filter keeps only some keys; `{tested}` "
               f"reads only the key, so it can filter both inputs before the join: `{both}`")
        _report(node, msg, None, via, ctx)
        return
    side = next(iter(sides))
    if side not in allowed:
        return
    target, target_s = (a, a_s) if side == "left" else (b, b_s)
    what = "left" if side == "left" else "right"
    if isinstance(fn_arg, ast.Lambda):
        new_fn = _rewritten_lambda(fn_arg, uses, ctx)
    else:
        new_fn = None
    hint = ""
    if new_fn is not None:
        pushed = f"{target_s}.filter({_short(new_fn, 60)})"
    else:
        pushed = f"{target_s}.filter(...)"
        index = "0" if side == "left" else "1"
        name = getattr(fn, "name", "the function")
        hint = f" (with `{name}` testing `{p}[1]` instead of `{p}[1][{index}]`)"
    if side == "left":
        rewrite = f"{pushed}.{j.func.attr}({b_s})"
    else:
        rewrite = f"{a_s}.{j.func.attr}({pushed})"
    msg = (f"{join_text} shuffles every record before this filter drops pairs by their {what} values "
           f"alone; filter `{target_s}` before the join: `{rewrite}`{hint}")
    fix = None
    if via is None and new_fn is not None:  # (a multi-line lambda stays inside the new call's parentheses)
        fix = _fix(node, j, target, new_fn, ctx)
    _report(node, msg, fix, via, ctx)


def _fix(node: ast.Call, j: ast.Call, target: ast.AST, new_fn: str, ctx):
    src = ctx.source
    delete = _delete_filter(node, j, ctx)
    if delete is None:
        return None
    text = ctx.segment(target)
    if isinstance(target, _PRIMARY):
        _, _, tl, tc = src.span(target)
        insert = Edit(tl, tc, tl, tc, f".filter({new_fn})")
    else:
        insert = src.replace(target, f"({text}).filter({new_fn})")
    return ctx.fix(f"Filter `{_short(text, 32)}` before the join", [insert, delete], safe=True)


def _report(node: ast.Call, msg: str, fix, via: str | None, ctx) -> None:
    span = ctx.source.method_span(node)
    if via is None:
        ctx.report(span, msg, fix=fix)
        return
    # Through a variable: when the joined RDD is used for nothing else, or is not cached
    # (then every use recomputes the join anyway, so filtering one input first only helps).
    binds = ctx.state.binds.get(via, [])
    if not binds:
        return
    bound_at, unit = binds[-1], ctx.unit
    value = ctx.lookup(via)
    cached_at_bind = value is not None and value.cached is not None

    def later() -> None:
        loads = [l for l in ctx.loads_after(via, bound_at)
                 if not any(b > bound_at and b < l.seq for b in ctx.state.binds.get(via, []))]
        cached = cached_at_bind or any(
            isinstance(ctx.parent(l.node), ast.Attribute)
            and ctx.parent(l.node).attr in ("cache", "persist", "checkpoint", "localCheckpoint")
            for l in loads)
        if len(loads) == 1 or (loads and not cached):
            ctx.report(span, msg, unit=unit)

    ctx.on_finish(later)
