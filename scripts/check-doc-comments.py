#!/usr/bin/env python3
"""Every public API item of the generated Swift and Kotlin bindings carries a doc comment.

    scripts/check-doc-comments.py [--swift DIR] [--kotlin DIR] [-v]
    scripts/check-doc-comments.py --self-test

    --swift DIR    the generated Swift (default build/swift/Sources/FinConn, written by
                   scripts/gen-swift.sh: FinConn.swift and FinConnCore.swift)
    --kotlin DIR   the generated Kotlin (default build/kotlin-tests/generated, written by
                   scripts/kotlin-tests.sh: io/finconn/finconn_ffi.kt and
                   io/finconn/core/finconn_core.kt; that build has the test-only `testing`
                   exports, so they are checked too)
    -v             also list every item found, documented or not
    --self-test    the fixtures of scripts/fixtures/doc-comments/: each `undocumented-*` file must
                   fail naming exactly the items its first line lists, each `documented-*` file
                   must pass; needs no generated bindings

A doc comment in the generated code comes from the Rust `///` comment of the item: UniFFI 0.32
renders it, in both languages, as a `/** ... */` block right before the declaration (Kotlin's
`docstring` filter and Swift's, gen_kotlin/mod.rs and gen_swift/mod.rs), sometimes glued to it
(`*/override fun ...`, `*/reason: String?`). So the fix for a miss is always a `///` comment in
the Rust source (core/src with the `uniffi` derives, bindings/ffi/src), never an edit of the
generated files.

Items checked (both languages unless said):
  * types: classes, objects and their Kotlin `...Interface` / Swift `...Protocol`, records, enums,
    errors, callback interfaces and foreign traits;
  * record fields (Kotlin: the data class's constructor parameters; Swift: the struct's stored
    properties);
  * enum cases / sealed variants and error variants, and their fields;
  * top-level functions, methods (on objects, enums, errors, records), constructors (primary,
    named and async ones: Kotlin `companion object` functions, Swift `convenience init` and
    `static func`), and the methods of callback interfaces and foreign traits.
An item that appears twice in one language (a method in the class and in its `...Interface` /
`...Protocol`; a foreign trait and its `...Impl` class) is one item, reported once with its first
location.

Not checked, because UniFFI writes them and no Rust doc comment can reach them (EXCLUSIONS below
holds the exact patterns, each with its reason):
  * the FFI machinery: `FfiConverter*`, `RustBuffer*`, `ForeignBytes`, `Uniffi*` / `uniffi*`
    declarations, `*ExternalErrorHandler`, `IntegrityCheckingUniffiLib`, the error classes'
    `companion object ErrorHandler`, anything `internal`, `private`, `fileprivate` or `protected`;
  * UniFFI's own public helpers: Kotlin `Disposable`, `NoHandle`, `InternalException` (the
    panic wrapper), `uniffiEnsureInitialized`, `uniffiForeignFutureHandleCount`; Swift
    `NoHandle`, `uniffiEnsure*Initialized`, `uniffiForeignFutureHandleCount*`;
  * object boilerplate: Kotlin `destroy`, `close`, `uniffiIsDestroyed`, `uniffiCloneHandle`, the
    `withHandle` / `noHandle` constructors; Swift `init(unsafeFromHandle:)`, `init(noHandle:)`,
    `uniffiCloneHandle`, `deinit`;
  * exported Rust trait implementations (Display, Debug, Eq, Hash, Ord), which UniFFI renders
    without docs: Kotlin `toString`, `equals`, `hashCode`, `compareTo`; Swift computed
    `description`, `debugDescription`, `errorDescription`, `hash(into:)`, `==`, `<`;
  * a Swift record's memberwise `init(...)`, which UniFFI writes without a doc (its parameters
    repeat the fields' docs), and a Swift `extension` (conformances only);
  * a flat error's `message` field (UniFFI synthesises it; the variant's doc says what it holds).

Output: one `file:line: kind Name.member has no doc comment` per miss, then the summary
`doc-comments: N items (swift S, kotlin K), M undocumented`. Exit status 1 on a miss, 2 on bad
usage or missing bindings.

Standard library only: the generated code's layout comes from UniFFI's templates and is regular
enough to read with a scanner that knows comments, strings and brackets.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SWIFT = ROOT / "build" / "swift" / "Sources" / "FinConn"
DEFAULT_KOTLIN = ROOT / "build" / "kotlin-tests" / "generated"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "doc-comments"

# (pattern on the item's name, languages, reason). A type matched here is skipped with everything
# in it; a member matched here is skipped. Names are matched whole (re.fullmatch).
EXCLUSIONS: list[tuple[str, str, str]] = [
    # --- types and top-level functions of UniFFI's runtime ---------------------------------
    (r"FfiConverter\w*", "kotlin swift", "UniFFI's lowering/lifting of every type"),
    (r"RustBuffer\w*|ForeignBytes", "kotlin swift", "UniFFI's byte buffers across the FFI"),
    (r"Uniffi\w*|uniffi\w*", "kotlin swift", "UniFFI's internals (handles, call status, futures, init checks)"),
    (r"\w+ExternalErrorHandler|IntegrityCheckingUniffiLib", "kotlin", "UniFFI's error lifting and library loading"),
    (r"Disposable", "kotlin", "UniFFI's interface behind `destroy()` of every object"),
    (r"NoHandle", "kotlin swift", "UniFFI's marker for fake objects in tests"),
    (r"InternalException", "kotlin", "UniFFI's wrapper of a Rust panic, not an exported type"),
    # --- object boilerplate -------------------------------------------------------------------
    (r"destroy|close|uniffiIsDestroyed|uniffiCloneHandle|callWithHandle", "kotlin", "UniFFI's handle management of every object"),
    (r"init\(unsafeFromHandle:\)|init\(noHandle:\)|uniffiCloneHandle", "swift", "UniFFI's handle management of every object"),
    (r"constructor\((withHandle|noHandle)\)", "kotlin", "UniFFI's internal constructors of every object"),
    # --- exported Rust trait implementations (UniFFI renders them without docs) --------------
    (r"toString|equals|hashCode|compareTo", "kotlin", "Rust Display/Debug/Eq/Hash/Ord exports, rendered without docs"),
    (r"description|debugDescription|errorDescription|hash\(into:\)|==|<", "swift", "Rust Display/Debug/Eq/Hash/Ord exports and LocalizedError, rendered without docs"),
]

_EXCLUDE = {lang: [(re.compile(p), why) for p, langs, why in EXCLUSIONS if lang in langs.split()] for lang in ("kotlin", "swift")}


def excluded(language: str, name: str) -> str | None:
    for pattern, why in _EXCLUDE[language]:
        if pattern.fullmatch(name):
            return why
    return None


# ------------------------------------------------------------------------------------------------
# Scanning: comments and strings masked, doc comments kept aside.
# ------------------------------------------------------------------------------------------------


@dataclass
class Source:
    path: Path
    text: str
    masked: str  # comments and string contents replaced by spaces (newlines kept)
    docs: list[tuple[int, int]]  # (start, end) of every `/** ... */` with some text in it
    line_starts: list[int]

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1


def scan(path: Path, text: str) -> Source:
    out = list(text)
    docs: list[tuple[int, int]] = []
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            # Kotlin and Swift block comments nest.
            depth, j = 0, i
            while j < n:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                    if depth == 0:
                        break
                else:
                    j += 1
            if text.startswith("/**", i) and not text.startswith("/**/", i):
                body = text[i + 3 : j - 2]
                if re.search(r"\w", body) and not re.fullmatch(r"\s*\*?\s*@suppress\b[\s\S]*", body.strip(" *\n")):
                    docs.append((i, j))
            blank(i, j)
            i = j
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            blank(i + 3, j - 3)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, j)
            i = j + 1
        elif c == "'" and path.suffix == ".kt" and re.match(r"'(\\.|[^'\\])'", text[i : i + 4]):
            j = text.index("'", i + 1 + (text[i + 1] == "\\"))
            blank(i + 1, j)
            i = j + 1
        else:
            i += 1
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return Source(path, text, "".join(out), docs, starts)


def doc_before(src: Source, start: int, floor: int = 0) -> bool:
    """Whether a doc comment ends right before `start`: only whitespace, annotations (Kotlin
    `@Throws(...)`, `@Suppress(...)`) or a modifier line between the two."""
    best = None
    for a, b in src.docs:
        if floor <= a and b <= start:
            best = (a, b)
        elif a >= start:
            break
    if best is None:
        return False
    between = src.masked[best[1] : start]
    return re.fullmatch(r"(\s|@\w+(\([^()\n]*\))?)*", between) is not None


def matching(masked: str, open_at: int) -> int:
    """Offset of the bracket closing the one at `open_at` (masked text: no comment or string)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = []
    for k in range(open_at, len(masked)):
        ch = masked[k]
        if ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return k
    return len(masked) - 1


def parameters(src: Source, open_at: int) -> list[tuple[str, int, bool]]:
    """The named parameters between the bracket at `open_at` and its match: (name, offset,
    documented). Kotlin `val`/`var` parameters and Swift labels alike."""
    close = matching(src.masked, open_at)
    result = []
    depth, seg_start = 0, open_at + 1
    k = open_at + 1
    segments = []
    while k <= close:
        ch = src.masked[k]
        if ch in "([{" or (ch == "<" and src.masked[k - 1] != "-"):
            depth += 1
        elif ch in ")]}" or (ch == ">" and src.masked[k - 1] != "-"):
            depth -= 1
        if (ch == "," and depth == 0) or k == close:
            segments.append((seg_start, k))
            seg_start = k + 1
        k += 1
    for a, b in segments:
        m = re.match(r"\s*((?:override\s+)?(?:val|var)\s+)?`?(\w+)`?\s*:", src.masked[a:b])
        if not m:
            continue
        at = a + m.start(2) - (1 if src.masked[a + m.start(2) - 1] == "`" else 0)
        result.append((m.group(2), at, doc_before(src, a + m.start(1) if m.group(1) else at, floor=a)))
    return result


# ------------------------------------------------------------------------------------------------
# Items
# ------------------------------------------------------------------------------------------------


@dataclass
class Item:
    language: str
    path: Path
    line: int
    kind: str
    name: str  # qualified: Type, Type.member, Type.Variant.field
    documented: bool


def canonical_type(language: str, name: str) -> str:
    """`FlowInterface`/`FlowProtocol` and `HttpTransportImpl` are the same API item as `Flow` and
    `HttpTransport`."""
    for suffix in (("Interface", "Impl") if language == "kotlin" else ("Protocol", "Impl")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


NON_PUBLIC = re.compile(r"\b(internal|private|fileprivate|protected)\b")


@dataclass
class Frame:
    kind: str  # type kind, "skip" (excluded or non-API) or "block"
    name: str
    flat_error: bool = False


def kotlin_items(src: Source) -> list[Item]:
    items: list[Item] = []
    masked = src.masked
    stack: list[Frame] = []
    pending: Frame | None = None

    def add(kind: str, name: str, offset: int, documented: bool) -> None:
        items.append(Item("kotlin", src.path, src.line_of(offset), kind, name, documented))

    for lineno, start in enumerate(src.line_starts):
        end = src.line_starts[lineno + 1] if lineno + 1 < len(src.line_starts) else len(masked)
        line = masked[start:end]
        stripped = line.strip()
        top = stack[-1] if stack else None
        at_api_level = top is None or top.kind not in ("skip", "block")
        decl_at = start + (len(line) - len(line.lstrip()))
        # Leading annotations on the declaration's own line (`@Throws(X::class) fun ...`).
        body = re.sub(r"^(@\w+(\([^()]*\))?\s*)+", "", stripped)
        if stripped and at_api_level:
            container = top.name if top else None
            m_type = re.match(
                r"((?:public|internal|private|protected|open|data|enum|sealed|abstract|inner)\s+)*(class|interface|object)\s+(\w+)",
                body,
            )
            m_fun = re.match(r"((?:public|internal|private|protected|open|override|suspend|inline|operator)\s+)*fun\s+(?:<[^>]*>\s*)?`?(\w+)`?\s*\(", body)
            m_ctor = re.match(r"((?:public|internal|private|protected)\s+)*constructor\s*\((\w+)?", body)
            m_companion = re.match(r"companion\s+object\b\s*(\w+)?", body)
            m_entry = re.fullmatch(r"`?([A-Z][A-Z0-9_]*)`?\s*[,;]?", body)
            if m_companion:
                named = m_companion.group(1)
                pending = Frame("skip" if named else "companion", container or "")
            elif m_type:
                name = m_type.group(3)
                modifiers = m_type.group(0)
                kind = m_type.group(2)
                if "enum " in modifiers:
                    kind = "enum"
                elif "sealed " in modifiers:
                    kind = "sealed"
                elif "data " in modifiers and container is None:
                    kind = "record"
                qualified = name if container is None else f"{container}.{name}"
                why = NON_PUBLIC.search(modifiers) or excluded("kotlin", name)
                if container is not None and top is not None and top.kind not in ("sealed",):
                    why = why or "nested class of a non-sealed type"
                if why:
                    pending = Frame("skip", qualified)
                else:
                    canonical = qualified if container else canonical_type("kotlin", name)
                    item_kind = "variant" if container else kind
                    add(item_kind, canonical, decl_at, doc_before(src, decl_at))
                    paren = masked.find("(", start + line.index(name) + len(name), end) if "(" in masked[start:end] else -1
                    if kind in ("class", "record") and paren >= 0 and (container is None or item_kind == "variant"):
                        # Record fields / variant fields: the constructor's parameters.
                        flat = bool(top and top.flat_error)
                        for field, at, documented in parameters(src, paren):
                            if flat and field == "message":
                                continue
                            add("field", f"{canonical}.{field}", at, documented)
                    pending = Frame(kind, canonical)
                    # A flat error's variants are `class X(message: String) : XException(message)`.
                    if kind == "sealed" and "Exception" in body:
                        pending.flat_error = _kotlin_flat_error(src, start)
            elif m_ctor and container is not None:
                pending = None
                label = m_ctor.group(2) or ""
                name = f"constructor({label})"
                if not (NON_PUBLIC.search(m_ctor.group(0)) or excluded("kotlin", name)):
                    add("constructor", f"{container}.<init>", decl_at, doc_before(src, decl_at))
            elif m_fun:
                pending = None
                name = m_fun.group(2)
                if not (NON_PUBLIC.search(m_fun.group(0) or "") or excluded("kotlin", name)):
                    qualified = name if container is None else f"{container}.{name}"
                    kind = "function" if container is None else "method"
                    if top is not None and top.kind == "companion":
                        kind = "constructor"
                    add(kind, qualified, decl_at, doc_before(src, decl_at))
            elif m_entry and top is not None and top.kind == "enum":
                add("case", f"{container}.{m_entry.group(1)}", decl_at, doc_before(src, decl_at))
        # Brackets of this line.
        for k in range(start, end):
            ch = masked[k]
            if ch == "{":
                if pending is not None:
                    stack.append(pending)
                    pending = None
                else:
                    stack.append(Frame("block", ""))
            elif ch == "}":
                pending = None
                if stack:
                    stack.pop()
        # A declaration without a body (`object Gone : FeatureOutcome()`) leaves `pending` set
        # until the next declaration replaces it; an enum entry list never opens a brace.
    return items


def _kotlin_flat_error(src: Source, start: int) -> bool:
    open_at = src.masked.find("{", start)
    close = matching(src.masked, open_at)
    return re.search(r"class\s+\w+\s*\(\s*message:\s*String\s*\)", src.masked[open_at:close]) is not None


def swift_items(src: Source) -> list[Item]:
    items: list[Item] = []
    masked = src.masked
    stack: list[Frame] = []
    pending: Frame | None = None
    carry = ""  # a lone `public` line: the modifier of the next line's declaration
    carry_at = 0

    def add(kind: str, name: str, offset: int, documented: bool) -> None:
        items.append(Item("swift", src.path, src.line_of(offset), kind, name, documented))

    for lineno, start in enumerate(src.line_starts):
        end = src.line_starts[lineno + 1] if lineno + 1 < len(src.line_starts) else len(masked)
        line = masked[start:end]
        stripped = line.strip()
        top = stack[-1] if stack else None
        at_api_level = top is None or top.kind not in ("skip", "block")
        decl_at = start + (len(line) - len(line.lstrip()))
        if re.fullmatch(r"public(\s+indirect)?", stripped):
            carry, carry_at = stripped + " ", decl_at
            continue
        body = carry + stripped
        if carry:
            decl_at, carry = carry_at, ""
        if stripped and at_api_level and not stripped.startswith("#"):
            container = top.name if top else None
            m_type = re.match(
                r"((?:public|open|internal|private|fileprivate|final|indirect)\s+)*(class|struct|enum|protocol|extension|typealias)\s+(\w+)",
                body,
            )
            m_func = re.match(
                r"((?:public|open|internal|private|fileprivate|final|static|class|override|required|convenience|@\w+)\s+)*func\s+(`?[\w]+`?|==|<)\s*\(",
                body,
            )
            m_init = re.match(r"((?:public|open|internal|private|fileprivate|required|convenience|override)\s+)*init\??\s*\((\w+)?", body)
            m_prop = re.match(r"((?:public|open|internal|private|fileprivate|static)\s+)*(var|let)\s+`?(\w+)`?\s*:[^{=]*(\{)?", body)
            m_case = re.match(r"case\s+`?(\w+)`?", body)
            if m_type:
                kind, name, modifiers = m_type.group(2), m_type.group(3), m_type.group(1) or ""
                qualified = name if container is None else f"{container}.{name}"
                why = None
                if kind == "extension":
                    why = "extension"
                elif not re.search(r"\b(public|open)\b", modifiers):
                    why = "not public"
                else:
                    why = excluded("swift", name)
                if why is None and container is not None:
                    why = "nested type"
                if why:
                    pending = Frame("skip", qualified)
                else:
                    canonical = canonical_type("swift", name)
                    if kind == "enum" and "Error" in body.split("{")[0]:
                        kind = "error"
                    add(kind, canonical, decl_at, doc_before(src, decl_at))
                    pending = Frame(kind, canonical)
            elif container is None and m_func:
                pending = None
                name = m_func.group(2).strip("`")
                if re.search(r"\bpublic\b", m_func.group(0) or "") and not excluded("swift", name):
                    add("function", name, decl_at, doc_before(src, decl_at))
            elif container is not None and m_func:
                pending = None
                name = m_func.group(2).strip("`")
                label = name
                if name == "hash":
                    label = "hash(into:)"
                public = re.search(r"\b(public|open)\b", m_func.group(0) or "") or top.kind == "protocol"
                if public and not excluded("swift", label):
                    kind = "constructor" if "static" in (m_func.group(0) or "") else "method"
                    add(kind, f"{container}.{name}", decl_at, doc_before(src, decl_at))
            elif container is not None and m_init:
                pending = None
                label = m_init.group(2) or ""
                public = re.search(r"\b(public|open)\b", m_init.group(0) or "") or top.kind == "protocol"
                if public and not excluded("swift", f"init({label}:)") and top.kind != "struct":
                    add("constructor", f"{container}.init", decl_at, doc_before(src, decl_at))
            elif container is not None and m_prop and top.kind in ("struct", "class", "protocol"):
                pending = None
                name = m_prop.group(3)
                computed = m_prop.group(4) is not None
                public = re.search(r"\b(public|open)\b", m_prop.group(0) or "")
                if public and not (computed and excluded("swift", name)):
                    add("field", f"{container}.{name}", decl_at, doc_before(src, decl_at))
            elif container is not None and m_case and top.kind in ("enum", "error"):
                variant = m_case.group(1)
                add("variant" if top.kind != "error" else "error variant", f"{container}.{variant}", decl_at, doc_before(src, decl_at))
                paren = start + line.find("(", line.index(variant) + len(variant))
                if paren > start + line.index(variant):
                    fields = parameters(src, paren)
                    flat = top.kind == "error" and [f for f, _, _ in fields] == ["message"]
                    for field, at, documented in fields:
                        if not flat:
                            add("field", f"{container}.{variant}.{field}", at, documented)
        for k in range(start, end):
            ch = masked[k]
            if ch == "{":
                if pending is not None:
                    stack.append(pending)
                    pending = None
                else:
                    stack.append(Frame("block", ""))
            elif ch == "}":
                pending = None
                if stack:
                    stack.pop()
    return items


def collect(language: str, paths: list[Path], text: str | None = None) -> list[Item]:
    items: list[Item] = []
    for path in paths:
        src = scan(path, path.read_text() if text is None else text)
        items += kotlin_items(src) if language == "kotlin" else swift_items(src)
    # One item per (kind family, qualified name): a method in the class and in its interface,
    # a foreign trait and its Impl class, a documented copy anywhere makes the item documented
    # only if every copy is (a miss in one copy is what the user of that copy sees).
    merged: dict[tuple[str, str], Item] = {}
    for item in items:
        key = (item.language, item.name)
        if key not in merged:
            merged[key] = item
        elif merged[key].documented and not item.documented:
            merged[key] = item
    return list(merged.values())


def report(items: list[Item], verbose: bool, root: Path = ROOT) -> int:
    missing = [i for i in items if not i.documented]
    for item in items if verbose else missing:
        try:
            shown = item.path.relative_to(root)
        except ValueError:
            shown = item.path
        state = "ok" if item.documented else "has no doc comment"
        print(f"{shown}:{item.line}: {item.language} {item.kind} {item.name} {state}")
    counts = {lang: sum(1 for i in items if i.language == lang) for lang in ("swift", "kotlin")}
    print(f"doc-comments: {len(items)} items (swift {counts['swift']}, kotlin {counts['kotlin']}), {len(missing)} undocumented")
    return 1 if missing else 0


def files(language: str, root: Path) -> list[Path]:
    suffix = ".swift" if language == "swift" else ".kt"
    return sorted(p for p in root.rglob(f"*{suffix}")) if root.is_dir() else [root]


def self_test() -> int:
    failures = 0
    fixtures = sorted(FIXTURES.glob("*"))
    if not fixtures:
        print(f"doc-comments self-test: no fixtures in {FIXTURES}")
        return 2
    for path in fixtures:
        language = "swift" if path.suffix == ".swift" else "kotlin"
        items = collect(language, [path])
        missing = sorted(i.name for i in items if not i.documented)
        if path.name.startswith("undocumented-"):
            first = path.read_text().splitlines()[0]
            m = re.search(r"expect:\s*(.*)", first)
            expected = sorted(m.group(1).split()) if m else []
            if missing != expected or not expected:
                print(f"FAIL {path.name}: expected exactly {expected} undocumented, got {missing}")
                failures += 1
            else:
                print(f"ok   {path.name}: fails as it must ({', '.join(missing)}; {len(items)} items)")
        else:
            if missing:
                print(f"FAIL {path.name}: must pass, got undocumented {missing}")
                failures += 1
            else:
                print(f"ok   {path.name}: passes ({len(items)} items)")
        # Mutations: each doc comment of a documented fixture removed in turn must be reported
        # (except the copies in a Swift record's memberwise init, which is not API).
        if path.name.startswith("documented-"):
            text = path.read_text()
            src = scan(path, text)
            killed = skipped = 0
            for a, b in src.docs:
                opener = src.masked.rfind("public init(", 0, a)
                if language == "swift" and opener >= 0 and matching(src.masked, opener + len("public init")) > a:
                    skipped += 1
                    continue
                mutant = collect(language, [path], text[:a] + " " * (b - a) + text[b:])
                if any(not i.documented for i in mutant):
                    killed += 1
                else:
                    print(f"FAIL {path.name}:{src.line_of(a)}: removing this doc comment went unnoticed")
                    failures += 1
            print(f"ok   {path.name}: {killed} doc comments removed one at a time, each removal reported ({skipped} others skipped: copies in a memberwise init, not API)")
        # Every documented fixture must have items of every kind the check knows.
        if path.name.startswith("documented-"):
            kinds = {i.kind for i in items}
            need = {"kotlin": {"interface", "record", "enum", "sealed", "variant", "field", "case", "method", "constructor", "function"},
                    "swift": {"protocol", "struct", "enum", "error", "variant", "error variant", "field", "method", "constructor", "function"}}[language]
            if need - kinds:
                print(f"FAIL {path.name}: no item of kind {sorted(need - kinds)} found (the fixture or the scanner is off)")
                failures += 1
    print(f"doc-comments self-test: {len(fixtures)} fixtures, {failures} failed")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--swift", type=Path, default=DEFAULT_SWIFT)
    parser.add_argument("--kotlin", type=Path, default=DEFAULT_KOTLIN)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    items: list[Item] = []
    for language, root in (("swift", args.swift), ("kotlin", args.kotlin)):
        paths = files(language, root)
        if not paths or not all(p.is_file() for p in paths):
            print(f"doc-comments: no generated {language} in {root} (run scripts/gen-swift.sh and scripts/kotlin-tests.sh)")
            return 2
        items += collect(language, paths)
    return report(items, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
