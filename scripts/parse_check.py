#!/usr/bin/env python3
"""Syntax check of Swift and Kotlin sources with tree-sitter (no Swift or Kotlin toolchain needed).

    scripts/parse_check.py PATH [PATH ...]     # files or directories (searched recursively)
    scripts/parse_check.py --self-test         # prove the quirk handling on built-in snippets

Every `.swift`, `.kt` and `.kts` file found is parsed; none is skipped. Each ERROR or MISSING node
is reported as `file:line:col: ...` and the exit status is 1 if there is any. The last line is the
summary, e.g. `parse-check: 12 files, 0 errors`. Exit status 2: bad usage or no file found.

The parsers come from PyPI (scripts/requirements-parse.txt). When they are not importable from the
running interpreter, the script creates a venv (default build/parse-venv, or $FINCONN_PARSE_VENV),
installs the pinned requirements once (re-installing only when that file changes) and re-executes
itself there.

Known tree-sitter-swift false positives (valid Swift that the grammar rejects), handled by a
line-preserving rewrite of exactly these constructs before parsing; the file on disk is never
changed, and the number of rewrites is reported per file:

  (a) attribute-only `#if` blocks. UniFFI emits, before many declarations,

          #if swift(>=5.8)
          @_documentation(visibility: private)
          #endif
          public struct FfiConverterFoo { ... }

      The attribute belongs to the declaration after `#endif`, which the grammar cannot express,
      so it reports an ERROR at the attribute. Rewrite: inside an `#if`/`#elseif`/`#else`...
      `#endif` block whose every non-blank line is attributes only, each attribute line gets `//`
      inserted before its `@` (it becomes a comment; lines are kept, nothing else on them moves).

  (b) a closure whose whole body is the empty tuple, `{ () }` (UniFFI's callback-interface
      template: `let writeReturn = { () }`). The grammar parses `()` as the start of a closure
      signature `() in` and reports an ERROR. Rewrite: `{ () }` -> `{ Void() }`, which has the
      same meaning. Columns after the rewrite on that line are mapped back in reports.

Known tree-sitter-kotlin (1.1.0) false positive, handled the same way:

  (c) KDoc before some of UniFFI's declarations. UniFFI writes doc comments glued to the next
      declaration (`*/override fun \`result\`(): FlowResult? {`), and in the 6,000-line generated
      file the grammar then loses its way and reports ERRORs dozens of lines later, in code that
      parses fine once the comment is gone (the same code with the comment removed: 0 errors).
      Rewrite: every KDoc block (`/** ... */`) in a .kt/.kts file has each character except
      newlines replaced by a space. Lines and columns are unchanged, and a comment holds no code,
      so no code error can be hidden by it.

  (d) the `suspend { ... }` builder (kotlin's `suspend(block)`, called by UniFFI's async
      foreign-trait template: `val makeCall = suspend { -> uniffiObj.send(...) }`). The grammar
      takes the function name `suspend` for the modifier keyword and reports ERRORs. Rewrite:
      `suspend` right before a `{` that starts its argument becomes `Suspend`, an ordinary name
      of the same length; lines and columns are unchanged.

Everything else, including a genuine syntax error on a line next to a rewritten construct, is
reported as is (`--self-test` checks that).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = Path(__file__).resolve().parent / "requirements-parse.txt"
VENV_DIR = Path(os.environ.get("FINCONN_PARSE_VENV", ROOT / "build" / "parse-venv"))
EXTENSIONS = {".swift": "swift", ".kt": "kotlin", ".kts": "kotlin"}
# VCS internals and build state: SwiftPM's, and Gradle's and Kotlin's (a Gradle module such as
# bindings/android-stripe, which has its own settings.gradle.kts, gets .gradle/ and .kotlin/ when
# built alone). Every source file elsewhere is checked.
SKIP_DIRS = {".git", ".build", ".swiftpm", ".gradle", ".kotlin"}


# --------------------------------------------------------------------------------------------
# Bootstrap: make sure the pinned parsers are importable, else build the venv and re-exec.
# --------------------------------------------------------------------------------------------


def _pinned() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _parsers_ok() -> bool:
    try:
        from importlib.metadata import version

        import tree_sitter  # noqa: F401
        import tree_sitter_kotlin  # noqa: F401
        import tree_sitter_swift  # noqa: F401
    except ImportError:
        return False
    return all(version(name) == pinned for name, pinned in _pinned().items())


def _bootstrap() -> None:
    if _parsers_ok():
        return
    if sys.version_info < (3, 10):  # tree-sitter 0.26 needs 3.10 (macOS's Xcode python3 is 3.9)
        sys.exit(f"parse-check: Python >= 3.10 needed for the pinned tree-sitter, this is {sys.version.split()[0]}")
    if os.environ.get("FINCONN_PARSE_CHECK_BOOTSTRAPPED"):
        sys.exit(f"parse-check: pinned parsers still missing in {sys.prefix} after installing {REQUIREMENTS}")
    python = VENV_DIR / "bin" / "python"
    stamp = VENV_DIR / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not python.exists() or not stamp.exists() or stamp.read_text().strip() != digest:
        print(f"parse-check: installing {REQUIREMENTS.name} into {VENV_DIR}", file=sys.stderr)
        if not python.exists():
            venv.EnvBuilder(with_pip=True).create(VENV_DIR)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
            check=True,
            stdout=sys.stderr,
        )
        stamp.write_text(digest + "\n")
    env = dict(os.environ, FINCONN_PARSE_CHECK_BOOTSTRAPPED="1")
    os.execve(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]], env)


# --------------------------------------------------------------------------------------------
# Quirk rewrites (Swift only). Each returns the rewritten text, the count, and column edits.
# --------------------------------------------------------------------------------------------

ATTRIBUTE_LINE = re.compile(r"^(?P<indent>\s*)(?P<attrs>@[A-Za-z_]\w*(\s*\([^()]*\))?(\s+@[A-Za-z_]\w*(\s*\([^()]*\))?)*)\s*$")
IF_LINE = re.compile(r"^\s*#if\b")
ELSE_LINE = re.compile(r"^\s*#(elseif\b|else\s*$)")
ENDIF_LINE = re.compile(r"^\s*#endif\b")
UNIT_CLOSURE = re.compile(r"\{\s*\(\)\s*\}")
UNIT_CLOSURE_REPLACEMENT = "{ Void() }"


KDOC = re.compile(r"/\*\*.*?\*/", re.S)


@dataclass
class Rewrites:
    attribute_in_if: int = 0
    unit_closure: int = 0
    kdoc: int = 0
    suspend_builder: int = 0
    # line index -> [(start, end, delta)]: a rewritten span [start, end) of the rewritten line
    # that is `delta` characters longer than the original text it replaced.
    column_edits: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.attribute_in_if + self.unit_closure + self.kdoc + self.suspend_builder

    def original_column(self, line: int, column: int) -> int:
        """Map a 0-based column of the rewritten text back to the original line."""
        shift = 0
        for start, end, delta in sorted(self.column_edits.get(line, [])):
            if column >= end:
                shift += delta
            elif column >= start:
                return start - shift  # inside a rewritten construct: its original start
            else:
                break
        return column - shift


def rewrite_swift_quirks(text: str) -> tuple[str, Rewrites]:
    lines = text.split("\n")
    rw = Rewrites()

    # (a) attribute-only #if ... #endif blocks (no nesting inside the block).
    i = 0
    while i < len(lines):
        if IF_LINE.match(lines[i]):
            j = i + 1
            attribute_lines: list[int] = []
            only_attributes = True
            while j < len(lines) and not ENDIF_LINE.match(lines[j]):
                line = lines[j]
                if IF_LINE.match(line):
                    only_attributes = False  # nested #if: not the construct, leave it alone
                    break
                if ELSE_LINE.match(line) or not line.strip():
                    pass
                elif ATTRIBUTE_LINE.match(line):
                    attribute_lines.append(j)
                else:
                    only_attributes = False
                    break
                j += 1
            if only_attributes and j < len(lines) and attribute_lines:
                for k in attribute_lines:
                    m = ATTRIBUTE_LINE.match(lines[k])
                    assert m is not None
                    indent = m.group("indent")
                    lines[k] = indent + "//" + lines[k][len(indent):]
                    rw.attribute_in_if += 1
                i = j + 1
                continue
        i += 1

    # (b) closures whose body is exactly `()`.
    for n, line in enumerate(lines):
        if "()" not in line or not UNIT_CLOSURE.search(line):
            continue
        out, pos, edits = [], 0, []
        for m in UNIT_CLOSURE.finditer(line):
            out.append(line[pos : m.start()])
            new_start = sum(len(s) for s in out)
            out.append(UNIT_CLOSURE_REPLACEMENT)
            delta = len(UNIT_CLOSURE_REPLACEMENT) - (m.end() - m.start())
            edits.append((new_start, new_start + len(UNIT_CLOSURE_REPLACEMENT), delta))
            pos = m.end()
            rw.unit_closure += 1
        out.append(line[pos:])
        lines[n] = "".join(out)
        rw.column_edits[n] = edits
    return "\n".join(lines), rw


# (d) `= suspend {` / `(suspend {`: the suspend builder called with a trailing lambda.
SUSPEND_BUILDER = re.compile(r"(?<=[=(,]\s)suspend(?=\s*\{)")


def rewrite_kotlin_quirks(text: str) -> tuple[str, Rewrites]:
    rw = Rewrites()

    def blank(m: re.Match) -> str:
        rw.kdoc += 1
        return re.sub(r"[^\n]", " ", m.group())

    def builder(_m: re.Match) -> str:
        rw.suspend_builder += 1
        return "Suspend"

    return SUSPEND_BUILDER.sub(builder, KDOC.sub(blank, text)), rw


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass
class Problem:
    line: int  # 1-based
    column: int  # 1-based, in characters of the original line
    kind: str  # ERROR or MISSING
    detail: str


_PARSERS: dict[str, object] = {}


def _parser(language: str):
    if language not in _PARSERS:
        import tree_sitter

        if language == "swift":
            import tree_sitter_swift as grammar
        else:
            import tree_sitter_kotlin as grammar
        _PARSERS[language] = tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    return _PARSERS[language]


def check_source(text: str, language: str, rewrite: bool = True) -> tuple[list[Problem], Rewrites]:
    rw = Rewrites()
    parsed_text = text
    if language == "swift" and rewrite:
        parsed_text, rw = rewrite_swift_quirks(text)
    elif language == "kotlin" and rewrite:
        parsed_text, rw = rewrite_kotlin_quirks(text)
    data = parsed_text.encode("utf-8")
    tree = _parser(language).parse(data)
    parsed_lines = data.split(b"\n")
    problems: list[Problem] = []

    def char_column(row: int, byte_col: int) -> int:
        line = parsed_lines[row] if row < len(parsed_lines) else b""
        return len(line[:byte_col].decode("utf-8", errors="replace"))

    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing or node.is_error:
            row, byte_col = node.start_point
            col = rw.original_column(row, char_column(row, byte_col))
            if node.is_missing:
                detail = f"missing {node.type!r}"
            else:
                snippet = node.text.decode("utf-8", errors="replace").strip().splitlines()
                detail = f"unexpected {snippet[0][:60]!r}" if snippet else "unexpected input"
            problems.append(Problem(row + 1, col + 1, "MISSING" if node.is_missing else "ERROR", detail))
        if node.has_error or node.is_error:
            stack.extend(reversed(node.children))
    problems.sort(key=lambda p: (p.line, p.column))
    return problems, rw


def collect(paths: list[str]) -> list[Path]:
    files: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
                for name in filenames:
                    if Path(name).suffix in EXTENSIONS:
                        files.add(Path(dirpath) / name)
        elif p.is_file():
            if p.suffix not in EXTENSIONS:
                sys.exit(f"parse-check: {p}: not a .swift/.kt/.kts file")
            files.add(p)
        else:
            sys.exit(f"parse-check: {p}: no such file or directory")
    return sorted(files)


def run(paths: list[str], rewrite: bool, verbose: bool, allow_empty: bool) -> int:
    files = collect(paths)
    if not files and not allow_empty:
        print(f"parse-check: no .swift/.kt/.kts file under {' '.join(paths)}", file=sys.stderr)
        return 2
    errors = 0
    totals = Rewrites()
    for f in files:
        text = f.read_text(encoding="utf-8")
        problems, rw = check_source(text, EXTENSIONS[f.suffix], rewrite)
        totals.attribute_in_if += rw.attribute_in_if
        totals.unit_closure += rw.unit_closure
        totals.kdoc += rw.kdoc
        totals.suspend_builder += rw.suspend_builder
        if rw.total or verbose:
            print(
                f"{f}: {rw.total} quirk rewrite(s) "
                f"(a: attribute-only #if x{rw.attribute_in_if}, b: {{ () }} closure x{rw.unit_closure}, "
                f"c: KDoc blanked x{rw.kdoc}, d: suspend builder x{rw.suspend_builder})"
            )
        for p in problems:
            print(f"{f}:{p.line}:{p.column}: {p.kind}: {p.detail}")
        errors += len(problems)
    print(
        f"parse-check: {len(files)} files, {errors} errors "
        f"(quirk rewrites: a={totals.attribute_in_if}, b={totals.unit_closure}, c={totals.kdoc}, "
        f"d={totals.suspend_builder})"
    )
    return 1 if errors else 0


# --------------------------------------------------------------------------------------------
# Self-test: the quirks are real for the pinned grammar, the rewrites fix exactly them, and real
# errors next to them are still reported at their original position.
# --------------------------------------------------------------------------------------------

SELF_TEST_CASES = [
    # (name, language, source, expected (line, col) without rewrites or None = "some error",
    #  expected (line, col) list with rewrites)
    (
        "quirk a: attribute-only #if",
        "swift",
        "#if swift(>=5.8)\n@_documentation(visibility: private)\n#endif\npublic struct A {}\n",
        "error",
        [],
    ),
    (
        "quirk a: indented, two attributes, #else branch",
        "swift",
        "struct S {\n    #if swift(>=5.8)\n    @_documentation(visibility: private) @usableFromInline\n"
        "    #else\n    @usableFromInline\n    #endif\n    var x: Int = 0\n}\n",
        "error",
        [],
    ),
    (
        "quirk b: unit closure",
        "swift",
        "func f() {\n    let writeReturn = { () }\n    writeReturn()\n}\n",
        "error",
        [],
    ),
    ("not a quirk: #if with a declaration", "swift", "#if os(iOS)\n@MainActor\nfunc f() {}\n#endif\n", [], []),
    ("not a quirk: closure with a signature", "swift", "let g = { () in 1 }\n", [], []),
    (
        "real error after a rewritten closure keeps its column",
        "swift",
        "func f() {\n    let w = { () }; x = 1 +\n}\n",
        "error",
        [(2, 27)],
    ),
    (
        "real error next to a rewritten attribute keeps its line",
        "swift",
        "#if swift(>=5.8)\n@_documentation(visibility: private)\n#endif\npublic struct A {\n    func f( {\n}\n",
        "error",
        [(5, 12)],
    ),
    ("kotlin ok", "kotlin", "package a.b\n\nfun f(x: Int): Int = x + 1\n", [], []),
    ("kotlin script ok", "kotlin", 'plugins {\n    id("com.android.library")\n}\n', [], []),
    ("kotlin error", "kotlin", "fun f(x: Int: Int = x\n", "error", "error"),
    (
        "quirk c: a real error after a blanked KDoc keeps its position",
        "kotlin",
        "class A {\n    /**\n     * Doc.\n     */override fun f(x: Int: Int = x\n}\n",
        "error",
        [(4, 29)],
    ),
    ("quirk c: KDoc-only file parses", "kotlin", "/** a */\nfun f() = 1\n", [], []),
    (
        "quirk d: the suspend builder",
        "kotlin",
        "fun f() {\n    val makeCall = suspend { ->\n        1\n    }\n}\n",
        "error",
        [],
    ),
    (
        "quirk d: a real error after the builder keeps its position",
        "kotlin",
        "fun f() {\n    val makeCall = suspend { -> g(1,, 2) }\n}\n",
        "error",
        [(2, 36)],
    ),
    ("not quirk d: a suspend modifier", "kotlin", "suspend fun f() {}\nval g = { x: Int -> x }\n", [], []),
]


def self_test() -> int:
    failures = 0
    for name, language, source, without, with_rw in SELF_TEST_CASES:
        raw, _ = check_source(source, language, rewrite=False)
        fixed, rw = check_source(source, language, rewrite=True)
        ok = True
        if without == "error":
            ok &= bool(raw)
        else:
            ok &= [(p.line, p.column) for p in raw] == without
        if with_rw == "error":
            ok &= bool(fixed)
        else:
            got = [(p.line, p.column) for p in fixed]
            ok &= got[: len(with_rw)] == with_rw if with_rw else not got
        print(
            f"{'ok  ' if ok else 'FAIL'} {name}: {len(raw)} error(s) raw, {len(fixed)} after "
            f"{rw.total} rewrite(s) {[(p.line, p.column) for p in fixed]}"
        )
        failures += not ok
    print(f"parse-check self-test: {len(SELF_TEST_CASES) - failures} passed, {failures} failed")
    return 1 if failures else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="files or directories")
    ap.add_argument("--self-test", action="store_true", help="check the quirk handling and exit")
    ap.add_argument("--no-rewrite", action="store_true", help="parse files exactly as on disk")
    ap.add_argument("--allow-empty", action="store_true", help="exit 0 when no file is found")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per file")
    args = ap.parse_args()
    _bootstrap()
    if args.self_test:
        status = self_test()
        if not args.paths:
            return status
        if status:
            return status
    if not args.paths:
        ap.error("no PATH given")
    return run(args.paths, rewrite=not args.no_rewrite, verbose=args.verbose, allow_empty=args.allow_empty)


if __name__ == "__main__":
    sys.exit(main())
