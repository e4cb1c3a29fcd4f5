#!/usr/bin/env python3
"""The code blocks of the docs that come from compiled source files say exactly what those files say.

    scripts/check-doc-snippets.py              # every *.md of the repository
    scripts/check-doc-snippets.py --self-test  # the check itself, on temporary files

A fenced block marked by the line `<!-- snippet: PATH -->` right before its fence must hold exactly
the content of PATH (relative to the repository root; trailing newlines aside). The files are
compiled by CI (docs/snippets/android by scripts/stripe-adapters-check.sh --kotlin,
docs/snippets/ios by scripts/stripe-adapters-check.sh --swift), so a marked block is code that
compiles against the real bindings. Also reported: a mark not right before a fence, a mark naming
a file that does not exist, and a file of SNIPPET_DIRS that no block shows (compiled, but not
what the reader sees).

Output: `file.md:line: message` per problem, then `doc-snippets: N marked blocks, M problems`;
exit status 1 on any problem. Standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every file here must be shown by some marked block.
SNIPPET_DIRS = ("docs/snippets/android", "docs/snippets/ios")
MARK = re.compile(r"^<!-- snippet: (?P<path>\S+) -->\s*$")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)")
SKIP_DIRS = {".git", "build", "target", ".build", ".gradle", "node_modules", "vendor", "dist", ".kotlin", ".swiftpm"}


def markdown_files(root: Path) -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
                                cwd=root, capture_output=True, text=True, check=True).stdout.split()
        return sorted(root / p for p in listed if (root / p).is_file())
    except (OSError, subprocess.CalledProcessError):
        return sorted(p for p in root.rglob("*.md") if not SKIP_DIRS & set(p.relative_to(root).parts))


def check(root: Path, md_files: list[Path], snippet_dirs: tuple[str, ...]) -> tuple[int, list[str]]:
    problems: list[str] = []
    shown: set[Path] = set()
    marked = 0
    for md in md_files:
        lines = md.read_text().split("\n")
        where = md.relative_to(root)
        for n, line in enumerate(lines):
            m = MARK.match(line)
            if not m:
                continue
            fence = FENCE.match(lines[n + 1]) if n + 1 < len(lines) else None
            if fence is None:
                problems.append(f"{where}:{n + 1}: a snippet mark must be on the line right before a code fence")
                continue
            marked += 1
            path = root / m.group("path")
            if not path.is_file():
                problems.append(f"{where}:{n + 1}: {m.group('path')} does not exist")
                continue
            shown.add(path.resolve())
            end = n + 2
            while end < len(lines) and not lines[end].startswith(fence.group("fence")):
                end += 1
            block = "\n".join(lines[n + 2 : end]).rstrip("\n")
            source = path.read_text().rstrip("\n")
            if block != source:
                diff = difflib.unified_diff(source.split("\n"), block.split("\n"), m.group("path"), f"{where} (block at line {n + 3})", lineterm="", n=1)
                problems.append(f"{where}:{n + 3}: the block differs from {m.group('path')}:\n" + "\n".join(list(diff)[:20]))
    for directory in snippet_dirs:
        for path in sorted((root / directory).glob("*")):
            if path.is_file() and path.resolve() not in shown:
                problems.append(f"{path.relative_to(root)}: compiled, but no Markdown block shows it (<!-- snippet: {path.relative_to(root)} -->)")
    return marked, problems


def self_test() -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "snippets").mkdir()
        (root / "snippets" / "A.kt").write_text("fun a() = 1\n")
        good = "# Doc\n\n<!-- snippet: snippets/A.kt -->\n```kotlin\nfun a() = 1\n```\n"
        cases = {
            "the same content": (good, 0),
            "a changed line": (good.replace("= 1\n```", "= 2\n```"), 1),
            "a missing file": (good.replace("snippets/A.kt", "snippets/B.kt"), 2),  # + A.kt unshown
            "a mark before no fence": (good.replace("-->\n```kotlin", "-->\n\n```kotlin"), 2),
            "no mark at all": (good.replace("<!-- snippet: snippets/A.kt -->\n", ""), 1),
        }
        for name, (text, expected) in cases.items():
            (root / "doc.md").write_text(text)
            _, problems = check(root, [root / "doc.md"], ("snippets",))
            ok = len(problems) == expected
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(problems)} problem(s), {expected} expected")
    print(f"doc-snippets self-test: {len(cases)} cases, {failures} failed")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    marked, problems = check(ROOT, markdown_files(ROOT), SNIPPET_DIRS)
    for p in problems:
        print(p)
    print(f"doc-snippets: {marked} marked blocks, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
