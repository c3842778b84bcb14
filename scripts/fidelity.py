#!/usr/bin/env python3
"""How closely the ported examples follow their Rust originals, as a Markdown table.

    scripts/fidelity.py --bastion <git dir of bastion-rs/bastion> --nuclei <git dir of vertexclique/nuclei>

An example is a port when the comment block at the top of examples/<name>.cpp names its original, as the examples do
today (`// Port of bastion/examples/send_recv.rs: ...`, `// Port of nuclei/examples/fread.rs (v0.1.3).`) or as a line
of its own (`// Rust: lightproc/examples/proc_run.rs`). The crate before `/examples/` says where the file is:
`bastion`, `bastion-executor`, `lightproc` (or any other crate) under `src/<crate>/examples/` of the bastion
repository, `nuclei` under `examples/` of the nuclei repository; a `(vX.Y.Z)` after the name reads that tag instead of
HEAD. Files are read with `git --git-dir=<dir> show <rev>:<path>`, so a bare mirror is enough.

For each port the table gives the non-blank, non-comment lines of the Rust file and of ours, their ratio (the target is
at most 1.25), and whether examples/meson.build runs it in the test suite. Examples that name no original, and
originals that cannot be read, are listed on stderr. Exits 1 if an original cannot be read.
"""

import argparse
import pathlib
import re
import subprocess
import sys

TARGET_RATIO = 1.25

# `// Port of <crate>/examples/<file>.rs` or `// Rust: <crate>/examples/<file>.rs`, optionally followed by `(vX.Y.Z)`.
ORIGIN = re.compile(r"\b(?:Port of|Rust:)\s+`?([\w-]+)/examples/([\w.-]+\.rs)`?(?:\s*\((v[\w.-]+)\))?")


def code_lines(text, language):
    """The lines of `text` that hold code once comments are removed. `language` is 'rust' or 'cpp': Rust block
    comments nest and `'a` may be a lifetime; C++ has raw strings `R"d(...)d"` and digit separators `1'000`."""
    count = 0
    depth = 0  # block comment nesting
    in_string = None  # closing delimiter of the string we are in, if any
    i, n = 0, len(text)
    line_has_code = False
    while i < n:
        c = text[i]
        if c == "\n":
            count += line_has_code
            line_has_code = False
            i += 1
            continue
        if in_string is not None:
            if in_string == '"' and c == "\\":
                i += 2
                continue
            if text.startswith(in_string, i):
                i += len(in_string)
                in_string = None
            else:
                if not c.isspace():
                    line_has_code = True
                i += 1
            continue
        if depth > 0:
            if text.startswith("*/", i):
                depth -= 1
                i += 2
            elif language == "rust" and text.startswith("/*", i):
                depth += 1
                i += 2
            else:
                i += 1
            continue
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            depth = 1
            i += 2
            continue
        if c.isspace():
            i += 1
            continue
        line_has_code = True
        if c == '"':
            in_string = '"'
            i += 1
            continue
        raw = None
        if language == "rust":
            raw = re.match(r'b?r(#*)"', text[i:])
            if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
                in_string = '"' + raw.group(1)
                i += raw.end()
                continue
        else:
            raw = re.match(r'(?:u8|u|U|L)?R"([^(\s]*)\(', text[i:])
            if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
                in_string = ")" + raw.group(1) + '"'
                i += raw.end()
                continue
        if c == "'":
            char = re.match(r"'(?:\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'\n])'", text[i:])
            after_digit = language == "cpp" and i > 0 and text[i - 1].isalnum()
            if char and not after_digit:
                i += char.end()
                continue
        i += 1
    count += line_has_code
    return count


def git_show(git_dir, rev, path):
    """The text of `path` at `rev`, or None if it cannot be read."""
    run = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{rev}:{path}"], capture_output=True, text=True)
    return run.stdout if run.returncode == 0 else None


def top_comment(path):
    """The comment lines at the top of a C++ file, before the first line of code."""
    lines = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            lines.append(stripped)
        elif stripped:
            break
    return lines


def tested_examples(meson_build):
    """The names examples/meson.build runs as tests: the keys of its `examples = { ... }` dictionary."""
    text = meson_build.read_text()
    block = re.search(r"^examples\s*=\s*\{(.*?)^\}", text, re.S | re.M)
    if not block:
        return set()
    return set(re.findall(r"^\s*'([\w-]+)'\s*:", block.group(1), re.M))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bastion", required=True, help="git dir of bastion-rs/bastion")
    parser.add_argument("--nuclei", required=True, help="git dir of vertexclique/nuclei")
    root = pathlib.Path(__file__).resolve().parent.parent
    parser.add_argument("--examples", default=str(root / "examples"), help="the examples directory (default: ours)")
    args = parser.parse_args()

    examples = pathlib.Path(args.examples)
    tested = tested_examples(examples / "meson.build")
    rows, not_ports, unreadable = [], [], []
    for source in sorted(examples.glob("*.cpp")):
        origin = next((m for m in map(ORIGIN.search, top_comment(source)) if m), None)
        if origin is None:
            not_ports.append(source.name)
            continue
        crate, file, version = origin.groups()
        rev = version or "HEAD"
        if crate == "nuclei":
            git_dir, path = args.nuclei, f"examples/{file}"
        else:
            git_dir, path = args.bastion, f"src/{crate}/examples/{file}"
        rust = git_show(git_dir, rev, path)
        if rust is None:
            unreadable.append(f"{source.name}: {crate}/examples/{file} ({path} at {rev})")
            continue
        ours = code_lines(source.read_text(), "cpp")
        theirs = code_lines(rust, "rust")
        ratio = ours / theirs if theirs else float("inf")
        rows.append((source.stem, f"{crate}/examples/{file}" + (f" ({version})" if version else ""), theirs, ours,
                     ratio, source.stem in tested))

    print(f"| example | Rust original | Rust lines | C++ lines | ratio | ≤ {TARGET_RATIO} | runs in tests |")
    print("|---|---|--:|--:|--:|:-:|:-:|")
    for name, original, theirs, ours, ratio, in_tests in rows:
        within = "yes" if ratio <= TARGET_RATIO else "no"
        print(f"| `{name}` | `{original}` | {theirs} | {ours} | {ratio:.2f} | {within} | {'yes' if in_tests else 'no'} |")
    if not_ports:
        print(f"fidelity: no Rust original named in the top comment of: {', '.join(not_ports)}", file=sys.stderr)
    for line in unreadable:
        print(f"fidelity: cannot read the original of {line}", file=sys.stderr)
    return 1 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
