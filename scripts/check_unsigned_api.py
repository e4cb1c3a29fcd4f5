#!/usr/bin/env python3
"""Fail if the public API of generated Swift or Kotlin bindings has an unsigned integer type.

    python3 scripts/check_unsigned_api.py FILE.swift|FILE.kt ...
    python3 scripts/check_unsigned_api.py --self-test

Swift and Kotlin apps speak signed integers (`Int32`/`Int64`, `Int`/`Long`): every number the
library exports is one (CHANGELOG: counts and statuses 32-bit, byte sizes and milliseconds 64-bit).
A `u8`/`u16`/`u32`/`u64` in an exported Rust type would come out as Kotlin
`UByte|UShort|UInt|ULong` or Swift `UInt8|UInt16|UInt32|UInt64|UInt`; this check finds it.

What is not the public API, and therefore not checked: UniFFI's own scaffolding. That is every
top-level declaration that is not `public`/`open` (Swift) or is `internal`/`private` (Kotlin),
every declaration whose name is UniFFI's (`FfiConverter…`, `RustBuffer`, `ForeignBytes`,
`Uniffi…`/`uniffi…`, the handle map), and inside the public types, the lines about object handles
(`handle`, `uniffiCloneHandle`, `unsafeFromHandle`), serialisation (`allocationSize`, `[UInt8]`
write buffers) and `fileprivate`/`private`/`internal` members. `Data`/`ByteArray` bodies are
bytes, not numbers, and are what `Vec<u8>` is meant to be.

Prints each offending line as `path:line: declaration: text`; exits 1 if there is any, 2 if a
file is missing or holds no public declaration at all (a check that silently read nothing).
"""
import pathlib
import re
import sys

SWIFT_UNSIGNED = re.compile(r"\bUInt(?:8|16|32|64)?\b")
KOTLIN_UNSIGNED = re.compile(r"\b(?:kotlin\.)?(?:UByte|UShort|UInt|ULong)\b|\b\d+u[L]?\b")

# Names that are UniFFI's, never the library's API.
SCAFFOLDING_NAME = re.compile(r"FfiConverter|RustBuffer|ForeignBytes|[Uu]niffi|HandleMap|RustCallStatus|UniffiLib|IntegrityCheckingUniffiLib")
# Lines inside public declarations that are still UniFFI's business.
SCAFFOLDING_LINE = re.compile(
    r"(?i:handle)|allocationSize|FfiConverter|RustBuffer|\[UInt8\]|<UInt8>|UInt8\.self|"
    r"^\s*(?:fileprivate|private|internal)\b|\buniffi"
)

SWIFT_DECL = re.compile(
    r"^(?P<access>(?:(?:public|open|fileprivate|private|internal)\s+)*)(?:final\s+)?"
    r"(?:struct|class|enum|protocol|extension|func|let|var|typealias|actor)\s+(?P<name>[\w.]+)"
)
ACCESS_ONLY = re.compile(r"^(?:(?:public|open|fileprivate|private|internal|final)\s*)+$")
KOTLIN_DECL = re.compile(
    r"^(?:@\w+(?:\([^)]*\))?\s*)*(?P<access>(?:(?:public|private|internal|protected|open|abstract|sealed|data|enum|annotation|inline|value|sealed|expect|actual)\s+)*)"
    r"(?:class|interface|object|fun|val|var|typealias)\s+(?:`?(?:<[^>]*>\s*)?(?P<name>[\w.]+)`?)"
)


def strip_strings_and_comments(line, in_block_comment):
    """The line without string literals and comments (so braces and names in them do not count)."""
    out, i, n = [], 0, len(line)
    while i < n:
        if in_block_comment:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_block_comment = end + 2, False
            continue
        if line.startswith("/*", i):
            in_block_comment, i = True, i + 2
            continue
        if line.startswith("//", i):
            break
        if line[i] == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            out.append('""')
            i = j + 1
            continue
        out.append(line[i])
        i += 1
    return "".join(out), in_block_comment


def check_text(text, path, language):
    """(problems, public declarations seen)."""
    unsigned = SWIFT_UNSIGNED if language == "swift" else KOTLIN_UNSIGNED
    decl = SWIFT_DECL if language == "swift" else KOTLIN_DECL
    problems, public_decls = [], 0
    depth, in_comment = 0, False
    current, current_is_api, pending = None, False, ""
    for number, raw in enumerate(text.splitlines(), 1):
        code, in_comment = strip_strings_and_comments(raw, in_comment)
        stripped = code.strip()
        if depth == 0 and stripped and ACCESS_ONLY.match(stripped):
            # UniFFI writes `public` alone on the line before some declarations (Swift errors).
            pending = f"{pending}{stripped} "
            continue
        if depth == 0 and stripped:
            stripped, pending = pending + stripped, ""
            m = decl.match(stripped)
            if m:
                access = m.group("access").split()
                name = m.group("name")
                if language == "swift":
                    exported = "public" in access or "open" in access
                    # `extension Foo: Equatable` of a public type: its members are API if public.
                    if stripped.startswith("extension "):
                        exported = True
                else:
                    exported = not ({"private", "internal"} & set(access))
                current = name
                current_is_api = exported and not SCAFFOLDING_NAME.search(name)
                public_decls += current_is_api
        if current_is_api and unsigned.search(code) and not SCAFFOLDING_LINE.search(code):
            problems.append(f"{path}:{number}: {current}: {raw.strip()}")
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            depth = 0
            if "}" in code:
                # The end of a top-level block: the next top-level line starts anew.
                current, current_is_api = None, False
    return problems, public_decls


def check_file(path):
    p = pathlib.Path(path)
    language = {".swift": "swift", ".kt": "kotlin"}.get(p.suffix)
    if language is None:
        raise SystemExit(f"check_unsigned_api: {path}: not a .swift or .kt file")
    if not p.is_file():
        print(f"check_unsigned_api: {path}: no such file", file=sys.stderr)
        return None
    return check_text(p.read_text(), path, language)


def run(paths):
    total, status = 0, 0
    for path in paths:
        result = check_file(path)
        if result is None:
            status = 2
            continue
        problems, decls = result
        if decls == 0:
            print(f"check_unsigned_api: {path}: no public declaration found (not generated bindings?)", file=sys.stderr)
            status = 2
            continue
        for line in problems:
            print(line)
        total += len(problems)
        print(f"check_unsigned_api: {path}: {decls} public declarations, {len(problems)} with an unsigned type", file=sys.stderr)
    if total and status == 0:
        status = 1
    return status


def self_test():
    """The fixtures: ok.* pass (unsigned types only in UniFFI's scaffolding), bad.* fail on
    exactly the public unsigned uses they plant."""
    here = pathlib.Path(__file__).resolve().parent / "fixtures" / "unsigned-api"
    failures = []
    for name in ("ok.swift", "ok.kt"):
        problems, decls = check_file(here / name)
        if problems or not decls:
            failures.append(f"{name}: expected to pass, got {problems or 'no declarations'}")
    expected = {
        "bad.swift": ["retryAfterMs", "status()", "UInt32", "count: UInt", "UInt8"],
        "bad.kt": ["retryAfterMs", "`status`", "kotlin.UInt", "4u", "UByte"],
    }
    for name, words in expected.items():
        problems, _ = check_file(here / name)
        text = "\n".join(problems)
        missing = [w for w in words if w not in text]
        if len(problems) != len(words) or missing:
            failures.append(f"{name}: expected {len(words)} problems naming {words}, got {problems}")
    for f in failures:
        print(f"check_unsigned_api self-test: {f}", file=sys.stderr)
    print(f"check_unsigned_api self-test: {'FAILED' if failures else 'ok'} (fixtures in {here})", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--self-test"]:
        sys.exit(self_test())
    if not args or any(a.startswith("-") for a in args):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(run(args))
