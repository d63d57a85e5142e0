"""SQL strings given to ``spark.sql(...)``: parsed with sqlglot's Spark dialect, one walk, SQL rules.

The Python walk calls :func:`lint_call` for every ``<recv>.sql(<str or f-string>, ...)``.
Here the receiver is checked to be a SparkSession, the SQL text is rebuilt from
the literal (an f-string's ``{expr}`` fields become stand-in identifiers such as
``__sc_0__``; inside quotes they stay strings), parsed once, and every node of
the tree is dispatched to the SQL rules whose targets name its class.

Rules receive a :class:`SqlContext`: ``report(message, fix=None)`` reports at the
string literal, ``show(...)`` renders SQL for messages with the user's ``{expr}``
fields put back, and ``span_of`` / ``query_group`` / ``edit`` turn a piece of the
parsed SQL back into an :class:`~sparkcoach.findings.Edit` of the Python source,
so a fix rewrites only the characters the user wrote for that piece.

sqlglot is imported here, lazily, and never by the rule registry.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..findings import Edit, Fix
from . import values as V

STAND_IN = "__sc_{}__"
_STAND_IN = re.compile(r"__sc_(\d+)__")
# Receivers that are a SparkSession by convention when the code mentions Spark.
_SESSION_NAME = re.compile(
    r"^_*(spark|spark_?sess(ion)?|\w+_spark|spark_\w*_?session|\w*_spark_session|ss|"
    r"sql_?context|sqlctx|sql_ctx|hive_?context|hive_?ctx)$",
    re.I,
)
_SESSION_CALLS = {"getOrCreate", "getActiveSession", "active", "newSession"}
# ``spark.sql("... {df} ...", df=df)``: Spark formats keyword arguments into the text.
_KWARG_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_SQL = 200_000
# Tokens an expression never starts with (prunes span_of's search).
_NO_START = {"AND", "OR", "WHERE", "ON", "COMMA", "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "R_PAREN", "FROM",
             "SELECT", "JOIN", "GROUP_BY", "ORDER_BY", "HAVING", "LIMIT", "ALIAS", "DOT", "SEMICOLON", "PLUS",
             "SLASH", "THEN", "ELSE", "END", "WHEN", "USING", "BETWEEN", "IN", "IS", "LIKE"}


# ---------------------------------------------------------------------------- entry point
def lint_call(call: ast.Call, ctx, rules) -> None:
    if not rules:
        return
    if not _is_session(call.func.value, ctx):  # type: ignore[attr-defined]
        return
    node = _unwrap(call.args[0], ctx)
    if isinstance(node, ast.Name):
        # query = """SELECT ..."""; spark.sql(query): the literal, when this source defines it
        v = ctx.value(node)
        if v is None or v.kind != V.LOCAL or not isinstance(v.node, (ast.Constant, ast.JoinedStr)):
            return
        if isinstance(v.node, ast.Constant) and not isinstance(v.node.value, str):
            return
        if not ctx.in_current_unit(v.node):
            return
        node = v.node
    lit = _literal(node, call, ctx)
    if lit is None or not lit.text.strip() or len(lit.text) > _MAX_SQL:
        return
    if not any(_may_apply(rule, lit.text) for rule in rules):
        return  # no rule could say anything: skip the parse (and importing sqlglot)
    root = _parse(lit.text)
    if root is None or _placeholder_as_alias(root):
        return
    sctx = SqlContext(ctx, call, node, root, lit)
    table = _dispatch(tuple(rules))
    hook = ctx.rule
    guard = getattr(ctx, "_guard", None)
    try:
        for n in root.walk(bfs=False):
            found = table.get(type(n))
            if found is None:
                found = table[type(n)] = _rules_for(type(n), rules)
            for rule in found:
                ctx.rule = sctx.rule = rule
                if guard is not None:
                    guard(rule.check, n, sctx)
                else:
                    rule.check(n, sctx)
    finally:
        ctx.rule = hook


# Text a query must contain for a rule to have anything to say, checked before parsing.
# Each is deliberately loose (a match only means "parse and look"); a rule without an
# entry always looks.
_PRECHECK = {
    "SPK601": re.compile(r"\*[\s\S]*(\bjoin\b|,)|(\bjoin\b|,)[\s\S]*\*", re.I),
    "SPK602": re.compile(r"\border\s+by\b", re.I),
    "SPK603": None,  # see _may_cross_join
    "SPK604": re.compile(r"\bnot\b[\s\S]*\bin\s*\(", re.I),  # also NOT (x IN (SELECT ...))
    "SPK605": re.compile(r"\b(where|on)\b[\s\S]*\(", re.I),
}


_JOIN = re.compile(r"\bjoin\b", re.I)
_JOIN_CONDITION = re.compile(r"\b(on|using)\b", re.I)
_CROSS_HINTS = re.compile(r"\bcross\s+join\b|\bon\s+(true|1\s*=\s*1)\b|\bfrom\b[\s\S]*,", re.I)


def _may_cross_join(text: str) -> bool:
    """CROSS JOIN, a JOIN short of an ON/USING, a trivial ON, or a comma after FROM."""
    return bool(_CROSS_HINTS.search(text)) or len(_JOIN.findall(text)) > len(_JOIN_CONDITION.findall(text))


def _may_apply(rule, text: str) -> bool:
    if rule.code == "SPK603":
        return _may_cross_join(text)
    check = _PRECHECK.get(rule.code)
    return check is None or check.search(text) is not None


_DISPATCH: dict[tuple, dict] = {}


def _dispatch(rules: tuple) -> dict:
    """Per rule set, a cache: sqlglot class -> the rules targeting it (by class name, MRO included)."""
    table = _DISPATCH.get(rules)
    if table is None:
        table = _DISPATCH[rules] = {}
    return table


def _rules_for(cls: type, rules) -> tuple:
    names = {c.__name__ for c in cls.__mro__}
    return tuple(r for r in rules if any(t in names for t in r.targets))


def _unwrap(node: ast.AST, ctx) -> ast.AST:
    """``dedent(f\"\"\"...\"\"\")``, ``textwrap.dedent(q)``, ``"...".strip()``: the string inside
    (these change only white space, which SQL ignores)."""
    for _ in range(3):
        if not isinstance(node, ast.Call) or node.keywords:
            break
        f = node.func
        if (len(node.args) == 1 and isinstance(f, (ast.Name, ast.Attribute))
                and (ctx.qualname(f) or "") in ("textwrap.dedent", "inspect.cleandoc")):
            node = node.args[0]
        elif isinstance(f, ast.Attribute) and f.attr in ("strip", "lstrip", "rstrip") and not node.args:
            node = f.value
        else:
            break
    return node


# ---------------------------------------------------------------------------- receiver
def _is_session(recv: ast.AST, ctx) -> bool:
    v = ctx.value(recv)
    if v is not None:
        return v.kind == V.SESSION
    if not ctx.spark_aware:
        return False
    if isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute):
        # SparkSession.getActiveSession().sql(...), SparkSession.active().sql(...)
        if recv.func.attr in _SESSION_CALLS:
            root = recv.func.value
            while isinstance(root, (ast.Attribute, ast.Call)):
                root = root.value if isinstance(root, ast.Attribute) else root.func
            return isinstance(root, ast.Name) and (ctx.qualname(root) or root.id).endswith("SparkSession")
        return False
    if isinstance(recv, ast.Name):
        name = recv.id
    elif isinstance(recv, ast.Attribute):
        name = recv.attr
    else:
        return False
    return bool(_SESSION_NAME.match(name))


# ---------------------------------------------------------------------------- the literal
@dataclass
class _Char:
    src: int  # absolute offset of the source character(s) this text character came from
    src_end: int
    piece: int  # index of the string piece (implicit concatenation)
    exact: bool  # one source character written as is (not an escape sequence or a field)
    field: str | None = None  # the stand-in this character belongs to (an f-string field, a {name})


@dataclass
class _Piece:
    raw: bool
    fstring: bool
    quote: str


@dataclass
class _Literal:
    text: str
    placeholders: dict  # stand-in -> the Python source of the field (``{expr}``)
    chars: list | None  # per text character, where it came from; None: no mapping
    pieces: list
    kw_fields: set = None  # type: ignore[assignment]  # stand-ins for ``{name}`` formatted from keywords


def _literal(node: ast.AST, call: ast.Call, ctx) -> _Literal | None:
    """The SQL text of the first argument, with stand-ins for f-string fields."""
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return None
        expected, placeholders = node.value, {}
    elif isinstance(node, ast.JoinedStr):
        parts, placeholders = [], {}
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                k = STAND_IN.format(len(placeholders))
                placeholders[k] = "{" + ctx.segment(v.value) + "}"
                parts.append(k)
        expected = "".join(parts)
    else:
        return None
    src = ctx.source
    line, col, end_line, end_col = src.span(node)
    start = src.offset(line, col)
    segment = src.text[start : src.offset(end_line, end_col)]
    scanned = _scan(segment, start)
    if scanned is not None and scanned[0] == expected:
        text, chars, pieces, fields = scanned
        lit = _Literal(text, {STAND_IN.format(i): f for i, f in enumerate(fields)}, chars, pieces)
    else:  # could not follow the source text: lint without a mapping (no fixes)
        lit = _Literal(expected, placeholders, None, [])
    if isinstance(node, ast.Constant) and any(k.arg not in ("args", None) for k in call.keywords):
        _kwarg_fields(lit)
    return lit


def _kwarg_fields(lit: _Literal) -> None:
    """``spark.sql("SELECT * FROM {df}", df=df)``: Spark formats the keywords into the text."""
    out: list[str] = []
    chars: list | None = [] if lit.chars is not None else None
    last = 0
    for m in _KWARG_FIELD.finditer(lit.text):
        k = STAND_IN.format(len(lit.placeholders))
        lit.placeholders[k] = m.group(0)
        lit.kw_fields = (lit.kw_fields or set()) | {k}
        out.append(lit.text[last : m.start()])
        out.append(k)
        if chars is not None:
            a, b = lit.chars[m.start()], lit.chars[m.end() - 1]  # type: ignore[index]
            chars.extend(lit.chars[last : m.start()])  # type: ignore[index]
            if a.piece != b.piece:
                chars = None
            else:
                chars.extend([_Char(a.src, b.src_end, a.piece, False, k)] * len(k))
        last = m.end()
    if not out:
        return
    out.append(lit.text[last:])
    if chars is not None:
        chars.extend(lit.chars[last:])  # type: ignore[index]
    lit.text = "".join(out)
    lit.chars = chars


_SIMPLE_ESCAPES = set("\n\\'\"abfnrtv")


def _scan(seg: str, base: int):
    """Follow a (possibly implicitly concatenated, possibly f-) string literal's source.

    Returns (text, chars, pieces, fields) or None when the source is not understood.
    """
    text: list[str] = []
    chars: list = []
    pieces: list[_Piece] = []
    fields: list[str] = []
    i, n = 0, len(seg)
    while i < n:
        c = seg[i]
        if c in " \t\r\n\f\\":
            i += 1
            continue
        if c == "#":
            j = seg.find("\n", i)
            i = n if j < 0 else j
            continue
        j = i
        while j < n and seg[j].isalpha():
            j += 1
        prefix = seg[i:j].lower()
        if set(prefix) - set("rfu") or j >= n or seg[j] not in "'\"":
            return None
        quote = seg[j : j + 3] if seg[j : j + 3] in ("'''", '"""') else seg[j]
        raw, fstr = "r" in prefix, "f" in prefix
        piece = len(pieces)
        pieces.append(_Piece(raw, fstr, quote))
        i = j + len(quote)
        while True:
            if i >= n:
                return None
            if seg.startswith(quote, i):
                i += len(quote)
                break
            c = seg[i]
            if fstr and c in "{}":
                if seg.startswith(c * 2, i):
                    text.append(c)
                    chars.append(_Char(base + i, base + i + 2, piece, False))
                    i += 2
                    continue
                if c == "}":
                    return None
                end = _field_end(seg, i)
                if end is None:
                    return None
                k = STAND_IN.format(len(fields))
                fields.append(seg[i:end])
                text.append(k)
                chars.extend([_Char(base + i, base + end, piece, False, k)] * len(k))
                i = end
                continue
            if c == "\\":
                if raw:
                    if i + 1 < n:  # a raw string keeps both characters
                        text.append("\\")
                        chars.append(_Char(base + i, base + i + 1, piece, True))
                        i += 1
                        text.append(seg[i])
                        chars.append(_Char(base + i, base + i + 1, piece, True))
                        i += 1
                        continue
                    return None
                end = _escape_end(seg, i)
                if end is None:
                    return None
                try:
                    value = ast.literal_eval('"' + seg[i:end] + '"') if seg[i + 1] != "\n" else ""
                except (ValueError, SyntaxError):
                    return None
                for ch in value:
                    text.append(ch)
                    chars.append(_Char(base + i, base + end, piece, False))
                i = end
                continue
            text.append(c)
            chars.append(_Char(base + i, base + i + 1, piece, True))
            i += 1
    return "".join(text), chars, pieces, fields


def _escape_end(seg: str, i: int) -> int | None:
    if i + 1 >= len(seg):
        return None
    c = seg[i + 1]
    if c in _SIMPLE_ESCAPES or c == "\n":
        return i + 2
    if c in "01234567":
        j = i + 1
        while j < len(seg) and j < i + 4 and seg[j] in "01234567":
            j += 1
        return j
    width = {"x": 2, "u": 4, "U": 8}.get(c)
    if width:
        return i + 2 + width
    if c == "N":
        j = seg.find("}", i)
        return j + 1 if j > 0 else None
    return i + 2  # an unknown escape keeps the backslash: "\d" is two characters


def _field_end(seg: str, i: int) -> int | None:
    """End of an f-string replacement field starting at ``{``: nested brackets and strings skipped."""
    depth, j, n = 0, i, len(seg)
    while j < n:
        c = seg[j]
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return j + 1
        elif c in "'\"":
            q = seg[j : j + 3] if seg[j : j + 3] in ("'''", '"""') else c
            k = seg.find(q, j + len(q))
            if k < 0:
                return None
            j = k + len(q)
            continue
        j += 1
    return None


# ---------------------------------------------------------------------------- parsing
def _parse(text: str):
    import logging

    log = logging.getLogger("sqlglot")
    level = log.level
    log.setLevel(logging.CRITICAL)  # "unsupported syntax, falling back to Command" is not for our users
    try:
        import sqlglot

        trees = [t for t in sqlglot.parse(text, read="spark") if t is not None]
    except Exception:  # sqlglot cannot read it: not ours to judge
        return None
    finally:
        log.setLevel(level)
    if len(trees) != 1:
        return None
    return trees[0]


def _placeholder_as_alias(root) -> bool:
    """A field parsed as an alias (``FROM a JOIN b {on_clause}``) is a clause we cannot see."""
    from sqlglot import exp

    for a in root.find_all(exp.TableAlias, exp.Alias):
        ident = a.args.get("alias") if isinstance(a, exp.Alias) else a.this
        if ident is not None and _STAND_IN.search(getattr(ident, "name", "") or ""):
            return True
    return False


def parse_expression(text: str):
    """Parse a standalone SQL expression or query (Spark dialect); None when it does not parse."""
    return _parse(text)


# ---------------------------------------------------------------------------- rule context
class SqlContext:
    """What a SQL rule gets: the tree, the text, and ways to report and to build fixes."""

    def __init__(self, py, call: ast.Call, string: ast.AST, root, lit: _Literal):
        from sqlglot import exp

        self.exp = exp
        self.py = py  # the Python Analyzer
        self.call = call
        self.string = string
        self.root = root
        self.text = lit.text
        self.placeholders = lit.placeholders
        self.rule = None
        self._lit = lit
        self._tokens = None

    # -- reporting ----------------------------------------------------------
    def report(self, message: str, fix: Fix | None = None) -> None:
        self.py.rule = self.rule
        self.py.report(self.string, message, fix)

    def fix(self, description: str, edits, safe: bool = True) -> Fix | None:
        edits = [e for e in edits]
        if not edits or any(e is None for e in edits):
            return None
        return self.py.fix(description, edits, safe=safe)

    # -- rendering ----------------------------------------------------------
    def sql(self, node) -> str:
        """Spark SQL for a node, stand-ins left in."""
        return node.sql(dialect="spark")

    def show(self, node_or_text, limit: int = 90) -> str:
        """The SQL for a message: the user's own text when found, ``{expr}`` fields put back, shortened."""
        if isinstance(node_or_text, str):
            text = node_or_text
        else:
            span = self.span_of(node_or_text)
            text = self.text[span[0] : span[1]] if span else self.sql(node_or_text)
        text = " ".join(text.split())
        text = _STAND_IN.sub(lambda m: self._field(m.group(0)), text)
        if len(text) > limit:
            text = text[: limit - 3].rstrip() + "..."
        return text

    def _field(self, stand_in: str) -> str:
        f = self.placeholders.get(stand_in)
        if f is None:
            return stand_in
        return f if f.startswith("{") else "{" + f + "}"

    def is_placeholder(self, node) -> bool:
        """A name that is exactly an f-string field (``{table}``), or a string literal holding one."""
        if not self.placeholders:
            return False
        exp = self.exp
        if isinstance(node, exp.Literal):
            return node.is_string and bool(_STAND_IN.search(str(node.this)))
        if isinstance(node, (exp.Column, exp.Identifier, exp.Table, exp.Var)):
            return bool(_STAND_IN.fullmatch(node.name or ""))
        return False

    def has_placeholder(self, node) -> bool:
        return bool(self.placeholders) and bool(_STAND_IN.search(self.sql(node)))

    # -- positions ------------------------------------------------------------
    @property
    def tokens(self) -> list:
        """sqlglot tokens of the text (``start``/``end`` inclusive offsets)."""
        if self._tokens is None:
            try:
                from sqlglot.dialects.dialect import Dialect

                self._tokens = list(Dialect.get_or_raise("spark").tokenize(self.text))
            except Exception:
                self._tokens = []
        return self._tokens

    def span_of(self, node) -> tuple[int, int] | None:
        """(start, end) of the text the user wrote for an expression node, when it can be told.

        A window of tokens qualifies if it parses, on its own, to a node equal to
        ``node``; ambiguous cases (equal nodes written twice) give None.
        """
        key = id(node)
        spans = self.__dict__.setdefault("_spans", {})
        if key not in spans:
            spans[key] = (node, self._span_of(node))  # keep node alive: ids stay unique
        return spans[key][1]

    def _span_of(self, node) -> tuple[int, int] | None:
        exp = self.exp
        if isinstance(node, (exp.Query, exp.Subquery)):
            return None
        same = [n for n in self.root.find_all(type(node)) if n == node]
        if len(same) != 1:
            return None
        toks = self.tokens
        if not toks:
            return None
        names = {i.name.lower() for i in node.find_all(exp.Identifier) if i.name}
        try:
            k = len(_rendered_tokens(self.sql(node)))
        except Exception:
            return None
        lo, hi = max(1, k // 2 - 2), 2 * k + 8
        found = []
        paren = {"L_PAREN": 1, "R_PAREN": -1}
        best = None
        for i in range(len(toks)):
            if toks[i].token_type.name in _NO_START:
                continue
            depth = 0
            seen: set[str] = set()
            for j in range(i, min(len(toks), i + hi)):
                t = toks[j]
                tt = t.token_type.name
                depth += paren.get(tt, 0)
                if depth < 0:
                    break
                if tt in ("VAR", "IDENTIFIER") or t.text.lower() in names:
                    seen.add(t.text.lower())
                if depth or j - i + 1 < lo or not names <= seen:
                    continue
                frag = self.text[toks[i].start : t.end + 1]
                parsed = _parse_fragment(frag)
                if parsed is not None and parsed == node:
                    best = (toks[i].start, t.end + 1)
                    # ``current_date`` also parses as ``current_date()``: take the call's parentheses too
                    if j + 1 >= len(toks) or toks[j + 1].token_type.name not in ("L_PAREN", "DOT"):
                        break
            if best is not None:
                found.append(best)
                best = None
        return found[0] if len(found) == 1 else None

    def query_group(self, query) -> tuple[int, int] | None:
        """Offsets of the ``(`` and ``)`` around a subquery or CTE body equal to ``query``."""
        toks = self.tokens
        same = [n for n in self.root.find_all(type(query)) if n == query]
        if len(same) != 1 or not toks:
            return None
        stack, found = [], []
        for idx, t in enumerate(toks):
            tt = t.token_type.name
            if tt == "L_PAREN":
                stack.append(idx)
            elif tt == "R_PAREN" and stack:
                o = stack.pop()
                if o + 1 < idx and toks[o + 1].token_type.name in ("SELECT", "WITH", "L_PAREN", "FROM"):
                    inner = self.text[toks[o].end + 1 : t.start]
                    parsed = _parse_fragment(inner)
                    if parsed is not None and parsed == query:
                        found.append((toks[o].start, t.start))
        return found[0] if len(found) == 1 else None

    def token_index(self, offset: int) -> int | None:
        for i, t in enumerate(self.tokens):
            if t.start == offset:
                return i
        return None

    # -- edits ----------------------------------------------------------------
    def edit(self, start: int, end: int, replacement: str) -> Edit | None:
        """An Edit of the Python source replacing SQL text[start:end], or None when that cannot be done
        faithfully (the range covers an f-string field, spans two string pieces, or the
        replacement cannot be written in that literal)."""
        chars = self._lit.chars
        if chars is None or start < 0 or end > len(chars) or start > end:
            return None
        if start == end:
            if start < len(chars) and chars[start].field is None:
                lo = hi = chars[start].src
                piece = chars[start].piece
            elif start > 0 and chars[start - 1].field is None:
                lo = hi = chars[start - 1].src_end
                piece = chars[start - 1].piece
            else:
                return None
        else:
            span = chars[start:end]
            if len({c.piece for c in span}) != 1:
                return None
            lo, hi, piece = span[0].src, span[-1].src_end, span[0].piece
            # a range cutting an escape sequence or a field in two cannot be expressed
            if start > 0 and chars[start - 1].src == lo:
                return None
            if end < len(chars) and chars[end].src == span[-1].src:
                return None
            # fields inside the range must survive in the replacement
            if any(c.field and c.field not in replacement for c in span):
                return None
        text = self._write(replacement, self._lit.pieces[piece])
        if text is None:
            return None
        return Edit(*self._pos(lo), *self._pos(hi), text)

    def _write(self, replacement: str, piece: _Piece) -> str | None:
        """The replacement as source text of the piece; stand-ins become the user's fields again."""
        parts = _STAND_IN.split(replacement)
        out = []
        kw = self._lit.kw_fields or set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                esc = _escape_for(part, piece)
                if esc is None:
                    return None
                out.append(esc)
                continue
            key = STAND_IN.format(part)
            field = self.placeholders.get(key)
            if field is None or piece.fstring == (key in kw):
                return None  # an f-string field outside an f-string, or a {name} inside one
            out.append(field)
        return "".join(out)

    def rewrite(self, start: int, end: int, replacement: str, expected=None) -> Edit | None:
        """:meth:`edit`, once the new SQL text is known to parse to one statement (equal to
        ``expected``, up to how ANDs are grouped, when given)."""
        parsed = _parse(self.text[:start] + replacement + self.text[end:])
        if parsed is None:
            return None
        if expected is not None and canonical(parsed) != canonical(expected):
            return None
        return self.edit(start, end, replacement)

    def replaced(self, node, new):
        """A copy of the whole tree with ``node`` replaced by ``new`` (None: removed)."""
        root = self.root.copy()
        target = follow(root, path_to(node))
        if target is None:
            return None
        if target is root:
            return new
        if new is None:
            target.pop()
        else:
            target.replace(new)
        return root

    def _pos(self, offset: int) -> tuple[int, int]:
        return self.py.source.position(offset)


def _escape_for(text: str, piece: _Piece) -> str | None:
    """``text`` written inside the string piece, or None when it cannot be."""
    if "\n" in text and len(piece.quote) == 1:
        return None
    if piece.fstring:
        text = text.replace("{", "{{").replace("}", "}}")
    q = piece.quote[0]
    if piece.raw:
        return None if "\\" in text or q in text else text
    text = text.replace("\\", "\\\\")
    if q in text:
        text = text.replace(q, "\\" + q)
    return text


def _rendered_tokens(sql: str) -> list:
    from sqlglot.dialects.dialect import Dialect

    return list(Dialect.get_or_raise("spark").tokenize(sql))


_FRAGMENTS: dict[str, object] = {}


def _parse_fragment(text: str):
    if text in _FRAGMENTS:
        return _FRAGMENTS[text]
    if len(_FRAGMENTS) > 4096:
        _FRAGMENTS.clear()
    _FRAGMENTS[text] = tree = _parse(text)
    return tree


# ---------------------------------------------------------------------------- helpers for rules
def arg(node, name: str):
    """``node.args[name]``, also under sqlglot's newer trailing-underscore keys (``from_``, ``with_``)."""
    v = node.args.get(name)
    if v is None:
        v = node.args.get(name + "_")
    return v


def sources(select) -> list:
    """The FROM item and each JOIN's item of a SELECT, in order: [(item, join or None)]."""
    out = []
    f = arg(select, "from")
    if f is not None and f.this is not None:
        out.append((f.this, None))
        for extra in f.expressions or ():  # older sqlglot: FROM a, b kept in From.expressions
            out.append((extra, None))
    for j in select.args.get("joins") or ():
        out.append((j.this, j))
    return out


def source_name(src) -> str | None:
    """The name a FROM item is referred to by: its alias, or the table's own name."""
    from sqlglot import exp

    alias = src.alias if hasattr(src, "alias") else ""
    if alias:
        return alias
    if isinstance(src, exp.Table) and isinstance(src.this, exp.Identifier):
        return src.name
    return None


def source_label(src, ctx) -> str:
    """How a message names a FROM item: ``sales.orders o``, ``{table} t``, ``(subquery) s``."""
    from sqlglot import exp

    if isinstance(src, exp.Table) and isinstance(src.this, exp.Identifier):
        text = ".".join(p.name for p in src.parts)
        if src.alias and src.alias != src.name:
            text += f" {src.alias}"
        return ctx.show(text)
    name = source_name(src)
    return ctx.show(f"(subquery) {name}" if name else "(subquery)")


def ctes(root) -> dict:
    """CTE name (lower case) -> its query, for every WITH in the statement."""
    from sqlglot import exp

    out = {}
    for cte in root.find_all(exp.CTE):
        if cte.alias:
            out.setdefault(cte.alias.lower(), cte.this)
    return out


def cte_of(src, cte_map: dict):
    """The CTE body a FROM item names, if it names one."""
    from sqlglot import exp

    if isinstance(src, exp.Table) and not src.args.get("db") and isinstance(src.this, exp.Identifier):
        return cte_map.get(src.name.lower())
    return None


def body(src, cte_map: dict):
    """The query behind a FROM item: a subquery's, a CTE's, or None for a table."""
    from sqlglot import exp

    if isinstance(src, exp.Subquery):
        inner = src.this
        while isinstance(inner, exp.Subquery):
            inner = inner.this
        return inner
    return cte_of(src, cte_map)


GENERATORS = {"explode", "explode_outer", "posexplode", "posexplode_outer", "inline", "inline_outer",
              "range", "sequence", "stack"}


def is_aggregate(node) -> bool:
    from sqlglot import exp

    return isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window)


def has_aggregate(select) -> bool:
    """Aggregate functions in the SELECT list (outside windows and nested subqueries)."""
    from sqlglot import exp

    for e in select.expressions:
        for n in e.walk(prune=lambda x: isinstance(x, (exp.Subquery, exp.Select, exp.Window))):
            if isinstance(n, exp.AggFunc):
                return True
    return False


def _literal_only(node) -> bool:
    from sqlglot import exp

    return not any(isinstance(n, (exp.Column, exp.Select, exp.Subquery)) for n in node.walk())


def small_source(src, cte_map: dict, depth: int = 0) -> bool:
    """A FROM item known to hold one row or a literal handful: VALUES, a global aggregate,
    ``SELECT <literals>``, ``LIMIT 1``, a literal generator (``range(10)``, ``explode(sequence(...))``)."""
    from sqlglot import exp

    if depth > 8:
        return False
    if isinstance(src, (exp.Values, exp.Lateral, exp.Unnest)):
        return True
    if isinstance(src, exp.Table) and not isinstance(src.this, exp.Identifier):
        fn = src.this  # a table-valued function: range(10), explode(...)
        return isinstance(fn, exp.Func) and _literal_only(fn)
    q = body(src, cte_map)
    if q is None:
        return False
    return small_query(q, cte_map, depth + 1)


def small_query(q, cte_map: dict, depth: int = 0) -> bool:
    from sqlglot import exp

    if isinstance(q, exp.Values):
        return True
    if isinstance(q, exp.SetOperation):
        return small_query(q.this, cte_map, depth + 1) and small_query(q.expression, cte_map, depth + 1)
    if not isinstance(q, exp.Select):
        return False
    limit = q.args.get("limit")
    if limit is not None:
        n = limit.expression if isinstance(limit, exp.Limit) else None
        if isinstance(n, exp.Literal) and not n.is_string and str(n.this).isdigit() and int(n.this) <= 100:
            return True
    srcs = sources(q)
    if not q.args.get("group") and has_aggregate(q):
        return True  # a global aggregate: one row
    if not srcs:
        # SELECT 1 AS x / SELECT explode(sequence(DATE'2024-01-01', DATE'2024-12-31')) AS d
        return all(_literal_only(e) for e in q.expressions)
    if len(srcs) == 1 and not q.args.get("group"):
        return small_source(srcs[0][0], cte_map, depth + 1)
    return False


def conjuncts(node) -> list:
    """The AND-ed parts of a condition (parentheses looked through)."""
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def canonical(tree):
    """A copy of ``tree`` with AND chains made left-deep and redundant parentheses around them dropped,
    to compare two trees that differ only by how AND was grouped."""
    from sqlglot import exp

    def norm(n):
        if isinstance(n, exp.And):
            parts = conjuncts(n)
            out = parts[0]
            for p in parts[1:]:
                out = exp.And(this=out, expression=p)
            return out
        return n

    return tree.transform(norm)  # transform works on a copy


def path_to(node) -> list:
    """(arg_key, index) steps from the root down to ``node``."""
    steps = []
    while node.parent is not None:
        steps.append((node.arg_key, node.index))
        node = node.parent
    return steps[::-1]


def follow(root, steps):
    node = root
    for key, index in steps:
        v = node.args.get(key)
        node = v[index] if isinstance(v, list) else v
        if node is None:
            return None
    return node
