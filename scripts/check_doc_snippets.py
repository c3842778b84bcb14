#!/usr/bin/env python3
"""Compiles the C++ snippets of the documentation that say they compile, so the docs cannot drift from the API.

    scripts/check_doc_snippets.py [--md FILE.md]... [COMPILER COMMAND...]

Without --md it reads README.md and docs/*.md; without a compiler command it runs $CXX, else c++. A fenced
```cpp block is checked only when the line right before its opening fence is one of:

    <!-- compile -->          the block is a whole translation unit (its own #includes, its own main if it has one)
    <!-- compile: body -->    the block is statements: it is compiled as the body of a function, after
                              #include <bastion/prelude.hpp>, #include <bastion/io.hpp> and `using namespace bastion;`

(HTML comments, so the rendered Markdown does not show them.) Each block is compiled on its own with
`-std=c++20 -fsyntax-only -Iinclude -Imacros` (paths from the repository root); a `#line` directive makes the
compiler's messages point into the Markdown file. Any failure prints the file, the line and the compiler's message,
and the script exits 1; it also fails on a marker that is not followed by a ```cpp fence, and when no block is marked
at all (a renamed marker would otherwise silence the check).
"""

import argparse
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^\s*<!--\s*compile(?::\s*(\S+))?\s*-->\s*$")
MODES = {None: "unit", "body": "body"}

BODY_PRELUDE = """#include <bastion/prelude.hpp>
#include <bastion/io.hpp>
using namespace bastion;
[[maybe_unused]] static void doc_snippet() {
"""


def snippets(path, errors):
    """Yields (line of the first code line, mode, code) for each marked block; appends bad markers to `errors`."""
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        marker = MARKER.match(line)
        if not marker:
            continue
        where = f"{path}:{i + 1}"
        if marker.group(1) not in MODES:
            errors.append(f"{where}: unknown marker {line.strip()!r} (use <!-- compile --> or <!-- compile: body -->)")
            continue
        if i + 1 >= len(lines) or not re.match(r"^\s*```\s*(cpp|c\+\+)\s*$", lines[i + 1]):
            errors.append(f"{where}: {line.strip()} must be followed directly by a ```cpp fence")
            continue
        end = next((j for j in range(i + 2, len(lines)) if lines[j].strip().startswith("```")), None)
        if end is None:
            errors.append(f"{where}: the ```cpp block is not closed")
            continue
        yield i + 3, MODES[marker.group(1)], "\n".join(lines[i + 2:end]) + "\n"


def source_of(path, first_line, mode, code):
    name = os.path.relpath(path, ROOT).replace("\\", "\\\\").replace('"', '\\"')
    located = f'#line {first_line} "{name}"\n{code}'
    return BODY_PRELUDE + located + "}\n" if mode == "body" else located


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--md", action="append", type=pathlib.Path, help="a Markdown file to check (repeatable)")
    parser.add_argument("cxx", nargs="*", help="the compiler command (default: $CXX, else c++)")
    args = parser.parse_args()
    cxx = args.cxx or shlex.split(os.environ.get("CXX", "c++"))

    files = args.md or [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    flags = ["-std=c++20", "-fsyntax-only", f"-I{ROOT / 'include'}", f"-I{ROOT / 'macros'}", "-x", "c++"]
    checked, failures = 0, 0
    with tempfile.TemporaryDirectory(prefix="doc-snippets-") as scratch:
        for path in files:
            errors = []
            for first_line, mode, code in snippets(path, errors):
                where = f"{os.path.relpath(path, ROOT)}:{first_line - 1}"
                unit = pathlib.Path(scratch) / f"snippet{checked}.cpp"
                unit.write_text(source_of(path, first_line, mode, code))
                checked += 1
                run = subprocess.run([*cxx, *flags, str(unit)], capture_output=True, text=True, cwd=ROOT)
                if run.returncode == 0:
                    print(f"ok   {where} ({mode})")
                else:
                    failures += 1
                    print(f"FAIL {where} ({mode}): the snippet does not compile:\n{run.stderr.rstrip()}\n")
            for error in errors:
                print(f"FAIL {error}")
            failures += len(errors)
    if checked == 0 and failures == 0:
        print("FAIL no snippet is marked <!-- compile --> or <!-- compile: body --> in " +
              ", ".join(os.path.relpath(f, ROOT) for f in files))
        return 1
    print(f"{checked} snippets checked, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
