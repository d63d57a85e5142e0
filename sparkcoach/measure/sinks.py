"""Make a cell safe to run again and again: its writes go to a no-op sink, or it is not measured.

``redirect(code)`` reads the cell with ``ast`` and, wherever they appear (statements,
chains, functions defined in the cell):

- sends every DataFrame write (a call chain through ``.write`` or ``.writeTo(t)``, also through
  a writer held in a variable) to ``format("noop")``: the whole plan still runs, nothing is written;
- replaces RDD saves (``saveAsTextFile`` ...) by a count of the RDD, a counting action;
- runs ``createTempView`` as ``createOrReplaceTempView`` (a second run would fail otherwise);
- refuses cells whose side effects cannot be redirected: ``foreach*``, streams, SQL text that
  is not a query (or cannot be known), pandas and file writers, file-system and catalog changes,
  shell commands, and magics (``%time``, ``%sql`` ...) whose input has such a side effect.

Edits are spliced into the source text, so line numbers and comments stay as they were;
a cell with nothing to redirect comes back unchanged.  Never imports pyspark.

>>> r = redirect("out.write.mode('overwrite').parquet('/tmp/x')")
>>> print(r.code)
((out).write.format("noop").mode("overwrite").save())
>>> print(*r.notes)
`out.write...parquet(...)` redirected to a no-op sink (line 1)
>>> redirect("rows.foreach(send)").refused
'`rows.foreach(...)` runs code for its side effects (line 1)'
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Mapping

NOOP = '.write.format("noop").mode("overwrite").save()'

WRITER_CONFIG = {"mode", "format", "option", "options", "partitionBy", "bucketBy", "sortBy", "clusterBy"}
WRITER_SAVE = {"save", "parquet", "csv", "json", "orc", "text", "jdbc", "xml", "saveAsTable", "insertInto"}
V2_CONFIG = {"using", "option", "options", "tableProperty", "partitionedBy", "clusterBy"}
V2_SAVE = {"append", "create", "createOrReplace", "replace", "overwrite", "overwritePartitions"}
RDD_SAVES = {"saveAsTextFile", "saveAsPickleFile", "saveAsSequenceFile", "saveAsHadoopFile",
             "saveAsNewAPIHadoopFile", "saveAsHadoopDataset", "saveAsNewAPIHadoopDataset"}
TEMP_VIEWS = {"createTempView": "createOrReplaceTempView", "createGlobalTempView": "createOrReplaceGlobalTempView"}

FOREACH = {"foreach", "foreachPartition", "foreachBatch"}
# pandas (and pandas-on-Spark) writers; those in PATH_WRITERS return a string when given no path
TABLE_WRITERS = {"to_parquet", "to_excel", "to_sql", "to_pickle", "to_feather", "to_hdf", "to_orc", "to_stata",
                 "to_table", "to_delta", "to_spark_io", "to_gbq", "tofile"}
PATH_WRITERS = {"to_csv", "to_json", "to_html", "to_latex", "to_markdown", "to_string", "to_xml"}
FILE_CHANGES = {"write_text", "write_bytes", "unlink", "rmdir", "touch", "symlink_to", "hardlink_to"}
OS_CHANGES = {"remove", "unlink", "rename", "renames", "replace", "rmdir", "removedirs", "truncate", "chmod",
              "chown", "link", "symlink"}
SHUTIL_READS = {"which", "disk_usage", "get_terminal_size", "get_archive_formats", "get_unpack_formats"}
FS_UTILS = ("dbutils.fs.", "mssparkutils.fs.", "notebookutils.fs.")
FS_READS = {"ls", "head", "mounts", "help", "exists"}
SAVERS = {"np.save", "np.savez", "np.savez_compressed", "np.savetxt", "numpy.save", "numpy.savez",
          "numpy.savez_compressed", "numpy.savetxt", "joblib.dump"}
OPENERS = {"open", "io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open", "os.fdopen"}
CATALOG_CHANGES = {"dropTempView", "dropGlobalTempView", "createTable", "createExternalTable", "refreshTable",
                   "refreshByPath", "recoverPartitions", "setCurrentDatabase", "setCurrentCatalog",
                   "clearCache", "cacheTable", "uncacheTable"}
DELTA_CHANGES = {"delete", "update", "merge", "vacuum", "optimize", "restoreToVersion", "restoreToTimestamp",
                 "upgradeTableProtocol", "generate", "create", "createIfNotExists", "createOrReplace",
                 "replace", "convertToDelta", "addFeatureSupport", "dropFeatureSupport"}
SHELL = {"os.system", "os.popen", "subprocess.run", "subprocess.call", "subprocess.check_call",
         "subprocess.check_output", "subprocess.Popen", "get_ipython.system", "get_ipython.getoutput"}
SHELL_MAGICS = {"sh", "bash", "system", "sx", "script", "writefile", "perl", "ruby", "store", "bookmark", "cd"}

QUERY_WORDS = {"SELECT", "VALUES", "FROM", "TABLE", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "LIST"}
HOLE = "__sparkcoach_hole__"  # stands for the parts of a SQL text that are not known before running
NEWLINE = re.compile(r"\r\n|\r|\n")
MODE = re.compile(r"[rwxabtU+]{1,4}(:\w*)?")


@dataclass(frozen=True)
class Redirected:
    code: str | None  # code safe to run repeatedly, or None when the cell cannot be measured
    notes: tuple[str, ...] = ()  # one line per redirection
    refused: str | None = None  # why the cell cannot be measured, when code is None


def redirect(code: str, namespace: Mapping | None = None) -> Redirected:
    """The cell's code with its writes redirected, or a refusal.  ``namespace`` (optional) resolves
    SQL text held in variables the cell does not bind itself."""
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        return Redirected(None, (), f"cannot be read as Python ({e.msg}, line {e.lineno})")
    scan = _Scan(tree, code, namespace or {})
    scan.run()
    if scan.refusals:
        return Redirected(None, (), min(scan.refusals)[1])
    notes = tuple(note for _, note in sorted(scan.notes))
    if not scan.edits:
        return Redirected(code, notes)
    return Redirected(_Splice(code, scan.edits).render(0, len(code)), notes)


def dotted(node: ast.AST) -> str | None:
    """``os.path.join`` -> "os.path.join"; ``get_ipython().system`` -> "get_ipython.system"."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args:
        node = node.func
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _short(node: ast.AST, limit: int = 30) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _method(call: ast.AST) -> tuple[str, ast.AST] | None:
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
        return call.func.attr, call.func.value
    return None


@dataclass(frozen=True)
class _Writer:
    kind: str  # "v1" (DataFrameWriter) or "v2" (DataFrameWriterV2)
    base: ast.AST | None  # the DataFrame expression written, None when it cannot be named safely
    configured: bool  # configuration calls between the writer and its save
    noop: bool  # already format("noop")


class _Scan:
    def __init__(self, tree: ast.Module, code: str, namespace: Mapping):
        self.tree, self.code, self.namespace = tree, code, namespace
        self.parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
        self.edits: list[tuple[ast.AST, list]] = []  # (node replaced, parts: str | node rendered with edits)
        self.notes: list[tuple[tuple[int, int], str]] = []
        self.refusals: list[tuple[tuple[int, int], str]] = []
        self.bindings: dict[str, list] = {}  # name -> values bound (None: unknown)
        self.bound_lines: dict[str, list[int]] = {}  # name -> lines where it is bound
        self.writers: dict[str, _Writer] = {}

    def run(self) -> None:
        self._collect_bindings()
        self._collect_writer_names()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and node.attr == "writeStream":
                self._refuse(node, f"`{_short(node.value)}.writeStream` starts a streaming query")
            elif isinstance(node, ast.Call):
                self._call(node)
        for node in ast.walk(self.tree):
            w = self._writer(node)
            if w is not None and not self._extends(node):
                self._use_of_writer(node, w)

    # -- refusals and simple redirections ------------------------------------------------------

    def _refuse(self, node: ast.AST, why: str) -> None:
        self.refusals.append(((node.lineno, node.col_offset), f"{why} (line {node.lineno})"))

    def _note(self, node: ast.AST, text: str) -> None:
        self.notes.append(((node.lineno, node.col_offset), f"{text} (line {node.lineno})"))

    def _call(self, call: ast.Call) -> None:
        name = dotted(call.func) or ""
        m = _method(call)
        attr, recv = m if m else (name, None)
        shown = f"`{_short(recv)}.{attr}(...)`" if recv is not None else f"`{name}(...)`"
        if recv is not None and attr in FOREACH:
            self._refuse(call, f"{shown} runs code for its side effects")
        elif recv is not None and attr == "sql" and (call.args or any(k.arg == "sqlQuery" for k in call.keywords)):
            self._sql(call, recv)
        elif recv is not None and attr in RDD_SAVES:
            self.edits.append((call, ["((", recv, ").count())"]))
            self._note(call, f"{shown} replaced by a count of its elements")
        elif recv is not None and attr in TEMP_VIEWS:
            self.edits.append((call.func, ["((", recv, f").{TEMP_VIEWS[attr]})"]))
            self._note(call, f"{shown} runs as `{TEMP_VIEWS[attr]}` so that it can run again")
        elif recv is not None and (attr in TABLE_WRITERS or attr in PATH_WRITERS and _has_path(call)):
            self._refuse(call, f"{shown} writes a file or a table")
        elif recv is not None and attr in FILE_CHANGES or name in SAVERS:
            self._refuse(call, f"{shown} changes files")
        elif name.startswith("os.") and attr in OS_CHANGES or name.startswith("shutil.") and attr not in SHUTIL_READS:
            self._refuse(call, f"{shown} changes files")
        elif name.startswith(FS_UTILS) and attr not in FS_READS:
            self._refuse(call, f"{shown} changes files")
        elif _opens_for_writing(call, name, attr):
            self._refuse(call, f"{shown} opens a file for writing")
        elif name in ("get_ipython.run_line_magic", "get_ipython.run_cell_magic"):
            self._magic(call, name.endswith("cell_magic"))
        elif name in SHELL or name.startswith("subprocess."):
            self._refuse(call, f"{shown} runs a shell command, which may change things")
        elif recv is not None and attr in CATALOG_CHANGES and (dotted(recv) or "").split(".")[-1] == "catalog":
            self._refuse(call, f"{shown} changes the catalog")
        elif recv is not None and attr in DELTA_CHANGES and self._delta(recv):
            self._refuse(call, f"{shown} changes a Delta table")

    def _magic(self, call: ast.Call, cell: bool) -> None:
        """``%time df.write...`` and friends run code held in a string: refuse when it has a side
        effect (it cannot be redirected inside the string)."""
        args = [_constant(a) for a in call.args]
        magic = args[0].lstrip("%") if args and isinstance(args[0], str) else None
        body = args[-1] if len(args) >= 2 and isinstance(args[-1], str) else None
        shown = f"`{'%%' if cell else '%'}{magic or '...'}`"
        if magic is None or body is None:
            self._refuse(call, f"{shown} runs a magic whose input is not known before the cell runs")
        elif magic in SHELL_MAGICS:
            self._refuse(call, f"{shown} runs a shell command or writes a file")
        elif magic == "sql":
            verb = sql_statement(body)
            if verb != "query":
                self._refuse(call, f"{shown} runs {verb or 'SQL text that is not known'}, which may change data")
        else:
            words = body.split()
            texts = [body] + [" ".join(words[k:]) for k in range(1, min(len(words), 8)) if words[0].startswith("-")]
            for text in texts:  # `%timeit -n 1 code`: the code after the options
                inner = redirect(text, self.namespace)
                if not (inner.refused or "").startswith("cannot be read"):
                    break
            if inner.refused and not inner.refused.startswith("cannot be read") or inner.code not in (None, text):
                self._refuse(call, f"{shown} runs code that writes or has side effects, which cannot be "
                                   "redirected inside a magic")

    def _delta(self, node: ast.AST, seen: frozenset = frozenset()) -> bool:
        """A ``DeltaTable`` chain, or a name bound to one in the cell."""
        while isinstance(node, (ast.Call, ast.Attribute)):
            if isinstance(node, ast.Attribute) and node.attr in ("toDF", "history", "detail"):
                return False  # a DataFrame read from the table
            node = node.func if isinstance(node, ast.Call) else node.value
        if not isinstance(node, ast.Name) or node.id in seen:
            return False
        return node.id == "DeltaTable" or any(isinstance(v, ast.expr) and self._delta(v, seen | {node.id})
                                              for v in self.bindings.get(node.id, ()))

    # -- SQL text ------------------------------------------------------------------------------

    def _sql(self, call: ast.Call, recv: ast.AST) -> None:
        arg = call.args[0] if call.args else next(k.value for k in call.keywords if k.arg == "sqlQuery")
        shown = f"`{_short(recv)}.sql({_short(arg, 24)})`"
        texts = self._texts(arg, set())
        if texts is None:
            self._refuse(call, f"{shown} runs SQL text that is not known before the cell runs")
            return
        for text in texts:
            verb = sql_statement(text)
            if verb is None:
                self._refuse(call, f"{shown} runs SQL text that is not known before the cell runs")
                return
            if verb != "query":
                self._refuse(call, f"{shown} runs {verb}, which changes data or session state")
                return

    def _collect_bindings(self) -> None:
        def add(name: str, value) -> None:
            self.bindings.setdefault(name, []).append(value)
            self.bound_lines.setdefault(name, []).append(getattr(node, "lineno", 0))  # comprehensions: none

        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        add(t.id, node.value)
                    else:
                        for n in ast.walk(t):
                            if isinstance(n, ast.Name):
                                add(n.id, None)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                add(node.target.id, node)  # resolved as "every other value, then this addition"
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                items = node.iter.elts if isinstance(node.iter, (ast.List, ast.Tuple, ast.Set)) else None
                if isinstance(node.target, ast.Name) and items is not None:
                    for item in items:
                        add(node.target.id, item)
                else:
                    for n in ast.walk(node.target):
                        if isinstance(n, ast.Name):
                            add(n.id, None)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for a in ast.walk(node.args):
                    if isinstance(a, ast.arg):
                        add(a.arg, None)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    add((a.asname or a.name).split(".")[0], None)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for n in ast.walk(ast.Tuple([i.optional_vars for i in node.items if i.optional_vars])):
                    if isinstance(n, ast.Name):
                        add(n.id, None)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                add(node.name, None)

    def _texts(self, node: ast.AST, seen: set) -> list[str] | None:
        """Every text ``node`` may hold (unknown parts as HOLE), or None when it cannot be known."""
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else HOLE for v in node.values]
            return ["".join(parts)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._texts(node.left, seen), self._texts(node.right, seen)
            return [a + b for a in left or [HOLE] for b in right or [HOLE]]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self._texts(node.left, seen)
        if isinstance(node, ast.Call):
            m = _method(node)
            if m and m[0] in ("format", "strip", "lstrip", "rstrip", "upper", "lower", "replace"):
                return self._texts(m[1], seen)
            if m and m[0] == "join" and node.args and isinstance(node.args[0], (ast.List, ast.Tuple)):
                sep = self._texts(m[1], seen)
                items = [self._texts(e, seen) for e in node.args[0].elts]
                if sep is None or any(i is None for i in items):
                    return None
                return [sep[0].join(i[0] for i in items)]
            if (dotted(node.func) or "").split(".")[-1] == "dedent" and node.args:
                return self._texts(node.args[0], seen)
            return None
        if isinstance(node, ast.Name):
            return self._name_texts(node.id, seen)
        return None

    def _name_texts(self, name: str, seen: set) -> list[str] | None:
        if name in seen:
            return None
        values = self.bindings.get(name)
        if values is None:
            value = self.namespace.get(name)
            return [value] if isinstance(value, str) else None
        seen = seen | {name}
        texts, additions = [], []
        for v in values:
            if v is None:
                return None
            if isinstance(v, ast.AugAssign):
                more = self._texts(v.value, seen) if isinstance(v.op, ast.Add) else None
                additions.append(more[0] if more else HOLE)
                continue
            t = self._texts(v, seen)
            if t is None:
                return None
            texts.extend(t)
        return texts + [t + "".join(additions) for t in texts if additions]

    # -- writers -------------------------------------------------------------------------------

    def _collect_writer_names(self) -> None:
        assigns = [n for n in ast.walk(self.tree) if isinstance(n, ast.Assign)]
        changed = True
        while changed:
            changed = False
            for a in assigns:
                w = self._writer(a.value)
                if w is None:
                    continue
                for t in a.targets:
                    if isinstance(t, ast.Name) and t.id not in self.writers:
                        self.writers[t.id] = _Writer(w.kind, self._stable(w.base, a), w.configured, w.noop)
                        changed = True

    def _stable(self, base: ast.AST | None, assign: ast.Assign) -> ast.AST | None:
        """The base of a writer held in a variable is written again where the writer saves: only a
        name (or dotted name) the cell binds at most once, before the writer, surely holds the same
        DataFrame there."""
        name = dotted(base) if base is not None else None
        lines = self.bound_lines.get(name.split(".")[0], []) if name else []
        if name is None or len(lines) > 1 or any(line >= assign.lineno for line in lines):
            return None
        return base

    def _writer(self, node: ast.AST) -> _Writer | None:
        if isinstance(node, ast.Attribute) and node.attr == "write":
            parent = self.parents.get(node)
            if isinstance(parent, ast.Call) and parent.func is node:  # f.write(text): a file, not Spark
                return None
            if dotted(node.value) in ("sys.stdout", "sys.stderr"):
                return None
            return _Writer("v1", node.value, False, False)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return self.writers.get(node.id)
        m = _method(node)
        if m is None:
            return None
        attr, recv = m
        if attr == "writeTo":
            return _Writer("v2", recv, False, False)
        inner = self._writer(recv)
        if inner is None or attr not in (WRITER_CONFIG if inner.kind == "v1" else V2_CONFIG):
            return None
        noop = attr == "format" and bool(node.args) and _constant(node.args[0]) == "noop"
        return _Writer(inner.kind, inner.base, True, inner.noop or noop)

    def _extends(self, node: ast.AST) -> bool:
        """``node`` is the receiver of a configuration call (the chain goes on)."""
        parent = self.parents.get(node)
        call = self.parents.get(parent)
        return (isinstance(parent, ast.Attribute) and isinstance(call, ast.Call) and call.func is parent
                and self._writer(call) is not None)

    def _use_of_writer(self, node: ast.AST, w: _Writer) -> None:
        parent = self.parents.get(node)
        call = self.parents.get(parent)
        if isinstance(parent, ast.Assign) or isinstance(parent, ast.Expr):
            return  # held in a variable (followed through the name), or a bare expression
        if isinstance(parent, ast.Attribute) and isinstance(call, ast.Call) and call.func is parent:
            if parent.attr in (WRITER_SAVE if w.kind == "v1" else V2_SAVE):
                self._save(call, node, w)
                return
        self._refuse(node, f"`{_short(node)}` is a DataFrame writer used in a way that cannot be redirected")

    def _save(self, call: ast.Call, writer: ast.AST, w: _Writer) -> None:
        attr = call.func.attr
        if isinstance(writer, ast.Name):
            shown = f"`{writer.id}.{attr}(...)`"
        else:
            head = f"{_short(w.base)}.write" if w.kind == "v1" else f"{_short(w.base)}.writeTo(...)"
            shown = f"`{head}{'...' if w.configured else '.'}{attr}(...)`"
        if w.noop:
            return
        if w.base is None:
            self._refuse(call, f"{shown} saves through a writer whose DataFrame cannot be named safely")
            return
        self.edits.append((call, ["((", w.base, ")" + NOOP + ")"]))
        self._note(call, f"{shown} redirected to a no-op sink")


def _constant(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def _has_path(call: ast.Call) -> bool:
    return bool(call.args) or any(k.arg in ("path_or_buf", "buf", "path", "excel_writer") for k in call.keywords)


def _opens_for_writing(call: ast.Call, name: str, attr: str) -> bool:
    """``open(p, "w")`` and friends; a mode that cannot be read counts as writing for ``open``."""
    modes = [k.value for k in call.keywords if k.arg == "mode"]
    if name in OPENERS:
        modes += call.args[1:2]
    elif attr in ("open", "ZipFile", "TarFile"):
        modes += [a for a in call.args[:2] if isinstance(_constant(a), str) and MODE.fullmatch(a.value)]
    else:
        return False
    for mode in modes:
        text = _constant(mode)
        if not isinstance(text, str):
            return name in OPENERS
        if set(text.split(":")[0]) & set("wax+"):
            return True
    return False


def sql_statement(text: str) -> str | None:
    """"query" for a SQL text that only reads, the statement's keyword (e.g. "INSERT") for any
    other, None when the statement cannot be known (it starts with an unknown part).

    >>> sql_statement("-- daily\\nSELECT * FROM t"), sql_statement("insert into t select 1")
    ('query', 'INSERT')
    """
    body = re.sub(r"^(\s+|--[^\n]*\n?|/\*.*?\*/|\()+", "", text, flags=re.S)
    word = re.match(r"[A-Za-z_]\w*", body)
    if word is None or word.group() == HOLE:
        return None
    lead = word.group().upper()
    if lead in QUERY_WORDS:
        return "query"
    if lead != "WITH":
        return lead
    import sqlglot
    from sqlglot import exp

    try:
        root = sqlglot.parse_one(body, read="spark")
    except Exception:  # noqa: BLE001 - sqlglot raises several kinds; unreadable text is not known
        return None
    return "query" if isinstance(root, exp.Query) else root.key.upper()


class _Splice:
    """Apply (node -> parts) edits to the source text, edits inside a part's node included;
    each replacement is parenthesized and keeps the number of lines it replaces."""

    def __init__(self, code: str, edits: list):
        lines, pos = [], 0
        for m in NEWLINE.finditer(code):
            lines.append(code[pos:m.end()])
            pos = m.end()
        lines.append(code[pos:])
        self.code, self.lines, self.starts = code, lines, [0]
        for line in lines:
            self.starts.append(self.starts[-1] + len(line))
        self.edits = sorted(((self._span(n), parts) for n, parts in edits), key=lambda e: (e[0][0], -e[0][1]))

    def _offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + len(self.lines[line - 1].encode()[:col].decode(errors="replace"))

    def _span(self, node: ast.AST) -> tuple[int, int]:
        return self._offset(node.lineno, node.col_offset), self._offset(node.end_lineno, node.end_col_offset)

    def render(self, start: int, end: int) -> str:
        out, pos = [], start
        for (s, e), parts in self.edits:
            if s < pos or e > end:
                continue  # outside, or inside an edit already rendered
            out.append(self.code[pos:s])
            text = "".join(p if isinstance(p, str) else self.render(*self._span(p)) for p in parts)
            missing = len(NEWLINE.findall(self.code, s, e)) - len(NEWLINE.findall(text))
            out.append(text[:-1] + "\n" * max(missing, 0) + text[-1])
            pos = e
        out.append(self.code[pos:end])
        return "".join(out)
