#!/usr/bin/env python3
"""Check that the sample apps and the docs' code blocks only use FinConn API names that exist in
the generated bindings.

    scripts/check_sample_api.py [--swift FILE] [--kotlin FILE] [--ios DIR] [--android DIR] [--no-docs] [-v]
    scripts/check_sample_api.py --docs-only FILE.md...   # only these Markdown files' blocks
    scripts/check_sample_api.py --self-test    # prove every check on built-in snippets and fixtures

    --swift FILE    generated Swift bindings (default build/swift/Sources/FinConn/FinConn.swift,
                    written by scripts/gen-swift.sh); FinConnCore.swift beside it (the core's
                    types, the library's second UniFFI component) is read too
    --kotlin FILE   generated Kotlin bindings (default
                    build/kotlin-tests/generated/io/finconn/finconn_ffi.kt, written by
                    scripts/kotlin-tests.sh; that build has the test-only `testing` exports, so
                    on the Kotlin side they count as present); core/finconn_core.kt beside it
                    (package io.finconn.core) is read too
    --ios DIR       Swift sources checked against --swift (default ios-sample): only its UI files
                    (those importing SwiftUI or UIKit); see "Swift: UI files only" below
    --android DIR   Kotlin sources checked against --kotlin (default android-sample)
    --no-docs       skip the Markdown files
    -v              list every FinConn name found in the samples and docs
    --self-test     check built-in mini bindings + snippets: a correct one must pass and each of
                    ~30 broken copies (a misspelt method, label, case, import, override, a name
                    imported from the wrong package …) must be reported; the Swift split too
                    (which files are UI files, only those are walked); the Markdown fences, and
                    the fixtures scripts/fixtures/doc-api-check/ok.md (must pass) and broken.md
                    (each broken block reported at its line); needs no generated bindings

Docs: every ```kotlin (kt, kts) and ```swift block of every *.md file of the repository (not
under build/, target/, .build/, .gradle/, vendor/, dist/ …, nor the fixtures above) is parsed
and walked as if it were a sample file: the blocks of one file and language together, against the
API of that language. A block that does not parse is reported too (it could not be checked). A
Kotlin block with no `import io.finconn…` line is taken as a fragment whose imports the reader
adds; one with such imports must import every library name it uses from the package that declares
it (io.finconn or io.finconn.core), as the samples must. A block that is deliberately not about
the library is exempted by the line `<!-- api-check: skip -->` right before its fence (a mark
anywhere else is reported). Problems are printed as `file.md:line:col: message`.

The Android sample cannot be compiled here (no Android SDK), so this is the check that it still
matches the API the Rust core exports. For the iOS sample it is the check of the UI files only
(see "Swift: UI files only" below). Both the bindings and the samples are
parsed with tree-sitter (the pinned grammars of scripts/parse_check.py, same venv), then:

  * the bindings give the API: every public type (classes, structs, enums, protocols, sealed
    classes and their nested classes, Kotlin interfaces), its members (methods with their
    parameter labels and return types, properties with their types, enum cases with their
    associated values, initialisers) and the top-level functions, and in Kotlin the package of
    each (`import io.finconn.FinConnException` is reported: it is in io.finconn.core);
  * the samples are walked with a small type inference (declared types, constructor calls,
    return and property types from the bindings, `if let` / `guard let`, `as?`, `for … in`,
    closures over collections, `switch` / `when` subjects and Kotlin smart casts, `catch`), and
    every use of a FinConn name is checked:
      - types: type annotations, constructor calls, `FinConn.X`, `import io.finconn.X`,
        `Outer.Nested` (Kotlin sealed subclasses, Swift enum cases);
      - members on values of FinConn types: `flow.sheetResult(…)`, `account.displayLine`,
        `FlowStatus.COMPLETED`, `FinConnError.SnapshotUnusable`;
      - argument labels / named arguments of FinConn initialisers, methods, functions and enum
        cases (and the required ones being present);
      - implicit members where the expected FinConn type is known (`case .Offline:` in a
        `switch` on a FinConnError, `permissions: [.balances]`, `let r: SheetResult = .canceled`);
      - protocol / interface implementations: a sample class conforming to `HeadersProvider`,
        `FlowListener` or `Logger` implements every requirement, and Kotlin `override`s exist;
      - names that are unknown everywhere but within a typo of a FinConn name (`FlowClint`).

Swift: UI files only. Every ios-sample file that imports neither SwiftUI nor UIKit is compiled on
Linux by scripts/ios-sample-check.sh against the real FinConn module (and stubs of Stripe's API),
which checks far more than this script can; those files are parsed here only for what they declare
(so that `model.details[id]` in a view is typed by the struct a compiled file declares) and are not
walked. The UI files (SwiftUI views, the App, the UIKit presenter, AppModel) cannot be compiled
without Apple's SDKs: they are walked as before. ios-sample/LinuxCheck (the stubs and the Linux
tests) is not sample code and is skipped. UI_IMPORT below is the same rule as the shell script's.

Any miss is printed as `file:line:col: message` and the exit status is 1. The last line is the
summary, e.g. `sample-api-check: 222 names used, all present`. Exit status 2: bad usage or a
missing input (generate the bindings first).

Limits: the inference is local and deliberately small. A FinConn value reached through something
it cannot type (a generic platform API, a closure parameter of an unknown function) is not
checked: the check reports only what it can resolve, so it is built not to raise false alarms,
but a name hidden that way can slip through.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import re
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
sys.dont_write_bytecode = True  # no scripts/__pycache__ from the import below
import parse_check  # noqa: E402  (shared venv, pinned grammars, Swift quirk rewrites)

DEFAULT_SWIFT = ROOT / "build" / "swift" / "Sources" / "FinConn" / "FinConn.swift"
DEFAULT_KOTLIN = ROOT / "build" / "kotlin-tests" / "generated" / "io" / "finconn" / "finconn_ffi.kt"
SWIFT_MODULES = ("FinConn",)  # `FinConn.Logger` names the bindings' type
# The library has two UniFFI components (uniffi.toml): the FFI crate's API and the core's own types.
# Swift: both generated files are compiled into the one module FinConn. Kotlin: one package each.
KOTLIN_PACKAGE = "io.finconn"
KOTLIN_CORE_PACKAGE = "io.finconn.core"
# The optional Stripe adapter (bindings/android-stripe), hand-written.
KOTLIN_STRIPE_PACKAGE = "io.finconn.stripe"
KOTLIN_PACKAGES = (KOTLIN_PACKAGE, KOTLIN_CORE_PACKAGE, KOTLIN_STRIPE_PACKAGE)


def generated_files(language: str, main: Path) -> list[Path]:
    """The generated bindings of both components, from the path of the FFI crate's file: Swift
    `FinConn.swift` + `FinConnCore.swift` beside it (scripts/gen-swift.sh); Kotlin `finconn_ffi.kt`
    + `core/finconn_core.kt` (scripts/kotlin-tests.sh)."""
    core = main.parent / "FinConnCore.swift" if language == "swift" else main.parent / "core" / "finconn_core.kt"
    return [main, core]


def kotlin_package_of(names: list[str]) -> tuple[str | None, list[str]]:
    """`io.finconn.core.X.Y` → ("io.finconn.core", ["X", "Y"]); a name outside the library → (None, names)."""
    for pkg in sorted(KOTLIN_PACKAGES, key=len, reverse=True):
        parts = pkg.split(".")
        if names[: len(parts)] == parts:
            return pkg, names[len(parts):]
    return None, names


def _bootstrap() -> None:
    """Re-run this script in parse_check's venv when the pinned parsers are not importable."""
    if parse_check._parsers_ok():
        return
    if sys.version_info < (3, 10):
        sys.exit(f"sample-api-check: Python >= 3.10 needed, this is {sys.version.split()[0]}")
    if os.environ.get("FINCONN_SAMPLE_API_BOOTSTRAPPED"):
        sys.exit(f"sample-api-check: pinned parsers still missing in {sys.prefix}")
    python = parse_check.VENV_DIR / "bin" / "python"
    stamp = parse_check.VENV_DIR / ".requirements.sha256"
    digest = hashlib.sha256(parse_check.REQUIREMENTS.read_bytes()).hexdigest()
    if not python.exists() or not stamp.exists() or stamp.read_text().strip() != digest:
        print(f"sample-api-check: installing {parse_check.REQUIREMENTS.name} into {parse_check.VENV_DIR}", file=sys.stderr)
        if not python.exists():
            venv.EnvBuilder(with_pip=True).create(parse_check.VENV_DIR)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(parse_check.REQUIREMENTS)],
            check=True,
            stdout=sys.stderr,
        )
        stamp.write_text(digest + "\n")
    env = dict(os.environ, FINCONN_SAMPLE_API_BOOTSTRAPPED="1")
    os.execve(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]], env)


# ==============================================================================================
# Types and the API model
# ==============================================================================================


@dataclass(frozen=True)
class Ty:
    """A type as far as this check cares: a (possibly dotted) name, the element type of a
    collection, and whether the expression *is* the type (`FlowStatus` in `FlowStatus.COMPLETED`)."""

    name: str
    elem: "Ty | None" = None
    meta: bool = False
    # Swift closure/function types: parameter types, for closures passed where one is expected.
    params: tuple = ()

    def as_meta(self) -> "Ty":
        return Ty(self.name, self.elem, True, self.params)

    def as_value(self) -> "Ty":
        return Ty(self.name, self.elem, False, self.params)


COLLECTIONS = {"Array", "List", "MutableList", "Set", "MutableSet", "Collection", "Iterable", "Sequence", "ArrayList"}
MAPS = {"Dictionary", "Map", "MutableMap", "HashMap"}


@dataclass
class Param:
    label: str | None  # Swift: external label (None for `_`); Kotlin: the parameter name
    name: str
    type: Ty | None
    has_default: bool


@dataclass
class Member:
    name: str
    kind: str  # method | property | case | init
    params: list[Param] = field(default_factory=list)
    type: Ty | None = None  # property type, method return type
    has_parens: bool = False  # enum case with associated values


@dataclass
class TypeInfo:
    name: str
    kind: str  # class | struct | enum | protocol | interface | object | error
    members: dict[str, list[Member]] = field(default_factory=dict)
    inits: list[list[Param]] = field(default_factory=list)
    supers: list[str] = field(default_factory=list)
    nested: set[str] = field(default_factory=set)
    is_enum: bool = False

    def add(self, m: Member) -> None:
        self.members.setdefault(m.name, []).append(m)


@dataclass
class Api:
    language: str
    types: dict[str, TypeInfo] = field(default_factory=dict)
    functions: dict[str, list[Member]] = field(default_factory=dict)
    # Kotlin: the packages declaring each top-level type or function (UniFFI's own helpers, such
    # as InternalException, are in both).
    packages: dict[str, set[str]] = field(default_factory=dict)
    # Kotlin: extension functions (`fun FlowClient.Companion.open(…)`), by name, with the packages
    # declaring them: a member of their receiver type, imported by name like a function.
    extensions: dict[str, set[str]] = field(default_factory=dict)

    def type(self, name: str | None) -> TypeInfo | None:
        return self.types.get(name) if name else None

    def lookup(self, type_name: str, member: str, seen: set[str] | None = None) -> list[Member] | None:
        """Members named `member` of a type or of its supertypes in the bindings."""
        info = self.types.get(type_name)
        if info is None:
            return None
        seen = seen or set()
        seen.add(type_name)
        found = list(info.members.get(member, []))
        for sup in info.supers:
            if sup in self.types and sup not in seen:
                found += self.lookup(sup, member, seen) or []
        return found or None

    def all_names(self) -> set[str]:
        names = set(self.types) | set(self.functions)
        return {n.split(".")[-1] for n in names} | names


# Members every value has, whatever the bindings say (compiler-generated or inherited).
SWIFT_BUILTINS = {"self", "hashValue", "hash", "description", "debugDescription", "localizedDescription", "errorDescription"}
KOTLIN_BUILTINS = {
    "toString", "equals", "hashCode", "let", "also", "apply", "run", "takeIf", "takeUnless", "javaClass",
    "close", "destroy", "use", "copy", "message", "cause", "localizedMessage", "stackTrace", "printStackTrace",
    "stackTraceToString",
}
KOTLIN_ENUM_BUILTINS = {"name", "ordinal", "entries", "values", "valueOf"}


def _text(node) -> str:
    return node.text.decode("utf-8", errors="replace")


def _strip_ticks(name: str) -> str:
    return name.replace("`", "")


def _kids(node, *types: str):
    return [c for c in node.children if not types or c.type in types]


def _first(node, *types: str):
    for c in node.children:
        if c.type in types:
            return c
    return None


# ==============================================================================================
# Type syntax → Ty
# ==============================================================================================


def swift_type(node) -> Ty | None:
    if node is None:
        return None
    t = node.type
    if t in ("optional_type", "implicitly_unwrapped_optional_type"):
        inner = node.child_by_field_name("wrapped") or _first(node, "user_type", "array_type", "dictionary_type", "tuple_type", "function_type")
        return swift_type(inner)
    if t == "type_annotation":
        return swift_type(node.child_by_field_name("name") or (node.named_children[-1] if node.named_children else None))
    if t == "array_type":
        inner = node.child_by_field_name("element") or (node.named_children[0] if node.named_children else None)
        return Ty("Array", swift_type(inner))
    if t == "dictionary_type":
        value = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
        return Ty("Dictionary", swift_type(value))
    if t == "user_type":
        parts = [_text(c) for c in node.children if c.type == "type_identifier"]
        while len(parts) > 1 and parts[0] in SWIFT_MODULES + ("Swift",):
            parts = parts[1:]
        return Ty(".".join(parts)) if parts else None
    if t == "function_type":
        params = []
        tup = _first(node, "tuple_type", "function_type_parameters")
        if tup is not None:
            for c in tup.named_children:
                inner = c
                if c.type == "tuple_type_item":
                    inner = c.named_children[-1] if c.named_children else None
                params.append(swift_type(inner))
        return Ty("->", params=tuple(params))
    if t in ("type_modifiers", "attribute"):
        return None
    # attributed types (`@escaping @Sendable (X) -> Y`), parenthesised types …
    for c in node.named_children:
        r = swift_type(c)
        if r is not None:
            return r
    return None


def kotlin_type(node) -> Ty | None:
    if node is None:
        return None
    t = node.type
    if t in ("nullable_type", "parenthesized_type", "type_reference", "non_nullable_type"):
        for c in node.named_children:
            r = kotlin_type(c)
            if r is not None:
                return r
        return None
    if t == "user_type":
        parts = [_strip_ticks(_text(c)) for c in node.children if c.type in ("identifier", "type_identifier", "simple_identifier")]
        if kotlin_package_of(parts)[0] is not None:
            parts = kotlin_package_of(parts)[1]
        if parts and parts[0] == "kotlin" and len(parts) > 1:
            parts = parts[1:]
        args = _first(node, "type_arguments")
        elem = None
        if args is not None:
            projections = [c for c in args.named_children]
            if projections:
                elem = kotlin_type(projections[-1])
        if not parts:
            return None
        return Ty(".".join(parts), elem)
    if t == "type_projection":
        for c in node.named_children:
            r = kotlin_type(c)
            if r is not None:
                return r
    if t == "function_type":
        params = []
        fp = _first(node, "function_type_parameters")
        if fp is not None:
            params = [kotlin_type(c) for c in fp.named_children]
        return Ty("->", params=tuple(params))
    return None


def element_type(ty: Ty | None) -> Ty | None:
    if ty is None:
        return None
    if ty.name in COLLECTIONS or ty.name in MAPS:
        return ty.elem
    return None


# ==============================================================================================
# Bindings → Api
# ==============================================================================================


def _swift_public(node, default_public: bool) -> bool:
    mods = _first(node, "modifiers")
    if mods is None:
        return default_public
    text = " ".join(_text(c) for c in mods.children)
    if any(w in text.split() for w in ("private", "fileprivate", "internal")):
        return False
    if "public" in text or "open" in text:
        return True
    return default_public


def _swift_params(node) -> list[Param]:
    params = []
    for p in _kids(node, "parameter"):
        names = [c for c in p.children if c.type == "simple_identifier"]
        external = p.child_by_field_name("external_name")
        ty = None
        for c in p.children:
            if c.type in ("user_type", "optional_type", "array_type", "dictionary_type", "function_type", "attributed_type", "implicitly_unwrapped_optional_type", "tuple_type"):
                ty = swift_type(c)
        if external is not None:
            ext = _text(external)
            label = None if ext == "_" else ext
            name = _text(names[-1]) if names else ext
        elif len(names) >= 2:
            label, name = _text(names[0]), _text(names[1])
        elif names:
            label = name = _text(names[0])
        else:
            continue
        if label == "_":
            label = None
        params.append(Param(label, name, ty, False))
    # default values: `= expr` after a parameter, as a sibling
    children = node.children
    for i, c in enumerate(children):
        if c.type == "parameter":
            j = i + 1
            if j < len(children) and children[j].type == "=":
                idx = [k for k in children if k.type == "parameter"].index(c)
                params[idx].has_default = True
    return params


def _swift_return_type(node) -> Ty | None:
    seen_arrow = False
    for c in node.children:
        if c.type == "->":
            seen_arrow = True
        elif seen_arrow and c.is_named:
            return swift_type(c)
    return None


def parse_swift_api(text: str) -> Api:
    rewritten, _ = parse_check.rewrite_swift_quirks(text)
    tree = parse_check._parser("swift").parse(rewritten.encode("utf-8"))
    api = Api("swift")

    def decl_name(node) -> str | None:
        n = node.child_by_field_name("name")
        if n is None:
            return None
        if n.type == "user_type":
            return swift_type(n).name
        return _text(n)

    def body_of(node):
        return node.child_by_field_name("body")

    def read_type(node, outer: str | None, public_default: bool) -> None:
        kind_node = node.child_by_field_name("declaration_kind")
        kind = _text(kind_node) if kind_node is not None else ("protocol" if node.type == "protocol_declaration" else "class")
        name = decl_name(node)
        if name is None:
            return
        is_extension = kind == "extension"
        if not is_extension and not _swift_public(node, public_default):
            return
        full = f"{outer}.{name}" if outer else name
        info = api.types.get(full)
        if info is None:
            info = TypeInfo(full, kind)
            api.types[full] = info
            if outer:
                api.types[outer].nested.add(name)
        if kind == "enum":
            info.is_enum = True
        for c in node.children:
            if c.type == "inheritance_specifier":
                sup = swift_type(c.child_by_field_name("inherits_from") or c.named_children[0])
                if sup:
                    info.supers.append(sup.name)
        body = body_of(node)
        if body is None:
            return
        for m in body.named_children:
            t = m.type
            if t in ("function_declaration", "protocol_function_declaration"):
                if t == "function_declaration" and not _swift_public(m, kind == "protocol"):
                    continue
                n = m.child_by_field_name("name")
                if n is None:
                    continue
                info.add(Member(_strip_ticks(_text(n)), "method", _swift_params(m), _swift_return_type(m)))
            elif t == "init_declaration":
                if not _swift_public(m, kind == "protocol"):
                    continue
                info.inits.append(_swift_params(m))
            elif t in ("property_declaration", "protocol_property_declaration"):
                if t == "property_declaration" and not _swift_public(m, kind == "protocol"):
                    continue
                ty = None
                ann = _first(m, "type_annotation")
                if ann is not None:
                    ty = swift_type(ann)
                for pat in _kids(m, "pattern"):
                    bid = pat.child_by_field_name("bound_identifier") or _first(pat, "simple_identifier")
                    if bid is not None:
                        info.add(Member(_text(bid), "property", type=ty))
            elif t == "enum_entry":
                names = [c for c in m.children if c.type == "simple_identifier" and m.field_name_for_child(m.children.index(c)) == "name"]
                data = [c for c in m.children if c.type == "enum_type_parameters"]
                for i, n in enumerate(names):
                    params = []
                    if i < len(data) and data[i] is not None:
                        params = _swift_enum_params(data[i])
                    info.add(Member(_text(n), "case", params, Ty(full), has_parens=bool(data)))
            elif t in ("class_declaration", "protocol_declaration"):
                read_type(m, full, False)

    for node in tree.root_node.named_children:
        if node.type in ("class_declaration", "protocol_declaration"):
            read_type(node, None, False)
        elif node.type == "function_declaration" and _swift_public(node, False):
            n = node.child_by_field_name("name")
            if n is not None:
                api.functions.setdefault(_text(n), []).append(
                    Member(_text(n), "method", _swift_params(node), _swift_return_type(node))
                )
    return api


def _swift_enum_params(node) -> list[Param]:
    """`(flowId: String, from: FlowPhase, to: FlowPhase)` of an enum case."""
    params: list[Param] = []
    pending: str | None = None
    for c in node.children:
        if c.type == "simple_identifier":
            pending = _text(c)
        elif c.type in ("user_type", "optional_type", "array_type", "dictionary_type"):
            params.append(Param(pending, pending or "", swift_type(c), False))
            pending = None
    return params


def _kotlin_modifiers(node) -> set[str]:
    mods = _first(node, "modifiers")
    if mods is None:
        return set()
    return set(_text(mods).split())


def _kotlin_params(node) -> list[Param]:
    params = []
    for p in node.named_children:
        if p.type not in ("parameter", "class_parameter", "function_value_parameter"):
            continue
        if p.type == "function_value_parameter":
            inner = _first(p, "parameter")
            has_default = any(c.type == "=" for c in p.children)
            p = inner if inner is not None else p
        else:
            has_default = any(c.type == "=" for c in p.children)
        ident = _first(p, "identifier", "simple_identifier")
        if ident is None:
            continue
        ty = None
        for c in p.children:
            if c.type in ("user_type", "nullable_type", "function_type", "type_reference"):
                ty = kotlin_type(c)
        name = _strip_ticks(_text(ident))
        params.append(Param(name, name, ty, has_default))
    # `function_value_parameters`: defaults are siblings `= expr` after a parameter
    children = node.children
    for i, c in enumerate(children):
        if c.type == "parameter" and i + 1 < len(children) and children[i + 1].type == "=":
            name = _strip_ticks(_text(_first(c, "identifier", "simple_identifier")))
            for prm in params:
                if prm.name == name:
                    prm.has_default = True
    return params


def _kotlin_decl_name(node) -> str | None:
    n = node.child_by_field_name("name") or _first(node, "identifier", "type_identifier", "simple_identifier")
    return _strip_ticks(_text(n)) if n is not None else None


def _kotlin_receiver(node) -> str | None:
    """The receiver type of an extension function (`fun X.f()`, `fun X.Companion.f()`: `X`)."""
    for c in node.children:
        if c.type in ("function_value_parameters", "identifier", "simple_identifier"):
            return None
        if c.type == "user_type":
            names = [_strip_ticks(_text(p)) for p in c.children if p.type in ("identifier", "type_identifier", "simple_identifier")]
            return names[0] if names else None
    return None


def _kotlin_fun_return(node) -> Ty | None:
    seen_params = False
    for c in node.children:
        if c.type == "function_value_parameters":
            seen_params = True
        elif seen_params and c.type in ("user_type", "nullable_type", "function_type"):
            return kotlin_type(c)
        elif c.type == "function_body":
            break
    return None


BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
UNIFFI_HANDLE_TYPES = {"UniffiWithHandle", "NoHandle"}


def parse_kotlin_api(text: str) -> Api:
    # tree-sitter-kotlin 1.1.0 loses its way on some KDoc comments UniFFI writes (before record
    # fields, between `fun f()` and `= body`): blank every block comment, keeping the lines; and
    # it takes the `suspend { }` builder for a modifier (parse_check.py's quirks c and d).
    text = BLOCK_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    text, _ = parse_check.rewrite_kotlin_quirks(text)
    tree = parse_check._parser("kotlin").parse(text.encode("utf-8"))
    api = Api("kotlin")
    header = re.search(r"^package\s+([\w.]+)", text, re.M)
    package = header.group(1) if header else ""

    def read_type(node, outer: str | None) -> None:
        mods = _kotlin_modifiers(node)
        if mods & {"private", "internal"}:
            return
        name = _kotlin_decl_name(node)
        if name is None:
            return
        kw = "object" if node.type == "object_declaration" else ("interface" if any(c.type == "interface" for c in node.children) else "class")
        full = f"{outer}.{name}" if outer else name
        info = api.types.setdefault(full, TypeInfo(full, kw))
        if not outer:
            api.packages.setdefault(name, set()).add(package)
        if outer:
            api.types[outer].nested.add(name)
            info.supers.append(outer)
        if "enum" in mods:
            info.is_enum = True
        for spec in node.children:
            if spec.type == "delegation_specifiers":
                for d in spec.named_children:
                    target = _first(d, "user_type", "constructor_invocation")
                    if target is not None and target.type == "constructor_invocation":
                        target = _first(target, "user_type")
                    sup = kotlin_type(target) if target is not None else None
                    if sup is not None and sup.name != outer:
                        info.supers.append(sup.name)
        primary = _first(node, "primary_constructor")
        if primary is not None:
            cps = _first(primary, "class_parameters")
            params = _kotlin_params(cps) if cps is not None else []
            info.inits.append(params)
            for cp in (cps.named_children if cps is not None else []):
                if cp.type == "class_parameter" and any(c.type in ("val", "var") for c in cp.children):
                    ident = _first(cp, "identifier", "simple_identifier")
                    ty = None
                    for c in cp.children:
                        if c.type in ("user_type", "nullable_type", "function_type"):
                            ty = kotlin_type(c)
                    info.add(Member(_strip_ticks(_text(ident)), "property", type=ty))
        body = _first(node, "class_body", "enum_class_body")
        if body is None:
            return
        for m in body.named_children:
            t = m.type
            mm = _kotlin_modifiers(m)
            if mm & {"private", "internal", "protected"}:
                continue
            if t == "function_declaration":
                n = _kotlin_decl_name(m)
                fp = _first(m, "function_value_parameters")
                info.add(Member(n, "method", _kotlin_params(fp) if fp is not None else [], _kotlin_fun_return(m)))
            elif t == "property_declaration":
                vd = _first(m, "variable_declaration")
                if vd is not None:
                    ident = _first(vd, "identifier", "simple_identifier")
                    ty = None
                    for c in vd.children:
                        if c.type in ("user_type", "nullable_type"):
                            ty = kotlin_type(c)
                    info.add(Member(_strip_ticks(_text(ident)), "property", type=ty))
            elif t == "secondary_constructor":
                fp = _first(m, "function_value_parameters")
                params = _kotlin_params(fp) if fp is not None else []
                # UniFFI's own constructors from a handle (marked @suppress) are not the API.
                if not (params and params[0].type is not None and params[0].type.name in UNIFFI_HANDLE_TYPES):
                    info.inits.append(params)
            elif t == "enum_entry":
                n = _first(m, "identifier", "simple_identifier")
                if n is not None:
                    info.add(Member(_strip_ticks(_text(n)), "case", type=Ty(full)))
            elif t in ("class_declaration", "object_declaration"):
                read_type(m, full)
            elif t == "companion_object":
                cb = _first(m, "class_body")
                for cm in (cb.named_children if cb is not None else []):
                    if _kotlin_modifiers(cm) & {"private", "internal"}:
                        continue
                    if cm.type == "function_declaration":
                        fp = _first(cm, "function_value_parameters")
                        info.add(Member(_kotlin_decl_name(cm), "method", _kotlin_params(fp) if fp is not None else [], _kotlin_fun_return(cm)))
                    elif cm.type == "property_declaration":  # e.g. PlatformHttpTransport.RESPONSE_HEADERS
                        vd = _first(cm, "variable_declaration")
                        ident = _first(vd, "identifier", "simple_identifier") if vd is not None else None
                        if ident is not None:
                            ty = next((kotlin_type(c) for c in vd.children if c.type in ("user_type", "nullable_type")), None)
                            info.add(Member(_strip_ticks(_text(ident)), "property", type=ty))

    def top_level(node):
        # tree-sitter-kotlin does not parse every construct UniFFI emits; declarations that end
        # up inside an ERROR node are still read.
        for child in node.named_children:
            if child.type == "ERROR":
                yield from top_level(child)
            else:
                yield child

    for node in top_level(tree.root_node):
        if node.type in ("class_declaration", "object_declaration"):
            read_type(node, None)
        elif node.type == "function_declaration" and not (_kotlin_modifiers(node) & {"private", "internal"}):
            n = _kotlin_decl_name(node)
            fp = _first(node, "function_value_parameters")
            member = Member(n, "method", _kotlin_params(fp) if fp is not None else [], _kotlin_fun_return(node))
            receiver = _kotlin_receiver(node)
            if receiver is not None:
                # An extension: a member of its receiver (`X.Companion` extends what `X.` calls).
                api.types.setdefault(receiver, TypeInfo(receiver, "class")).add(member)
                api.extensions.setdefault(n, set()).add(package)
            else:
                api.functions.setdefault(n, []).append(member)
    _kotlin_functions_in_errors(text.encode("utf-8"), tree, api)
    for name in api.functions:
        api.packages.setdefault(name, set()).add(package)
    return api


KOTLIN_FUN = re.compile(rb"\bfun\s+`?([A-Za-z_][A-Za-z0-9_]*)`?\s*\(")
KOTLIN_SCOPES = {"class_declaration", "object_declaration", "class_body", "companion_object", "object_literal", "function_body", "lambda_literal", "block"}


def _kotlin_functions_in_errors(data: bytes, tree, api: Api) -> None:
    """Top-level functions tree-sitter-kotlin could not parse (UniFFI writes `fun f()` and its
    `= body` on the next line, which the grammar rejects): read their signature from the text."""
    for m in KOTLIN_FUN.finditer(data):
        name = m.group(1).decode()
        if name in api.functions:
            continue
        node = tree.root_node.descendant_for_byte_range(m.start(), m.start())
        inside, n = False, node
        while n is not None:
            if n.type in KOTLIN_SCOPES:
                inside = True
                break
            n = n.parent
        if inside:
            continue
        line_start = data.rfind(b"\n", 0, m.start()) + 1
        prefix = data[line_start:m.start()].decode("utf-8", "replace")
        if "private" in prefix.split() or "internal" in prefix.split():
            continue
        depth, i = 0, m.end() - 1
        while i < len(data):
            ch = data[i:i + 1]
            if ch in b"(<":
                depth += 1
            elif ch in b")>" and not (ch == b">" and data[i - 1:i] == b"-"):
                depth -= 1
                if depth == 0:
                    break
            i += 1
        inner = data[m.end():i].decode("utf-8", "replace")
        params, depth, cur = [], 0, ""
        for ch in inner + ",":
            if ch in "(<":
                depth += 1
            elif ch in ")>":
                depth -= 1
            if ch == "," and depth == 0:
                if cur.strip():
                    decl, _, default = cur.partition("=")
                    pname, _, ptype = decl.partition(":")
                    pname = _strip_ticks(pname.strip())
                    ptype = _strip_ticks(ptype.strip().rstrip("?")).replace("kotlin.", "")
                    params.append(Param(pname, pname, Ty(ptype) if ptype else None, bool(default.strip())))
                cur = ""
            else:
                cur += ch
        api.functions.setdefault(name, []).append(Member(name, "method", params, None))


# ==============================================================================================
# Samples
# ==============================================================================================


@dataclass
class Problem:
    path: Path
    line: int
    col: int
    message: str


class Scope:
    def __init__(self, parent: "Scope | None" = None, self_type: str | None = None):
        self.vars: dict[str, Ty | None] = {}
        self.parent = parent
        self.self_type = self_type if self_type is not None else (parent.self_type if parent else None)

    def child(self, self_type: str | None = None) -> "Scope":
        return Scope(self, self_type)

    def bind(self, name: str, ty: Ty | None) -> None:
        self.vars[name] = ty

    def lookup(self, name: str) -> tuple[bool, Ty | None]:
        s: Scope | None = self
        while s is not None:
            if name in s.vars:
                return True, s.vars[name]
            s = s.parent
        return False, None


@dataclass
class SampleDecls:
    """What the samples declare themselves (never FinConn names, never typos of them)."""

    types: dict[str, dict[str, Ty | None]] = field(default_factory=dict)  # type → member → type
    names: set[str] = field(default_factory=set)
    imports: set[str] = field(default_factory=set)  # Kotlin: simple names imported from other packages
    # Swift: the types and protocols the samples declare (not extend): they shadow FinConn's of the
    # same name (the iOS sample's own `SheetPresenter` protocol is not FinConn's foreign trait).
    declared_types: set[str] = field(default_factory=set)


class Checker:
    def __init__(self, api: Api, decls: SampleDecls, builtins: set[str]):
        self.api = api
        self.decls = decls
        self.builtins = builtins
        self.used: set[str] = set()
        self.problems: list[Problem] = []
        self.path = Path()
        self._fc_names = sorted(n for n in api.all_names() if not n.startswith(("FfiConverter", "uniffi", "Uniffi")))

    # ---- reporting ---------------------------------------------------------------------------

    def report(self, node, message: str) -> None:
        row, col = node.start_point
        p = Problem(self.path, row + 1, col + 1, message)
        if all((q.path, q.line, q.col, q.message) != (p.path, p.line, p.col, p.message) for q in self.problems):
            self.problems.append(p)

    def is_api_type(self, name: str | None) -> bool:
        return bool(name) and name in self.api.types

    def near_miss(self, name: str) -> str | None:
        if name in self.decls.names or name in self.decls.imports or name in self.api.types or name in self.api.functions:
            return None
        if len(name) < 5:
            return None
        close = difflib.get_close_matches(name, self._fc_names, n=1, cutoff=0.85)
        if close and close[0][0].lower() == name[0].lower():
            return close[0]
        return None

    # ---- checks ------------------------------------------------------------------------------

    def use_type(self, name: str, node) -> bool:
        """A type name known to come from FinConn (`FinConn.X`, `io.finconn.X`, `Outer.Inner`)."""
        if name in self.api.types:
            self.used.add(name)
            return True
        self.report(node, f"{name}: no such type in the generated {self.api.language} bindings")
        return False

    def member(self, ty: Ty, name: str, node, called: bool = True) -> list[Member] | None:
        """`value.name` / `Type.name` where the receiver's type is a FinConn type. `called`: the
        access is the callee of a call; a method used without one is reported (an object's
        values, such as `SheetConfiguration.clientSecret()`, are methods, not properties)."""
        if not self.is_api_type(ty.name):
            return None
        info = self.api.types[ty.name]
        if ty.meta and name in info.nested:
            self.used.add(f"{ty.name}.{name}")
            return [Member(name, "nested", type=Ty(f"{ty.name}.{name}", meta=True))]
        found = self.api.lookup(ty.name, name)
        if found:
            self.used.add(f"{ty.name}.{name}")
            if not called and all(m.kind == "method" for m in found):
                self.report(node, f"{ty.name}.{name} is a method in the generated {self.api.language} bindings: call it, `{name}()`")
            return found
        if name in self.builtins or (info.is_enum and self.api.language == "kotlin" and name in KOTLIN_ENUM_BUILTINS):
            return []
        what = "case or member" if info.is_enum else ("member or nested type" if info.nested - {"NoHandle"} else "member")
        self.report(node, f"{ty.name} has no {what} `{name}` in the generated {self.api.language} bindings")
        return None

    def arguments(self, owner: str, overloads: list[list[Param]], labels: list[str | None], node, swift_labels: bool) -> None:
        """Labels (Swift) / named arguments (Kotlin) of a call against the declared parameters."""
        if not overloads:
            return
        for lab in labels:
            if lab is not None:
                self.used.add(f"{owner}({lab}:)")
        errors = []
        for params in overloads:
            err = _match_args(params, labels, swift_labels)
            if err is None:
                return
            errors.append(err)
        self.report(node, f"{owner}: {errors[0]}")

    def after_call(self, members: list[Member], labels: list[str | None], owner: str, node, swift_labels: bool) -> Ty | None:
        methods = [m for m in members if m.kind in ("method", "case")]
        if methods:
            overloads = [m.params for m in methods if m.kind == "method" or m.has_parens or m.params]
            if overloads:
                self.arguments(owner, overloads, labels, node, swift_labels)
            elif labels:
                self.report(node, f"{owner} takes no arguments")
            return methods[0].type
        return None


# The label of a Swift trailing closure: it goes to the last parameter.
TRAILING_CLOSURE = "<trailing closure>"


def _match_args(params: list[Param], labels: list[str | None], swift_labels: bool) -> str | None:
    names = [p.label for p in params]
    if swift_labels and labels and labels[-1] == TRAILING_CLOSURE:
        if not params:
            return "a trailing closure, but no parameter takes one"
        labels = labels[:-1] + [params[-1].label]
    if swift_labels:
        pos = 0
        provided: set[str] = set()
        for lab in labels:
            # Swift: arguments in declaration order; labels must match exactly; parameters with
            # a default value may be skipped.
            later = [k for k in range(pos, len(params)) if params[k].label == lab]
            if later:
                skipped = [p.label for p in params[pos:later[0]] if not p.has_default]
                if skipped:
                    return f"missing argument {_labels(skipped)}"
                pos = later[0]
            else:
                if lab is None:
                    return f"missing argument label (expected one of {_labels(names)})"
                if lab in names:
                    return f"argument `{lab}:` out of order (parameters: {_labels(names)})"
                return f"no parameter labelled `{lab}:` (parameters: {_labels(names)})"
            provided.add(lab or "")
            pos += 1
        missing = [p.label for p in params if not p.has_default and (p.label or "") not in provided]
        if missing:
            return f"missing argument {_labels(missing)}"
        return None
    # Kotlin: positional first, then named
    positional = 0
    named: set[str] = set()
    for lab in labels:
        if lab is None:
            if named:
                return "positional argument after named ones"
            positional += 1
        elif lab not in names:
            return f"no parameter named `{lab}` (parameters: {', '.join(n or '_' for n in names)})"
        else:
            named.add(lab)
    if positional > len(params):
        return f"{positional} arguments for {len(params)} parameters"
    covered = {p.name for p in params[:positional]} | named
    missing = [p.name for p in params if not p.has_default and p.name not in covered]
    if missing:
        return f"missing argument {', '.join(missing)}"
    return None


def _labels(names) -> str:
    return ", ".join(f"{n}:" if n else "_" for n in names) or "none"


# ---------------------------------------------------------------------------------------------
# Swift samples
# ---------------------------------------------------------------------------------------------


SWIFT_CLOSURE_OVER_ELEMENTS = {"map", "compactMap", "flatMap", "forEach", "filter", "first", "contains", "sorted", "allSatisfy", "reduce", "ForEach", "List"}


class SwiftWalker:
    def __init__(self, checker: Checker):
        self.c = checker
        self.api = checker.api
        # ids of navigation nodes that are the callee of a call (`a.b()`, not `a.b`)
        self.callees: set[int] = set()

    # ---- declarations pre-pass ----------------------------------------------------------------

    @staticmethod
    def collect(tree, decls: SampleDecls) -> None:
        def walk(node, owner: str | None):
            t = node.type
            if t in ("class_declaration", "protocol_declaration"):
                n = node.child_by_field_name("name")
                name = (swift_type(n).name if n is not None and n.type == "user_type" else _text(n)) if n is not None else None
                kind = node.child_by_field_name("declaration_kind")
                if name and not (kind is not None and _text(kind) == "extension"):
                    decls.names.add(name)
                    decls.declared_types.add(name)
                    decls.types.setdefault(name, {})
                for c in node.children:
                    walk(c, name or owner)
                return
            if t == "property_declaration":
                ty = swift_type(_first(node, "type_annotation"))
                for pat in _kids(node, "pattern"):
                    bid = pat.child_by_field_name("bound_identifier") or _first(pat, "simple_identifier")
                    if bid is not None:
                        decls.names.add(_text(bid))
                        if owner:
                            decls.types.setdefault(owner, {})[_text(bid)] = ty
            elif t in ("function_declaration", "protocol_function_declaration"):
                n = node.child_by_field_name("name")
                if n is not None:
                    decls.names.add(_text(n))
                    if owner:
                        decls.types.setdefault(owner, {})[_text(n) + "()"] = _swift_return_type(node)
                for p in _swift_params(node):
                    decls.names.add(p.name)
            elif t == "enum_entry":
                for c in node.children:
                    if c.type == "simple_identifier":
                        decls.names.add(_text(c))
            elif t in ("simple_identifier",) and node.parent is not None and node.parent.type in ("lambda_parameter", "value_binding_pattern", "pattern"):
                decls.names.add(_text(node))
            for c in node.children:
                walk(c, owner)

        walk(tree.root_node, None)

    # ---- expressions ---------------------------------------------------------------------------

    def type_of(self, node, scope: Scope) -> Ty | None:
        if node is None:
            return None
        t = node.type
        if t == "simple_identifier":
            name = _text(node)
            found, ty = scope.lookup(name)
            if found:
                return ty
            if name in self.api.types:
                return Ty(name, meta=True)
            if name in self.c.decls.types:
                return Ty(name, meta=True)
            return None
        if t == "self_expression":
            return Ty(scope.self_type) if scope.self_type else None
        if t in ("try_expression", "await_expression", "parenthesized_expression"):
            inner = node.child_by_field_name("expr") or (node.named_children[-1] if node.named_children else None)
            return self.type_of(inner, scope)
        if t == "postfix_expression":  # x!, x?
            return self.type_of(node.named_children[0] if node.named_children else None, scope)
        if t == "as_expression":
            return swift_type(node.child_by_field_name("name") or node.named_children[-1])
        if t == "navigation_expression":
            target = node.child_by_field_name("target")
            name = self._suffix_name(node)
            if target is not None and target.type == "simple_identifier" and _text(target) in SWIFT_MODULES:
                return Ty(name, meta=True) if name in self.api.types else None
            recv = self.type_of(target, scope)
            if recv is None or name is None:
                return None
            return self._member_type(recv, name, call=False)
        if t == "call_expression":
            callee = node.named_children[0] if node.named_children else None
            if callee is None:
                return None
            if callee.type == "simple_identifier":
                name = _text(callee)
                found, ty = scope.lookup(name)
                if not found and name in self.api.types:
                    return Ty(name)
                if not found and name in self.c.decls.types:
                    return Ty(name)
                if not found and name in self.api.functions:
                    return self.api.functions[name][0].type
                if not found and scope.self_type:
                    return self.c.decls.types.get(scope.self_type, {}).get(name + "()")
                return None
            if callee.type == "navigation_expression":
                target = callee.child_by_field_name("target")
                name = self._suffix_name(callee)
                recv = self.type_of(target, scope)
                if recv is None or name is None:
                    return None
                return self._member_type(recv, name, call=True)
            if callee.type == "prefix_expression":  # .case(...)
                return None
            return None
        if t == "array_literal":
            elems = [self.type_of(c, scope) for c in node.named_children]
            elems = [e for e in elems if e is not None]
            return Ty("Array", elems[0].as_value()) if elems else None
        return None

    def _member_type(self, recv: Ty, name: str, call: bool) -> Ty | None:
        if self.api.type(recv.name) is not None:
            if recv.meta and name in self.api.types[recv.name].nested:
                return Ty(f"{recv.name}.{name}", meta=True)
            found = self.api.lookup(recv.name, name)
            if not found:
                return None
            m = found[0]
            if m.kind == "case":
                return Ty(recv.name)
            return m.type
        members = self.c.decls.types.get(recv.name)
        if members is not None:
            return members.get(name + "()") if call else members.get(name)
        return None

    @staticmethod
    def _suffix_name(nav) -> str | None:
        suffix = nav.child_by_field_name("suffix")
        if suffix is None:
            return None
        inner = suffix.child_by_field_name("suffix") or _first(suffix, "simple_identifier")
        return _text(inner) if inner is not None else None

    # ---- walking -------------------------------------------------------------------------------

    def walk_file(self, tree) -> None:
        self.visit(tree.root_node, Scope())

    def visit(self, node, scope: Scope, expected: Ty | None = None) -> None:
        t = node.type
        handler = getattr(self, f"v_{t}", None)
        if handler is not None:
            handler(node, scope, expected)
            return
        for c in node.named_children:
            self.visit(c, scope)

    def visit_children(self, node, scope: Scope) -> None:
        for c in node.named_children:
            self.visit(c, scope)

    def v_import_declaration(self, node, scope, expected) -> None:
        pass

    def v_class_declaration(self, node, scope, expected) -> None:
        n = node.child_by_field_name("name")
        name = (swift_type(n).name if n.type == "user_type" else _text(n)) if n is not None else None
        inner = scope.child(self_type=name)
        for member, ty in self.c.decls.types.get(name or "", {}).items():
            if not member.endswith("()"):
                inner.bind(member, ty)
        # protocol conformances to FinConn protocols: every requirement implemented
        implemented = {k[:-2] for k in self.c.decls.types.get(name or "", {}) if k.endswith("()")}
        for c in node.children:
            if c.type == "inheritance_specifier":
                target = c.child_by_field_name("inherits_from") or c.named_children[0]
                sup = self._type_ref(target)
                shadowed = sup in self.c.decls.declared_types
                if sup is not None and not shadowed and self.c.is_api_type(sup) and self.api.types[sup].kind == "protocol":
                    for req, members in self.api.types[sup].members.items():
                        if any(m.kind == "method" for m in members):
                            if req in implemented:
                                self.c.used.add(f"{sup}.{req}")
                            else:
                                self.c.report(target, f"{name} conforms to {sup} but implements no `{req}` (required by the bindings)")
        for c in node.named_children:
            if c.type != "inheritance_specifier":
                self.visit(c, inner)

    def _type_ref(self, node) -> str | None:
        """Check a type written in the sample; returns its name if it is a FinConn type."""
        if node is None:
            return None
        if node.type == "user_type":
            parts = [c for c in node.children if c.type == "type_identifier"]
            names = [_text(p) for p in parts]
            if len(names) >= 2 and names[0] in SWIFT_MODULES:
                full = ".".join(names[1:])
                return full if self.c.use_type(full, parts[1]) else None
            if names and names[0] in self.api.types:
                self.c.used.add(names[0])
                full = names[0]
                for p in parts[1:]:
                    nested = f"{full}.{_text(p)}"
                    if nested not in self.api.types:
                        self.c.report(p, f"{full} has no nested type `{_text(p)}` in the generated swift bindings")
                        return None
                    full = nested
                    self.c.used.add(full)
                return full
            if len(names) == 1:
                close = self.c.near_miss(names[0])
                if close:
                    self.c.report(parts[0], f"unknown type `{names[0]}` (not declared in the samples; FinConn has `{close}`)")
            return None
        for c in node.named_children:
            r = self._type_ref(c)
            if r is not None:
                return r
        return None

    def v_user_type(self, node, scope, expected) -> None:
        self._type_ref(node)

    def v_function_declaration(self, node, scope, expected) -> None:
        inner = scope.child()
        for p in _swift_params(node):
            inner.bind(p.name, p.type)
        self.visit_children(node, inner)

    v_init_declaration = v_function_declaration

    def v_statements(self, node, scope, expected) -> None:
        inner = scope.child()
        for c in node.named_children:
            self.visit(c, inner)

    def v_property_declaration(self, node, scope, expected) -> None:
        ann = _first(node, "type_annotation")
        declared = swift_type(ann) if ann is not None else None
        if ann is not None:
            self.visit(ann, scope)
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value, scope, expected=declared)
        ty = declared if declared is not None else self.type_of(value, scope)
        for pat in _kids(node, "pattern"):
            bid = pat.child_by_field_name("bound_identifier") or _first(pat, "simple_identifier")
            if bid is not None:
                scope.bind(_text(bid), ty.as_value() if ty is not None and ty.meta and value is not None and value.type == "call_expression" else ty)
        for c in node.named_children:
            if c.type in ("computed_property",):
                self.visit(c, scope.child())

    def _conditions(self, node, scope: Scope) -> None:
        """`if let a = x, let b, case …` / `guard …`: bind into `scope`."""
        children = node.children
        i = 0
        while i < len(children):
            c = children[i]
            if node.field_name_for_child(i) == "bound_identifier":
                name = _text(c)
                if i + 2 < len(children) and children[i + 1].type == "=":
                    value = children[i + 2]
                    self.visit(value, scope)
                    scope.bind(name, self.type_of(value, scope))
                    i += 3
                    continue
                found, ty = scope.lookup(name)
                scope.bind(name, ty if found else None)
            elif node.field_name_for_child(i) == "condition" and c.is_named and c.type not in ("value_binding_pattern",):
                self.visit(c, scope)
            i += 1

    def v_if_statement(self, node, scope, expected) -> None:
        inner = scope.child()
        self._conditions(node, inner)
        seen_body = False
        for c in node.children:
            if c.type == "statements" and not seen_body:
                self.visit(c, inner)
                seen_body = True
            elif c.type in ("statements",):
                self.visit(c, scope)
            elif c.type in ("if_statement", "else"):
                if c.type == "if_statement":
                    self.visit(c, scope)

    def v_guard_statement(self, node, scope, expected) -> None:
        self._conditions(node, scope)
        for c in node.children:
            if c.type == "statements":
                self.visit(c, scope)

    def v_for_statement(self, node, scope, expected) -> None:
        inner = scope.child()
        collection = node.child_by_field_name("collection")
        item = node.child_by_field_name("item")
        if collection is not None:
            self.visit(collection, scope)
        elem = element_type(self.type_of(collection, scope))
        if item is not None:
            for ident in _iter_type(item, "simple_identifier"):
                inner.bind(_text(ident), elem)
        for c in node.children:
            if c.type == "statements":
                self.visit(c, inner)

    def v_switch_statement(self, node, scope, expected) -> None:
        subject = node.child_by_field_name("expr")
        self.visit(subject, scope)
        subj_ty = self.type_of(subject, scope)
        for entry in _kids(node, "switch_entry"):
            inner = scope.child()
            for sp in _kids(entry, "switch_pattern"):
                self._case_pattern(sp, subj_ty, inner)
            for c in entry.children:
                if c.type == "statements":
                    self.visit(c, inner)

    def _case_pattern(self, switch_pattern, subj_ty: Ty | None, scope: Scope) -> None:
        pat = _first(switch_pattern, "pattern")
        if pat is None:
            return
        children = pat.children
        if len(children) >= 2 and children[0].type == "." and children[1].type == "simple_identifier":
            case = _text(children[1])
            if subj_ty is not None and self.c.is_api_type(subj_ty.name):
                members = self.c.member(Ty(subj_ty.name), case, children[1])
                assoc = members[0].params if members else []
                subpatterns = [c for c in children[2:] if c.type == "pattern"]
                if members and subpatterns and len(subpatterns) != len(assoc):
                    self.c.report(
                        children[1],
                        f"{subj_ty.name}.{case} has {len(assoc)} associated value(s) in the generated swift "
                        f"bindings; the pattern binds {len(subpatterns)}",
                    )
                for idx, sub in enumerate(subpatterns):
                    bid = _first_descendant(sub, "simple_identifier")
                    if bid is not None and idx < len(assoc):
                        scope.bind(_text(bid), assoc[idx].type)
            return
        for c in pat.named_children:
            self.visit(c, scope)

    def v_catch_block(self, node, scope, expected) -> None:
        inner = scope.child()
        inner.bind("error", Ty("Error"))
        self.visit_children(node, inner)

    def v_lambda_literal(self, node, scope, expected) -> None:
        inner = scope.child()
        params = []
        ftype = node.child_by_field_name("type")
        if ftype is not None:
            for lp in _iter_type(ftype, "lambda_parameter"):
                n = lp.child_by_field_name("name") or _first(lp, "simple_identifier")
                declared = None
                for c in lp.named_children:
                    if c.type not in ("simple_identifier",):
                        declared = swift_type(c)
                        if declared is not None:
                            self._type_ref(c)
                params.append((_text(n) if n is not None else None, declared))
        given = list(expected.params) if expected is not None and expected.name == "->" else []
        for i, (name, declared) in enumerate(params):
            if name:
                inner.bind(name, declared if declared is not None else (given[i] if i < len(given) else None))
        for c in node.named_children:
            if c.type == "statements":
                self.visit(c, inner)
            elif c.type == "capture_list":
                pass

    def v_navigation_expression(self, node, scope, expected) -> None:
        target = node.child_by_field_name("target")
        name = self._suffix_name(node)
        if target is not None and target.type == "simple_identifier" and _text(target) in SWIFT_MODULES:
            if name is not None:
                self.c.use_type(name, node)
            return
        if target is not None:
            self.visit(target, scope)
        recv = self.type_of(target, scope)
        if recv is not None and name is not None:
            called = node.id in self.callees
            self.c.member(recv, name, node.child_by_field_name("suffix") or node, called)

    def v_call_expression(self, node, scope, expected) -> None:
        callee = node.named_children[0] if node.named_children else None
        suffix = _first(node, "call_suffix")
        args = _first(suffix, "value_arguments") if suffix is not None else None
        labels: list[str | None] = []
        arg_values = []
        if args is not None:
            for a in _kids(args, "value_argument"):
                lab = a.child_by_field_name("name")
                labels.append(_text(_first(lab, "simple_identifier") or lab) if lab is not None else None)
                arg_values.append((labels[-1], a.child_by_field_name("value") or (a.named_children[-1] if a.named_children else None)))
        if suffix is not None and _kids(suffix, "lambda_literal"):
            # A trailing closure: the argument of the last parameter (Swift's rule for one).
            labels.append(TRAILING_CLOSURE)
        params: list[Param] = []
        closure_types: list[Ty | None] = []

        if callee is not None:
            if callee.type == "simple_identifier":
                name = _text(callee)
                found, _ = scope.lookup(name)
                if not found and name in self.api.types:
                    self.c.used.add(name)
                    info = self.api.types[name]
                    if info.inits:
                        self.c.arguments(f"{name}.init", info.inits, labels, callee, swift_labels=True)
                        params = info.inits[0]
                elif not found and name in self.api.functions:
                    self.c.used.add(name)
                    self.c.after_call(self.api.functions[name], labels, name, callee, swift_labels=True)
                    params = self.api.functions[name][0].params
                elif not found:
                    close = self.c.near_miss(name)
                    if close:
                        self.c.report(callee, f"unknown name `{name}` (not declared in the samples; FinConn has `{close}`)")
                    if name in SWIFT_CLOSURE_OVER_ELEMENTS and arg_values:
                        closure_types = [element_type(self.type_of(arg_values[0][1], scope))]
            elif callee.type == "navigation_expression":
                self.callees.add(callee.id)
                self.visit(callee, scope)
                target = callee.child_by_field_name("target")
                name = self._suffix_name(callee)
                recv = self.type_of(target, scope)
                if recv is not None and name is not None and self.c.is_api_type(recv.name):
                    members = self.api.lookup(recv.name, name)
                    if members:
                        self.c.after_call(members, labels, f"{recv.name}.{name}", callee, swift_labels=True)
                        params = next((m.params for m in members if m.params), [])
                    elif recv.meta and name in self.api.types[recv.name].nested:
                        nested = f"{recv.name}.{name}"
                        if self.api.types[nested].inits:
                            self.c.arguments(f"{nested}.init", self.api.types[nested].inits, labels, callee, swift_labels=True)
                elif recv is not None and name in SWIFT_CLOSURE_OVER_ELEMENTS:
                    closure_types = [element_type(recv)]
            elif callee.type == "prefix_expression":  # `.case(args)` with a known expected type
                self._implicit_member(callee, expected, labels)
            else:
                self.visit(callee, scope)

        by_label = {p.label: p for p in params}
        for i, (lab, value) in enumerate(arg_values):
            if value is None:
                continue
            p = by_label.get(lab) if lab is not None else (params[i] if i < len(params) and params[i].label is None else None)
            self.visit(value, scope, expected=p.type if p is not None else None)
        if suffix is not None:
            for lam in _kids(suffix, "lambda_literal"):
                exp = Ty("->", params=tuple(closure_types)) if closure_types else None
                self.visit(lam, scope, expected=exp)
            for c in suffix.named_children:
                if c.type not in ("value_arguments", "lambda_literal"):
                    self.visit(c, scope)

    def _implicit_member(self, prefix, expected: Ty | None, labels: list[str | None] | None) -> None:
        target = prefix.child_by_field_name("target") or _first(prefix, "simple_identifier")
        if target is None or target.type != "simple_identifier" or not prefix.children or prefix.children[0].type != ".":
            return
        if expected is None:
            return
        ty = expected if self.c.is_api_type(expected.name) else element_type(expected)
        if ty is None or not self.c.is_api_type(ty.name):
            return
        members = self.c.member(Ty(ty.name, meta=True), _text(target), target)
        if members and labels is not None:
            self.c.after_call(members, labels, f"{ty.name}.{_text(target)}", target, swift_labels=True)

    def v_prefix_expression(self, node, scope, expected) -> None:
        if node.children and node.children[0].type == ".":
            self._implicit_member(node, expected, None)
            return
        self.visit_children(node, scope)

    def v_array_literal(self, node, scope, expected) -> None:
        elem = element_type(expected) if expected is not None else None
        for c in node.named_children:
            self.visit(c, scope, expected=elem)

    def v_assignment(self, node, scope, expected) -> None:
        target = node.child_by_field_name("target")
        result = node.child_by_field_name("result")
        self.visit(target, scope)
        tty = None
        if target is not None:
            inner = target.named_children[0] if target.named_children else None
            tty = self.type_of(inner, scope) if inner is not None else None
        if result is not None:
            self.visit(result, scope, expected=tty)


def _iter_type(node, type_: str):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == type_:
            yield n
        stack.extend(reversed(n.children))


def _first_descendant(node, type_: str):
    for n in _iter_type(node, type_):
        return n
    return None


# ---------------------------------------------------------------------------------------------
# Kotlin samples
# ---------------------------------------------------------------------------------------------


KOTLIN_CLOSURE_OVER_ELEMENTS = {"map", "mapNotNull", "forEach", "filter", "first", "firstOrNull", "any", "all", "none", "count", "sortedBy", "associateBy", "groupBy", "flatMap", "onEach", "find"}
KOTLIN_CLOSURE_OVER_RECEIVER = {"let", "also", "takeIf", "takeUnless", "run", "apply"}


class KotlinWalker:
    def __init__(self, checker: Checker):
        self.c = checker
        self.api = checker.api
        # ids of navigation nodes that are the callee of a call (`a.b()`, not `a.b`)
        self.callees: set[int] = set()

    @staticmethod
    def collect(tree, decls: SampleDecls) -> None:
        def walk(node, owner: str | None):
            t = node.type
            if t in ("class_declaration", "object_declaration"):
                name = _kotlin_decl_name(node)
                if name:
                    decls.names.add(name)
                    members = decls.types.setdefault(name, {})
                    primary = _first(node, "primary_constructor")
                    cps = _first(primary, "class_parameters") if primary is not None else None
                    for cp in (cps.named_children if cps is not None else []):
                        if cp.type == "class_parameter":
                            ident = _first(cp, "identifier", "simple_identifier")
                            ty = None
                            for c in cp.children:
                                if c.type in ("user_type", "nullable_type", "function_type"):
                                    ty = kotlin_type(c)
                            if ident is not None:
                                members[_strip_ticks(_text(ident))] = ty
                                decls.names.add(_strip_ticks(_text(ident)))
                for c in node.children:
                    walk(c, name or owner)
                return
            if t == "import":
                q = _first(node, "qualified_identifier", "identifier")
                if q is not None:
                    parts = [_strip_ticks(_text(c)) for c in q.children if c.type in ("identifier", "simple_identifier")]
                    if parts and ".".join(parts[:-1]) not in KOTLIN_PACKAGES:
                        decls.imports.add(parts[-1])
                return
            if t == "property_declaration":
                vd = _first(node, "variable_declaration")
                if vd is not None:
                    ident = _first(vd, "identifier", "simple_identifier")
                    ty = None
                    for c in vd.children:
                        if c.type in ("user_type", "nullable_type", "function_type"):
                            ty = kotlin_type(c)
                    if ident is not None:
                        decls.names.add(_strip_ticks(_text(ident)))
                        if owner:
                            decls.types.setdefault(owner, {})[_strip_ticks(_text(ident))] = ty
            elif t == "function_declaration":
                name = _kotlin_decl_name(node)
                if name:
                    decls.names.add(name)
                    if owner:
                        decls.types.setdefault(owner, {})[name + "()"] = _kotlin_fun_return(node)
            elif t in ("parameter", "class_parameter", "lambda_parameters", "variable_declaration"):
                ident = _first(node, "identifier", "simple_identifier")
                if ident is not None:
                    decls.names.add(_strip_ticks(_text(ident)))
            for c in node.children:
                walk(c, owner)

        walk(tree.root_node, None)

    # ---- expressions ---------------------------------------------------------------------------

    def type_of(self, node, scope: Scope) -> Ty | None:
        if node is None:
            return None
        t = node.type
        if t in ("identifier", "simple_identifier"):
            name = _strip_ticks(_text(node))
            found, ty = scope.lookup(name)
            if found:
                return ty
            if name in self.api.types and name not in self.c.decls.imports:
                return Ty(name, meta=True)
            if name in self.c.decls.types:
                return Ty(name, meta=True)
            return None
        if t == "this_expression":
            return Ty(scope.self_type) if scope.self_type else None
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and _text(op) == "?:":
                return self.type_of(node.child_by_field_name("left"), scope)
            return None
        if t in ("parenthesized_expression", "postfix_expression", "try_expression"):
            inner = [c for c in node.named_children if c.type not in ("catch_block", "finally_block")]
            if t == "try_expression":
                block = _first(node, "block")
                inner = block.named_children[-1:] if block is not None and block.named_children else []
            return self.type_of(inner[0] if inner else None, scope)
        if t == "as_expression":
            ty_node = next((c for c in node.named_children[1:] if c.type in ("user_type", "nullable_type")), None)
            return kotlin_type(ty_node)
        if t == "navigation_expression":
            target = node.named_children[0] if node.named_children else None
            name_node = node.named_children[-1] if len(node.named_children) > 1 else None
            if name_node is None:
                return None
            recv = self.type_of(target, scope)
            if recv is None:
                return None
            return self._member_type(recv, _strip_ticks(_text(name_node)), call=False)
        if t == "call_expression":
            callee = node.named_children[0] if node.named_children else None
            if callee is None:
                return None
            if callee.type in ("identifier", "simple_identifier"):
                name = _strip_ticks(_text(callee))
                found, ty = scope.lookup(name)
                if not found and name in self.api.types and name not in self.c.decls.imports:
                    return Ty(name)
                if not found and name in self.c.decls.types:
                    return Ty(name)
                if not found and name in self.api.functions and name not in self.c.decls.imports:
                    return self.api.functions[name][0].type
                if not found and scope.self_type:
                    return self.c.decls.types.get(scope.self_type, {}).get(name + "()")
                return None
            if callee.type == "navigation_expression":
                target = callee.named_children[0]
                name_node = callee.named_children[-1]
                recv = self.type_of(target, scope)
                if recv is None:
                    return None
                name = _strip_ticks(_text(name_node))
                if name in KOTLIN_CLOSURE_OVER_RECEIVER and name in ("also", "apply", "takeIf", "takeUnless"):
                    return recv
                return self._member_type(recv, name, call=True)
        return None

    def _member_type(self, recv: Ty, name: str, call: bool) -> Ty | None:
        if self.api.type(recv.name) is not None:
            if recv.meta and name in self.api.types[recv.name].nested:
                return Ty(f"{recv.name}.{name}", meta=not call)
            found = self.api.lookup(recv.name, name)
            if not found:
                return None
            m = found[0]
            if m.kind == "case":
                return Ty(recv.name)
            return m.type
        members = self.c.decls.types.get(recv.name)
        if members is not None:
            return members.get(name + "()") if call else members.get(name)
        return None

    # ---- walking -------------------------------------------------------------------------------

    def walk_file(self, tree) -> None:
        # This file's imports from the library's packages: names, and packages imported with `*`.
        self.imported: dict[str, str] = {}
        self.star_imported: set[str] = set()
        self.visit(tree.root_node, Scope())
        if self.imported or self.star_imported:
            self._imports_cover(tree.root_node)

    def _imports_cover(self, root) -> None:
        """In a file that imports from the library, every library name it uses unqualified must be
        imported from the package that declares it (`HttpMethod` is in io.finconn.core, so
        `import io.finconn.*` does not bring it). A file without such imports (a doc snippet) is
        not held to this."""
        missing: dict[str, object] = {}

        def first_use(node) -> None:
            t = node.type
            if t in ("import", "package_header"):
                return
            if t == "user_type":
                ident = next((c for c in node.children if c.type in ("identifier", "type_identifier", "simple_identifier")), None)
                if ident is not None:
                    names = [_strip_ticks(_text(c)) for c in node.children if c.type in ("identifier", "type_identifier", "simple_identifier")]
                    if kotlin_package_of(names)[0] is None:
                        note(ident)
                for c in node.children:
                    if c.type == "type_arguments":
                        first_use(c)
                return
            if t in ("identifier", "simple_identifier"):
                parent = node.parent
                if parent is not None and parent.type == "navigation_expression" and parent.children and parent.children[0] != node:
                    return  # `x.name`: a member
                if parent is not None and parent.type == "value_argument":
                    sib = node.next_sibling
                    if sib is not None and sib.type == "=":
                        return  # a named argument's name
                if parent is not None and parent.type in ("class_declaration", "object_declaration", "function_declaration", "variable_declaration", "parameter", "class_parameter"):
                    return  # a declaration's own name
                note(node)
                return
            for c in node.children:
                first_use(c)

        def note(ident) -> None:
            name = _strip_ticks(_text(ident))
            packages = self.api.packages.get(name)
            if not packages or name in self.c.decls.names or name in self.c.decls.imports or name in self.c.decls.types:
                return
            if name in self.imported or packages & self.star_imported:
                return
            missing.setdefault(name, ident)

        first_use(root)
        for name, ident in missing.items():
            pkg = sorted(self.api.packages[name])[0]
            self.c.report(ident, f"{name} is not imported: it is in package {pkg} (import {pkg}.{name})")

    def visit(self, node, scope: Scope, expected: Ty | None = None) -> None:
        handler = getattr(self, f"v_{node.type}", None)
        if handler is not None:
            handler(node, scope, expected)
            return
        for c in node.named_children:
            self.visit(c, scope)

    def visit_children(self, node, scope: Scope) -> None:
        for c in node.named_children:
            self.visit(c, scope)

    def v_package_header(self, node, scope, expected) -> None:
        pass

    def v_import(self, node, scope, expected) -> None:
        q = _first(node, "qualified_identifier", "identifier")
        if q is None:
            return
        parts = [c for c in q.children if c.type in ("identifier", "simple_identifier")]
        names = [_strip_ticks(_text(c)) for c in parts]
        star = any(c.type == "*" for c in node.children)
        if star:
            if ".".join(names) in KOTLIN_PACKAGES:
                self.star_imported.add(".".join(names))
            return
        package, rest = kotlin_package_of(names)
        if package is None or not rest:
            return
        last = rest[0]
        if last in self.api.extensions and last not in self.api.types and last not in self.api.functions:
            if package not in self.api.extensions[last]:
                where = " and ".join(sorted(self.api.extensions[last]))
                self.c.report(parts[-1], f"import {'.'.join(names)}: {last} is in package {where}, not {package}")
            return
        declared_in = self.api.packages.get(last, set())
        if last in self.api.types or last in self.api.functions:
            if declared_in and package not in declared_in:
                where = " and ".join(sorted(declared_in))
                self.c.report(parts[-1], f"import {'.'.join(names)}: {last} is in package {where}, not {package}")
                return
            self.c.used.add(last)
            self.imported[last] = package
        else:
            self.c.report(parts[-1], f"import {'.'.join(names)}: no such type or function in the generated kotlin bindings")

    def _type_ref(self, node) -> str | None:
        if node is None:
            return None
        if node.type == "user_type":
            parts = [c for c in node.children if c.type in ("identifier", "type_identifier", "simple_identifier")]
            names = [_strip_ticks(_text(p)) for p in parts]
            package, rest = kotlin_package_of(names)
            if package is not None and rest:
                parts, names = parts[len(names) - len(rest):], rest
                if not self.c.use_type(names[0], parts[0]):
                    return None
            if names and names[0] in self.api.types and names[0] not in self.c.decls.imports and names[0] not in self.c.decls.types:
                self.c.used.add(names[0])
                full = names[0]
                for p, n in zip(parts[1:], names[1:]):
                    nested = f"{full}.{n}"
                    if nested not in self.api.types:
                        self.c.report(p, f"{full} has no nested type `{n}` in the generated kotlin bindings")
                        return None
                    full = nested
                    self.c.used.add(full)
                for c in node.children:
                    if c.type == "type_arguments":
                        self.visit(c, Scope())
                return full
            if len(names) == 1:
                close = self.c.near_miss(names[0])
                if close:
                    self.c.report(parts[0], f"unknown type `{names[0]}` (not declared or imported in the samples; FinConn has `{close}`)")
            for c in node.children:
                if c.type == "type_arguments":
                    self.visit(c, Scope())
            return None
        for c in node.named_children:
            r = self._type_ref(c)
            if r is not None:
                return r
        return None

    def v_user_type(self, node, scope, expected) -> None:
        self._type_ref(node)

    def _conformance(self, node, name: str | None, body) -> None:
        """`class X : FlowListener` / `object : FlowListener`: overrides exist, requirements met."""
        overrides = {}
        if body is not None:
            for m in body.named_children:
                if m.type == "function_declaration" and "override" in _kotlin_modifiers(m):
                    overrides[_kotlin_decl_name(m)] = m
        sups = []
        for spec in node.children:
            if spec.type == "delegation_specifiers":
                for d in spec.named_children:
                    target = _first(d, "user_type", "constructor_invocation")
                    if target is not None and target.type == "constructor_invocation":
                        target = _first(target, "user_type")
                    sup = self._type_ref(target) if target is not None else None
                    if sup is not None:
                        sups.append((sup, target))
        api_sups = [(s, n) for s, n in sups if self.api.types[s].kind == "interface"]
        for sup, target in api_sups:
            for req, members in self.api.types[sup].members.items():
                if any(m.kind == "method" for m in members):
                    if req in overrides:
                        self.c.used.add(f"{sup}.{req}")
                    else:
                        self.c.report(target, f"{name or 'object'} implements {sup} but overrides no `{req}` (required by the bindings)")
        if api_sups and len(sups) == len(api_sups):
            for fn, m in overrides.items():
                if not any(self.api.lookup(s, fn) for s, _ in api_sups):
                    self.c.report(m, f"`override fun {fn}`: not a member of {', '.join(s for s, _ in api_sups)} in the generated kotlin bindings")

    def v_class_declaration(self, node, scope, expected) -> None:
        name = _kotlin_decl_name(node)
        inner = scope.child(self_type=name)
        for member, ty in self.c.decls.types.get(name or "", {}).items():
            if not member.endswith("()"):
                inner.bind(member, ty)
        body = _first(node, "class_body")
        self._conformance(node, name, body)
        for c in node.named_children:
            if c.type != "delegation_specifiers":
                self.visit(c, inner)

    v_object_declaration = v_class_declaration

    def v_object_literal(self, node, scope, expected) -> None:
        body = _first(node, "class_body")
        self._conformance(node, None, body)
        inner = scope.child()
        for c in node.named_children:
            if c.type != "delegation_specifiers":
                self.visit(c, inner)

    def v_function_declaration(self, node, scope, expected) -> None:
        inner = scope.child()
        fp = _first(node, "function_value_parameters")
        if fp is not None:
            for p in _kotlin_params(fp):
                inner.bind(p.name, p.type)
        self.visit_children(node, inner)

    def v_secondary_constructor(self, node, scope, expected) -> None:
        self.v_function_declaration(node, scope, expected)

    def v_block(self, node, scope, expected) -> None:
        inner = scope.child()
        for c in node.named_children:
            self.visit(c, inner)

    v_statements = v_block

    def v_property_declaration(self, node, scope, expected) -> None:
        vd = _first(node, "variable_declaration")
        declared = None
        ident = None
        if vd is not None:
            ident = _first(vd, "identifier", "simple_identifier")
            for c in vd.children:
                if c.type in ("user_type", "nullable_type", "function_type"):
                    declared = kotlin_type(c)
                    self._type_ref(c)
        value = None
        seen_eq = False
        for c in node.children:
            if c.type == "=":
                seen_eq = True
            elif seen_eq and c.is_named:
                value = c
                break
        if value is not None:
            self.visit(value, scope, expected=declared)
        for c in node.named_children:
            if c.type in ("getter", "setter", "property_delegate"):
                self.visit(c, scope.child())
        if ident is not None:
            ty = declared if declared is not None else self.type_of(value, scope)
            if ty is not None and ty.meta and value is not None and value.type == "call_expression":
                ty = ty.as_value()
            scope.bind(_strip_ticks(_text(ident)), ty)

    def v_for_statement(self, node, scope, expected) -> None:
        inner = scope.child()
        vd = _first(node, "variable_declaration")
        collection = None
        seen_in = False
        for c in node.children:
            if c.type == "in":
                seen_in = True
            elif seen_in and c.is_named:
                collection = c
                break
        if collection is not None:
            self.visit(collection, scope)
        elem = element_type(self.type_of(collection, scope))
        if vd is not None:
            ident = _first(vd, "identifier", "simple_identifier")
            if ident is not None:
                inner.bind(_strip_ticks(_text(ident)), elem)
        for c in node.named_children:
            if c.type in ("block", "control_structure_body"):
                self.visit(c, inner)

    def v_when_expression(self, node, scope, expected) -> None:
        subject = _first(node, "when_subject")
        subj_name = None
        if subject is not None:
            self.visit_children(subject, scope)
            expr = subject.named_children[-1] if subject.named_children else None
            if expr is not None and expr.type in ("identifier", "simple_identifier"):
                subj_name = _strip_ticks(_text(expr))
        for entry in _kids(node, "when_entry"):
            inner = scope.child()
            conds = [c for c in entry.named_children if c.type in ("when_condition", "type_test", "range_test")]
            for cond in conds:
                tt = cond if cond.type == "type_test" else _first(cond, "type_test")
                if tt is not None:
                    ty_node = _first(tt, "user_type", "nullable_type")
                    full = self._type_ref(ty_node)
                    if full is not None and subj_name is not None and len(conds) == 1:
                        inner.bind(subj_name, Ty(full))
                else:
                    self.visit(cond, scope)
            for c in entry.named_children:
                if c not in conds:
                    self.visit(c, inner)

    def v_catch_block(self, node, scope, expected) -> None:
        inner = scope.child()
        ident = _first(node, "identifier", "simple_identifier")
        ty_node = _first(node, "user_type", "nullable_type")
        full = self._type_ref(ty_node)
        if ident is not None:
            inner.bind(_strip_ticks(_text(ident)), Ty(full) if full else kotlin_type(ty_node))
        for c in node.named_children:
            if c.type == "block":
                self.visit(c, inner)

    def v_lambda_literal(self, node, scope, expected) -> None:
        inner = scope.child()
        given = list(expected.params) if expected is not None and expected.name == "->" else []
        lp = _first(node, "lambda_parameters")
        if lp is not None:
            idx = 0
            for p in lp.named_children:
                if p.type in ("variable_declaration", "lambda_parameter"):
                    ident = _first_descendant(p, "identifier")
                    declared = None
                    for c in p.children:
                        if c.type in ("user_type", "nullable_type"):
                            declared = kotlin_type(c)
                            self._type_ref(c)
                    if ident is not None:
                        inner.bind(_strip_ticks(_text(ident)), declared if declared is not None else (given[idx] if idx < len(given) else None))
                    idx += 1
        else:
            inner.bind("it", given[0] if given else None)
        for c in node.named_children:
            if c.type != "lambda_parameters":
                self.visit(c, inner)

    def v_navigation_expression(self, node, scope, expected) -> None:
        named = node.named_children
        if len(named) < 2:
            self.visit_children(node, scope)
            return
        target, name_node = named[0], named[-1]
        self.visit(target, scope)
        recv = self.type_of(target, scope)
        if recv is not None and name_node.type in ("identifier", "simple_identifier"):
            self.c.member(recv, _strip_ticks(_text(name_node)), name_node, node.id in self.callees)

    def v_call_expression(self, node, scope, expected) -> None:
        callee = node.named_children[0] if node.named_children else None
        args = _first(node, "value_arguments")
        labels: list[str | None] = []
        values = []
        if args is not None:
            for a in _kids(args, "value_argument"):
                kids = a.children
                if len(kids) >= 3 and kids[0].type in ("identifier", "simple_identifier") and kids[1].type == "=":
                    labels.append(_strip_ticks(_text(kids[0])))
                    values.append(kids[2])
                else:
                    labels.append(None)
                    values.append(a.named_children[-1] if a.named_children else None)
        params: list[Param] = []
        closure: Ty | None = None
        if callee is not None:
            if callee.type in ("identifier", "simple_identifier"):
                name = _strip_ticks(_text(callee))
                found, _ = scope.lookup(name)
                local = name in self.c.decls.imports or name in self.c.decls.types
                if not found and not local and name in self.api.types:
                    self.c.used.add(name)
                    # Its constructors, and top-level functions of the same name (a factory).
                    overloads = self.api.types[name].inits + [f.params for f in self.api.functions.get(name, [])]
                    if overloads:
                        self.c.arguments(name, overloads, labels, callee, swift_labels=False)
                        params = next((o for o in overloads if _match_args(o, labels, False) is None), overloads[0])
                    else:
                        # No constructor a caller can use, only named ones (`FlowClient.open`):
                        # methods of the type that return it.
                        named = sorted({
                            m.name for ms in self.api.types[name].members.values() for m in ms
                            if m.kind == "method" and m.type is not None and m.type.name == name
                        })
                        if named:
                            self.c.report(callee, f"{name} has no public constructor in the generated kotlin bindings: use {' or '.join(f'{name}.{n}(…)' for n in named)}")
                elif not found and not local and name in self.api.functions:
                    self.c.used.add(name)
                    self.c.after_call(self.api.functions[name], labels, name, callee, swift_labels=False)
                    params = self.api.functions[name][0].params
                elif not found and not local:
                    close = self.c.near_miss(name)
                    if close:
                        self.c.report(callee, f"unknown name `{name}` (not declared or imported in the samples; FinConn has `{close}`)")
            elif callee.type == "navigation_expression":
                self.callees.add(callee.id)
                self.visit(callee, scope)
                target, name_node = callee.named_children[0], callee.named_children[-1]
                name = _strip_ticks(_text(name_node))
                recv = self.type_of(target, scope)
                if recv is not None and self.c.is_api_type(recv.name):
                    if recv.meta and name in self.api.types[recv.name].nested:
                        nested = f"{recv.name}.{name}"
                        if self.api.types[nested].inits:
                            self.c.arguments(nested, self.api.types[nested].inits, labels, name_node, swift_labels=False)
                            params = self.api.types[nested].inits[0]
                    else:
                        members = self.api.lookup(recv.name, name)
                        if members:
                            self.c.after_call(members, labels, f"{recv.name}.{name}", name_node, swift_labels=False)
                            params = next((m.params for m in members if m.params), [])
                if recv is not None:
                    if name in KOTLIN_CLOSURE_OVER_ELEMENTS:
                        closure = Ty("->", params=(element_type(recv),))
                    elif name in KOTLIN_CLOSURE_OVER_RECEIVER:
                        closure = Ty("->", params=(recv.as_value(),))
            else:
                self.visit(callee, scope)
        by_name = {p.name: p for p in params}
        for i, (lab, value) in enumerate(zip(labels, values)):
            if value is None:
                continue
            p = by_name.get(lab) if lab is not None else (params[i] if i < len(params) else None)
            self.visit(value, scope, expected=p.type if p is not None else None)
        for c in node.named_children[1:]:
            if c.type == "annotated_lambda":
                for lam in _kids(c, "lambda_literal"):
                    self.visit(lam, scope, expected=closure)
            elif c.type != "value_arguments":
                self.visit(c, scope)

    def v_callable_reference(self, node, scope, expected) -> None:
        pass


# ==============================================================================================
# Driver
# ==============================================================================================


# ios-sample/LinuxCheck: the Stripe stubs and the Linux tests of scripts/ios-sample-check.sh.
SKIPPED_DIRS = {".git", "build", ".gradle", "DerivedData", "LinuxCheck"}

# An import of SwiftUI or UIKit in any form (`import SwiftUI`, `@preconcurrency import UIKit`,
# `import struct SwiftUI.Color`): the same rule as UI_IMPORT in scripts/ios-sample-check.sh.
UI_IMPORT = re.compile(
    r"^[ \t]*(@\w+(\([^)]*\))?[ \t]+)*import[ \t]+((typealias|struct|class|enum|protocol|let|var|func)[ \t]+)?"
    r"(SwiftUI|UIKit)([ \t.]|$)",
    re.MULTILINE,
)


def is_ui_swift(source: str) -> bool:
    """A Swift file that imports SwiftUI or UIKit: not compiled on Linux, so walked here."""
    return UI_IMPORT.search(source) is not None


def sample_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".xcodeproj"))
        for f in sorted(filenames):
            if f.endswith(suffixes) and not f.endswith(".gradle.kts"):
                files.append(Path(dirpath) / f)
    return files


def analyze(language: str, api: Api, sources: list[tuple[Path, str]], walk: set[Path] | None = None) -> Checker:
    """Check sample sources (path, text) against an API; the checker holds what was found. Every
    source is read for its declarations; only those in `walk` (default: all) are checked."""
    parser = parse_check._parser(language)
    trees = []
    for path, source in sources:
        tree = parser.parse(source.encode("utf-8"))
        if tree.root_node.has_error:
            problems, _ = parse_check.check_source(source, language)
            if problems:
                sys.exit(f"sample-api-check: {path} does not parse (run scripts/parse_check.py on it)")
        trees.append((path, tree))
    decls = SampleDecls()
    walker_cls = SwiftWalker if language == "swift" else KotlinWalker
    for _, tree in trees:
        walker_cls.collect(tree, decls)
    checker = Checker(api, decls, SWIFT_BUILTINS if language == "swift" else KOTLIN_BUILTINS)
    walker = walker_cls(checker)
    for path, tree in trees:
        if walk is not None and path not in walk:
            continue
        checker.path = path
        walker.walk_file(tree)
    return checker


# The hand-written sources each package ships beside its generated bindings (the platform
# transports, the FlowClient conveniences), and the optional Stripe adapters (FinConnStripe,
# io.finconn.stripe): part of the API the samples and the docs may use.
HANDWRITTEN = {
    # (FinConn.swift and FinConnCore.swift are there too when swift-tests.sh or
    # build-xcframework.sh installed them: generated, read from build/swift instead.)
    "swift": [
        p
        for p in sorted((ROOT / "bindings" / "swift" / "Sources" / "FinConn").glob("*.swift"))
        if p.name not in ("FinConn.swift", "FinConnCore.swift")
    ]
    + sorted((ROOT / "bindings" / "swift-stripe" / "Sources" / "FinConnStripe").glob("*.swift")),
    "kotlin": sorted((ROOT / "bindings" / "android" / "src" / "main" / "java").rglob("*.kt"))
    + sorted((ROOT / "bindings" / "android-stripe" / "src" / "main" / "java").rglob("*.kt")),
}


def merge_api(api: Api, other: Api) -> None:
    """Adds `other`'s declarations (a hand-written file's) to `api`."""
    for name, info in other.types.items():
        mine = api.types.setdefault(name, TypeInfo(name, info.kind))
        for members in info.members.values():
            for m in members:
                mine.add(m)
        mine.inits += info.inits
        mine.supers += [s for s in info.supers if s not in mine.supers]
        mine.nested |= info.nested
        mine.is_enum |= info.is_enum
    for name, funcs in other.functions.items():
        api.functions.setdefault(name, []).extend(funcs)
    for name, packages in other.packages.items():
        api.packages.setdefault(name, set()).update(packages)
    for name, packages in other.extensions.items():
        api.extensions.setdefault(name, set()).update(packages)


def load_api(language: str, bindings: Path) -> Api:
    """The library's API in one language: the generated bindings of both components and the
    hand-written sources shipped beside them."""
    parse = parse_swift_api if language == "swift" else parse_kotlin_api
    api = Api(language)
    for generated in generated_files(language, bindings):
        merge_api(api, parse(generated.read_text(encoding="utf-8")))
    for extra in HANDWRITTEN[language]:
        merge_api(api, parse(extra.read_text(encoding="utf-8")))
    if not api.types:
        sys.exit(f"sample-api-check: no public type found in {bindings}: not {language} bindings?")
    return api


def check_language(language: str, api: Api, bindings: Path, sample_root: Path, verbose: bool) -> tuple[Checker, int, int]:
    files = sample_files(sample_root, (".swift",) if language == "swift" else (".kt",))
    if not files:
        sys.exit(f"sample-api-check: no {language} source under {sample_root}")
    sources = [(f, f.read_text(encoding="utf-8")) for f in files]
    # Swift: the files without a SwiftUI/UIKit import are compiled by scripts/ios-sample-check.sh.
    walk = {f for f, text in sources if is_ui_swift(text)} if language == "swift" else None
    checker = analyze(language, api, sources, walk)
    if verbose:
        print(f"{language}: {len(api.types)} types and {len(api.functions)} functions in {bindings}")
        for f, _ in sources:
            if walk is not None and f not in walk:
                print(f"  {language}: {f}: compiled by scripts/ios-sample-check.sh, not walked")
        for name in sorted(checker.used):
            print(f"  {language}: {name}")
    return checker, len(files) if walk is None else len(walk), 0 if walk is None else len(files) - len(walk)


# ==============================================================================================
# Docs: the ```kotlin and ```swift blocks of every Markdown file
# ==============================================================================================

# Put on the line right before a fence, it exempts that block (a snippet that is not about the
# library, or cannot be checked). Use sparingly: a skipped block is not checked at all.
DOC_SKIP_MARK = "<!-- api-check: skip -->"
DOC_LANGUAGES = {"kotlin": "kotlin", "kt": "kotlin", "kts": "kotlin", "swift": "swift"}
# Not the project's own documentation: build outputs, tool state and third-party copies.
DOC_SKIPPED_DIRS = {".git", "build", "target", ".build", ".gradle", ".swiftpm", "DerivedData", "node_modules", "vendor", "vendored", "dist"}
# The checker's own fixtures: broken on purpose, checked by --self-test only.
DOC_FIXTURES = SCRIPTS / "fixtures" / "doc-api-check"
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass
class DocBlock:
    path: Path
    language: str
    line: int  # 1-based line of its first code line in the Markdown file
    text: str  # its code lines as written (indentation kept, so columns are the file's)
    skipped: bool


def doc_files(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d not in DOC_SKIPPED_DIRS and not d.endswith(".xcodeproj") and here / d != DOC_FIXTURES
        )
        files += [here / f for f in sorted(filenames) if f.endswith(".md")]
    return files


def doc_blocks(path: Path, text: str) -> tuple[list[DocBlock], list[Problem]]:
    """The fenced code blocks of a Markdown text in the library's languages (the first word of the
    info string: kotlin, kt, kts, swift), and a problem for every skip mark that is not on the line
    right before a fence."""
    lines = text.split("\n")
    blocks: list[DocBlock] = []
    problems: list[Problem] = []
    fence_lines: set[int] = set()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            i += 1
            continue
        fence = m.group("fence")
        fence_lines.add(i)
        info = m.group("info").strip().split()
        language = DOC_LANGUAGES.get(info[0].lower()) if info else None
        j = i + 1
        while j < len(lines):
            closing = lines[j].strip()
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                break
            j += 1
        if language is not None:
            skipped = i > 0 and lines[i - 1].strip() == DOC_SKIP_MARK
            blocks.append(DocBlock(path, language, i + 2, "\n".join(lines[i + 1:j]), skipped))
        i = j + 1
    for n, line in enumerate(lines):
        if line.strip() == DOC_SKIP_MARK and (n + 1) not in fence_lines:
            problems.append(Problem(path, n + 1, 1, f"{DOC_SKIP_MARK} must be on the line right before a code fence"))
    return blocks, problems


@dataclass
class DocReport:
    problems: list[Problem] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    files: int = 0
    blocks: dict[str, int] = field(default_factory=lambda: {"swift": 0, "kotlin": 0})
    skipped: list[DocBlock] = field(default_factory=list)


def check_docs(md_files: list[Path], apis: dict[str, Api]) -> DocReport:
    """Every ```kotlin / ```swift block of `md_files` is parsed and walked like a sample file (the
    blocks of one file and language together, so a type one block declares types another's
    uses), against the API of its language. A block that does not parse is a problem too: it
    could not be checked."""
    report = DocReport()
    for md in md_files:
        blocks, problems = doc_blocks(md, md.read_text(encoding="utf-8"))
        report.problems += problems
        if blocks:
            report.files += 1
        for language in ("swift", "kotlin"):
            sources = []
            for b in blocks:
                if b.language != language:
                    continue
                if b.skipped:
                    report.skipped.append(b)
                    continue
                report.blocks[language] += 1
                # Padded with the lines before it: tree-sitter's rows are then the file's lines.
                source = "\n" * (b.line - 1) + b.text + "\n"
                parse_problems, _ = parse_check.check_source(source, language)
                if parse_problems:
                    first = parse_problems[0]
                    report.problems.append(Problem(md, first.line, first.column, f"this ```{language} block does not parse ({first.detail}): fix it, or mark a snippet that is not about the library with {DOC_SKIP_MARK}"))
                    continue
                sources.append((md, source))
            if sources:
                checker = analyze(language, apis[language], sources)
                report.problems += checker.problems
                report.used |= {f"{language}: {name}" for name in checker.used}
    return report


# ==============================================================================================
# Self-test: the checks fire on built-in snippets (independent of the real API)
# ==============================================================================================

SELF_TEST_SWIFT_API = """
public protocol FlowProtocol: AnyObject, Sendable {
    func sheetResult(result: SheetResult) async throws -> FlowResult
    func handleUrl(url: String) throws -> UrlHandling
}
open class Flow: FlowProtocol, @unchecked Sendable {
    open func sheetResult(result: SheetResult) async throws -> FlowResult { fatalError() }
    open func handleUrl(url: String) throws -> UrlHandling { fatalError() }
}
open class FlowClient: @unchecked Sendable {
    public static func open(config: FlowClientConfig, headers: HeadersProvider?, transport: HttpTransport) async throws -> FlowClient { fatalError() }
    open func newFlow(options: SessionOptions) throws -> Flow { fatalError() }
    open func dataDir() -> String { fatalError() }
}
extension FlowClient {
    public static func open(config: FlowClientConfig, headers: HeadersProvider? = nil) async throws -> FlowClient { fatalError() }
}
public protocol HttpTransport: AnyObject, Sendable {}
public struct FlowClientConfig {
    public var backendUrl: String
    public init(backendUrl: String, returnUrls: [String] = [], androidAppId: String? = nil, dataDir: String) { fatalError() }
}
public struct SessionOptions {
    public init(permissions: [Permission], returnUrl: String? = nil) { fatalError() }
}
public struct FlowResult {
    public var status: FlowStatus
    public var accounts: [Account]
}
public struct UrlHandling {
    public var isFlowUrl: Bool
}
public struct Account {
    public var displayLine: String
}
public enum Permission { case balances; case paymentMethod }
public enum FlowStatus { case completed; case canceled; case failed }
public enum SheetResult { case completed; case failed(error: String) }
public enum FinConnError: Swift.Error { case Offline(reason: String); case Unauthorized(status: UInt16, reason: String) }
public protocol HeadersProvider: AnyObject, Sendable { func headers() -> [String: String] }
public protocol Logger: AnyObject, Sendable { func log(level: LogLevel, target: String, message: String) }
public enum LogLevel { case error; case debug }
public func setLogger(logger: Logger, maxLevel: LogLevel) {}
"""

SELF_TEST_SWIFT_OK = """
import FinConn
final class Sink: FinConn.Logger {
    func log(level: LogLevel, target: String, message: String) {}
}
func demo(error: Error) async throws {
    setLogger(logger: Sink(), maxLevel: .debug)
    let client = try await FlowClient.open(config: FlowClientConfig(backendUrl: "b", dataDir: "d"), headers: nil)
    let flow = try client.newFlow(options: SessionOptions(permissions: [.balances, .paymentMethod]))
    let dir = client.dataDir()
    let handling = try flow.handleUrl(url: "x")
    _ = handling.isFlowUrl
    let result = try await flow.sheetResult(result: .failed(error: "e"))
    for account in result.accounts { _ = account.displayLine }
    switch result.status {
    case .completed: break
    case .canceled, .failed: break
    }
    if let error = error as? FinConnError {
        switch error {
        case .Offline: break
        case .Unauthorized(let status, _): _ = status
        }
    }
}
"""

# (what the snippet breaks, original text, broken text, expected message fragment)
SELF_TEST_SWIFT_CASES = [
    ("method used as a property", "client.dataDir()", "client.dataDir", "is a method in the generated swift bindings: call it"),
    ("case pattern arity", ".Unauthorized(let status, _)", ".Unauthorized(let status)", "has 2 associated value(s)"),
    ("method", "flow.sheetResult(result:", "flow.sheetResults(result:", "no member `sheetResults`"),
    ("property in a for loop", "account.displayLine", "account.displayLines", "no member `displayLines`"),
    ("argument label", "client.newFlow(options:", "client.newFlow(option:", "no parameter labelled `option:`"),
    ("missing label", 'flow.handleUrl(url: "x")', 'flow.handleUrl("x")', "missing argument label"),
    ("missing argument", 'FlowClientConfig(backendUrl: "b", dataDir: "d")', 'FlowClientConfig(backendUrl: "b")', "missing argument dataDir:"),
    ("implicit enum case", "[.balances, .paymentMethod]", "[.balance, .paymentMethod]", "no case or member `balance`"),
    ("case with a label", '.failed(error: "e")', '.failed(reason: "e")', "no parameter labelled `reason:`"),
    ("switch case", "case .canceled, .failed:", "case .cancelled, .failed:", "no case or member `cancelled`"),
    ("error case", "case .Offline: break", "case .Ofline: break", "no case or member `Ofline`"),
    ("type typo", "open(config: FlowClientConfig(", "open(config: FlowClientConfg(", "FinConn has `FlowClientConfig`"),
    ("static method label", "FlowClient.open(config:", "FlowClient.open(configuration:", "no parameter labelled `configuration:`"),
    ("qualified type", "FinConn.Logger", "FinConn.Loger", "Loger: no such type"),
    ("protocol requirement", "func log(level:", "func logg(level:", "implements no `log`"),
    ("function typo", "setLogger(logger:", "setLoger(logger:", "FinConn has `setLogger`"),
]

SELF_TEST_KOTLIN_API = """
package io.finconn
interface FlowInterface {
    suspend fun `sheetResult`(`result`: SheetResult): FlowResult
}
open class Flow: Disposable, AutoCloseable, FlowInterface {
    override suspend fun `sheetResult`(`result`: SheetResult): FlowResult { TODO() }
}
open class FlowClient: Disposable, AutoCloseable {
    fun `newFlow`(`options`: SessionOptions): Flow { TODO() }
    companion object {
        suspend fun `open`(`config`: FlowClientConfig, `headers`: HeadersProvider?, `transport`: HttpTransport): FlowClient { TODO() }
    }
}
interface HttpTransport
suspend fun FlowClient.Companion.open(config: FlowClientConfig, headers: HeadersProvider? = null): FlowClient = TODO()
data class FlowClientConfig (
    var `backendUrl`: kotlin.String,
    var `returnUrls`: List<kotlin.String> = listOf(),
    var `androidAppId`: kotlin.String? = null,
    var `dataDir`: kotlin.String
)
data class SessionOptions (
    var `permissions`: List<Permission>,
    var `returnUrl`: kotlin.String? = null
)
data class FlowResult (
    var `status`: FlowStatus,
    var `accounts`: List<Account>
)
data class Account (
    var `displayLine`: kotlin.String
)
enum class Permission { BALANCES, PAYMENT_METHOD; }
sealed class SheetResult {
    object Completed : SheetResult()
    data class Failed(val `error`: kotlin.String) : SheetResult()
}
interface HeadersProvider {
    fun `headers`(): Map<kotlin.String, kotlin.String>
}
interface Logger {
    fun `log`(`level`: LogLevel, `target`: kotlin.String, `message`: kotlin.String)
}
enum class LogLevel { ERROR, DEBUG; }
fun `setLogger`(`logger`: Logger, `maxLevel`: LogLevel)
    = TODO()
"""

# The second component: the core's types, in their own package.
SELF_TEST_KOTLIN_CORE_API = """
package io.finconn.core
enum class FlowStatus { COMPLETED, CANCELED, FAILED; }
sealed class FinConnException: kotlin.Exception() {
    class Unauthorized(val `status`: kotlin.UShort, val `reason`: kotlin.String) : FinConnException()
}
"""

SELF_TEST_KOTLIN_OK = """
package sample
import io.finconn.core.FinConnException
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.core.FlowStatus
import io.finconn.LogLevel
import io.finconn.Logger
import io.finconn.Permission
import io.finconn.SessionOptions
import io.finconn.SheetResult
import io.finconn.open
import io.finconn.setLogger

class Sink : Logger {
    override fun log(level: LogLevel, target: String, message: String) {}
}

suspend fun demo(e: Exception) {
    setLogger(Sink(), LogLevel.DEBUG)
    val client = FlowClient.open(FlowClientConfig(backendUrl = "b", dataDir = "d"), null)
    val flow = client.newFlow(SessionOptions(permissions = listOf(Permission.BALANCES)))
    val result = flow.sheetResult(SheetResult.Failed(error = "x"))
    result.accounts.forEach { println(it.displayLine) }
    when (result.status) {
        FlowStatus.COMPLETED -> {}
        else -> {}
    }
    when (e) {
        is FinConnException.Unauthorized -> println(e.status)
        else -> {}
    }
}
"""

SELF_TEST_KOTLIN_CASES = [
    ("import", "import io.finconn.FlowClient\n", "import io.finconn.FlowClint\n", "import io.finconn.FlowClint: no such"),
    ("method", "flow.sheetResult(", "flow.sheetResults(", "no member `sheetResults`"),
    ("property through forEach", "it.displayLine", "it.displayLines", "no member `displayLines`"),
    ("named argument", 'backendUrl = "b"', 'backendURL = "b"', "no parameter named `backendURL`"),
    ("missing argument", 'FlowClientConfig(backendUrl = "b", dataDir = "d")', 'FlowClientConfig(backendUrl = "b")', "missing argument dataDir"),
    ("enum entry", "FlowStatus.COMPLETED ->", "FlowStatus.COMPLETE ->", "no case or member `COMPLETE`"),
    ("sealed subclass", "SheetResult.Failed(error", "SheetResult.Faild(error", "no member or nested type `Faild`"),
    ("smart cast member", "println(e.status)", "println(e.statusCode)", "no member `statusCode`"),
    ("nested type in is", "is FinConnException.Unauthorized", "is FinConnException.Unauthorised", "no nested type `Unauthorised`"),
    ("override", "override fun log(level", "override fun logg(level", "overrides no `log`"),
    ("function typo", "setLogger(Sink()", "setLoger(Sink()", "FinConn has `setLogger`"),
    ("import from the other package", "import io.finconn.core.FlowStatus\n", "import io.finconn.FlowStatus\n", "FlowStatus is in package io.finconn.core, not io.finconn"),
    ("library name not imported", "import io.finconn.core.FlowStatus\n", "", "FlowStatus is not imported: it is in package io.finconn.core"),
    ("star import of the wrong package", "import io.finconn.core.FlowStatus\n", "import io.finconn.*\n", "FlowStatus is not imported: it is in package io.finconn.core"),
    ("extension function", "FlowClient.open(", "FlowClient.opne(", "no member `opne`"),
    ("a constructor where there is none", "FlowClient.open(FlowClientConfig", "FlowClient(FlowClientConfig", "FlowClient has no public constructor in the generated kotlin bindings: use FlowClient.open(…)"),
    ("extension argument", "dataDir = \"d\"), null)", "dataDir = \"d\"), null, null, null)", "FlowClient.open"),
    ("extension import from the other package", "import io.finconn.open\n", "import io.finconn.core.open\n", "open is in package io.finconn, not io.finconn.core"),
]

# Changes to the correct Kotlin snippet that must still pass.
SELF_TEST_KOTLIN_STILL_OK = [
    ("star imports of both packages", "import io.finconn.core.FlowStatus\n", "import io.finconn.*\nimport io.finconn.core.*\n"),
    ("a qualified name needs no import", "FlowStatus.COMPLETED ->", "io.finconn.core.FlowStatus.COMPLETED ->"),
]


# The Swift split (UI files walked, the others left to the compiler): a compiled file declares a
# type, a UI file uses a FinConn member through it.
SELF_TEST_SPLIT_COMPILED = """
import FinConn
struct Holder {
    var client: FlowClient
}
func compiledOnLinux(client: FlowClient) -> String {
    client.dataDir()
}
"""

SELF_TEST_SPLIT_UI = """
import FinConn
import SwiftUI
func show(holder: Holder) -> String {
    holder.client.dataDir()
}
"""

# (source, is it a UI file)
SELF_TEST_UI_IMPORTS = [
    ("import SwiftUI\n", True),
    ("import UIKit\n", True),
    ("@preconcurrency import UIKit\n", True),
    ("import struct SwiftUI.Color\n", True),
    ("import Foundation\n  import SwiftUI // indented\n", True),
    ("import SwiftUIIntrospect\n", False),
    ("// import SwiftUI\n", False),
    ("import FinConn\nlet name = \"import UIKit\"\n", False),
]


def self_test_split() -> int:
    """The Swift split: which files are UI files, and that only those are walked, typed by the
    declarations of all."""
    failures = 0
    for source, expected in SELF_TEST_UI_IMPORTS:
        ok = is_ui_swift(source) == expected
        print(f"{'ok  ' if ok else 'FAIL'} swift: {source.strip()!r} is {'a UI file' if expected else 'compiled'}")
        failures += not ok
    api = parse_swift_api(SELF_TEST_SWIFT_API)
    compiled, ui = Path("Compiled.swift"), Path("View.swift")
    for name, compiled_src, ui_src, expect_path in (
        ("UI file walked with a compiled file's types", SELF_TEST_SPLIT_COMPILED, SELF_TEST_SPLIT_UI.replace("dataDir()", "dataDirr()"), ui),
        ("compiled file not walked", SELF_TEST_SPLIT_COMPILED.replace("dataDir()", "dataDirr()"), SELF_TEST_SPLIT_UI, None),
    ):
        sources = [(compiled, compiled_src), (ui, ui_src)]
        checker = analyze("swift", api, sources, {p for p, text in sources if is_ui_swift(text)})
        found = [(p.path, p.message) for p in checker.problems]
        if expect_path is None:
            ok = not found and checker.used == {"FlowClient.dataDir"}  # the UI file's use only
        else:
            ok = any(path == expect_path and "no member `dataDirr`" in message for path, message in found)
        print(f"{'ok  ' if ok else 'FAIL'} swift: {name}: {found[0][1] if found else 'nothing reported'}")
        failures += not ok
    return failures


def self_test_api(language: str):
    if language == "swift":
        return parse_swift_api(SELF_TEST_SWIFT_API)
    api = parse_kotlin_api(SELF_TEST_KOTLIN_API)
    merge_api(api, parse_kotlin_api(SELF_TEST_KOTLIN_CORE_API))
    return api


# What scripts/fixtures/doc-api-check/broken.md must be reported for: (line, message fragment).
SELF_TEST_DOC_BROKEN = [
    (9, "FlowClient has no member `newFlows`"),
    (17, "no parameter labelled `backendURL:`"),
    (25, "HttpMethodd: no such type"),
    (30, "FlowStatus is not imported: it is in package io.finconn.core"),
    (35, "must be on the line right before a code fence"),
    (38, "this ```swift block does not parse"),
]

# (Markdown, the blocks doc_blocks must find: (language, first line, skipped)).
SELF_TEST_FENCES = [
    ("```kotlin\nval a = 1\n```\n", [("kotlin", 2, False)]),
    ("text\n<!-- api-check: skip -->\n```swift title=x\nlet a = 1\n```\n", [("swift", 4, True)]),
    ("1. step\n\n   ```Kotlin\n   val a = 1\n   ```\n", [("kotlin", 4, False)]),
    ("~~~swift\nlet a = \"```\"\n~~~\n```kt\nval b = 2\n```\n", [("swift", 2, False), ("kotlin", 5, False)]),
    ("````md\n```swift\nnot code\n```\n````\n```sh\nls\n```\n", []),
    ("```swift\nlet a = 1\n", [("swift", 2, False)]),
]


def self_test_docs() -> int:
    """The docs check: fences found as Markdown means them, and the fixtures: ok.md passes,
    broken.md fails at each expected line."""
    failures = 0
    for text, expected in SELF_TEST_FENCES:
        blocks, _ = doc_blocks(Path("f.md"), text)
        found = [(b.language, b.line, b.skipped) for b in blocks]
        ok = found == expected
        print(f"{'ok  ' if ok else 'FAIL'} docs: fences in {text[:28]!r}…: {found}")
        failures += not ok
    apis = {language: self_test_api(language) for language in ("swift", "kotlin")}
    ok_report = check_docs([DOC_FIXTURES / "ok.md"], apis)
    ok = not ok_report.problems and ok_report.blocks == {"swift": 2, "kotlin": 2} and len(ok_report.skipped) == 1
    print(f"{'ok  ' if ok else 'FAIL'} docs: ok.md: {ok_report.blocks} checked, {len(ok_report.skipped)} skipped, {len(ok_report.problems)} problem(s)")
    for p in ok_report.problems:
        print(f"       {_show(p)}")
    failures += not ok
    broken = check_docs([DOC_FIXTURES / "broken.md"], apis)
    for line, fragment in SELF_TEST_DOC_BROKEN:
        hit = [p for p in broken.problems if p.line == line and fragment in p.message]
        print(f"{'ok  ' if hit else 'FAIL'} docs: broken.md:{line}: {hit[0].message if hit else 'not reported: ' + fragment}")
        failures += not hit
    extra = [p for p in broken.problems if not any(p.line == line and f in p.message for line, f in SELF_TEST_DOC_BROKEN)]
    for p in extra:
        print(f"FAIL docs: broken.md: unexpected: {_show(p)}")
    failures += bool(extra)
    return failures


def self_test() -> int:
    failures = self_test_split()
    failures += self_test_docs()
    checks = 2 + len(SELF_TEST_UI_IMPORTS) + len(SELF_TEST_FENCES) + 1 + len(SELF_TEST_DOC_BROKEN) + 1
    for language, ok_source, cases, still_ok in (
        ("swift", SELF_TEST_SWIFT_OK, SELF_TEST_SWIFT_CASES, []),
        ("kotlin", SELF_TEST_KOTLIN_OK, SELF_TEST_KOTLIN_CASES, SELF_TEST_KOTLIN_STILL_OK),
    ):
        api = self_test_api(language)
        path = Path(f"self-test.{'swift' if language == 'swift' else 'kt'}")
        clean = analyze(language, api, [(path, ok_source)])
        ok = not clean.problems
        print(f"{'ok  ' if ok else 'FAIL'} {language}: correct snippet, {len(clean.used)} names, {len(clean.problems)} problem(s)")
        for p in clean.problems:
            print(f"       {p.line}:{p.col}: {p.message}")
        failures += not ok
        checks += 1 + len(cases) + len(still_ok)
        for name, old, new in still_ok:
            assert old in ok_source, (language, name)
            checker = analyze(language, api, [(path, ok_source.replace(old, new, 1))])
            ok = not checker.problems
            print(f"{'ok  ' if ok else 'FAIL'} {language}: still correct: {name}{': ' + checker.problems[0].message if checker.problems else ''}")
            failures += not ok
        for name, old, new, expected in cases:
            assert old in ok_source, (language, name)
            checker = analyze(language, api, [(path, ok_source.replace(old, new, 1))])
            messages = [p.message for p in checker.problems]
            ok = any(expected in m for m in messages)
            print(f"{'ok  ' if ok else 'FAIL'} {language}: {name}: {messages[0] if messages else 'not reported'}")
            failures += not ok
    print(f"sample-api-check self-test: {checks - failures} passed, {failures} failed")
    return 1 if failures else 0


def _show(p: Problem) -> str:
    try:
        shown = p.path.relative_to(ROOT)
    except ValueError:
        shown = p.path
    return f"{shown}:{p.line}:{p.col}: {p.message}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--swift", type=Path, default=DEFAULT_SWIFT, help="generated FinConn.swift (FinConnCore.swift is read beside it)")
    ap.add_argument("--kotlin", type=Path, default=DEFAULT_KOTLIN, help="generated finconn_ffi.kt (core/finconn_core.kt is read beside it)")
    ap.add_argument("--ios", type=Path, default=ROOT / "ios-sample", help="iOS sample directory")
    ap.add_argument("--android", type=Path, default=ROOT / "android-sample", help="Android sample directory")
    ap.add_argument("--docs-only", type=Path, nargs="+", metavar="MD", help="check only these Markdown files' code blocks (no samples)")
    ap.add_argument("--no-docs", action="store_true", help="check the samples only")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every FinConn name the samples and docs use")
    ap.add_argument("--self-test", action="store_true", help="prove the checks on built-in snippets and fixtures, and exit")
    args = ap.parse_args()
    _bootstrap()
    if args.self_test:
        return self_test()

    missing = []
    for language, main_file, fix in (("swift", args.swift, "bash scripts/gen-swift.sh"), ("kotlin", args.kotlin, "bash scripts/kotlin-tests.sh")):
        for f in generated_files(language, main_file):
            if not f.is_file():
                missing.append(f"{f} (run: {fix})")
    if not args.docs_only:
        for d in (args.ios, args.android):
            if not d.is_dir():
                missing.append(f"{d} (no such directory)")
    for md in args.docs_only or []:
        if not md.is_file():
            missing.append(f"{md} (no such file)")
    if missing:
        for m in missing:
            print(f"sample-api-check: missing {m}", file=sys.stderr)
        return 2

    apis = {"swift": load_api("swift", args.swift), "kotlin": load_api("kotlin", args.kotlin)}
    problems: list[Problem] = []
    used = 0
    if not args.docs_only:
        for language, bindings, root in (("swift", args.swift, args.ios), ("kotlin", args.kotlin, args.android)):
            checker, nfiles, ncompiled = check_language(language, apis[language], bindings, root, args.verbose)
            problems += checker.problems
            used += len(checker.used)
            files = f"{nfiles} UI files ({ncompiled} others compiled by scripts/ios-sample-check.sh)" if language == "swift" else f"{nfiles} files"
            print(f"sample-api-check: {language}: {files}, {len(checker.used)} names used, {len(checker.problems)} missing")
    if args.docs_only or not args.no_docs:
        md_files = [m.resolve() for m in args.docs_only] if args.docs_only else doc_files(ROOT)
        docs = check_docs(md_files, apis)
        problems += docs.problems
        used += len(docs.used)
        print(
            f"sample-api-check: docs: {len(md_files)} Markdown files, {docs.blocks['swift']} swift and "
            f"{docs.blocks['kotlin']} kotlin blocks in {docs.files} of them, {len(docs.skipped)} marked "
            f"{DOC_SKIP_MARK}, {len(docs.used)} names used, {len(docs.problems)} problems"
        )
        if args.verbose:
            for b in docs.skipped:
                print(f"  docs: skipped: {_show(Problem(b.path, b.line - 1, 1, b.language))}")
            for name in sorted(docs.used):
                print(f"  docs: {name}")
    for p in sorted(problems, key=lambda p: (str(p.path), p.line, p.col)):
        print(_show(p))
    if problems:
        print(f"sample-api-check: {used} names used, {len(problems)} missing from the generated bindings or unreadable")
        return 1
    print(f"sample-api-check: {used} names used, all present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
