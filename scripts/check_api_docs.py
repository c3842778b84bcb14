#!/usr/bin/env python3
"""Fails when the API reference has a warning: an undocumented public declaration, or a doc comment Doxygen rejects.

    scripts/check_api_docs.py DOXYGEN DOXYFILE

Runs DOXYGEN on DOXYFILE (docs/meson.build passes the configured docs/Doxyfile.in) into a scratch directory, with
WARN_IF_UNDOCUMENTED=YES, HAVE_DOT=NO, no LaTeX and a warning log, then prints every warning of the log and exits 1
if there is one (or if Doxygen itself fails). The fix is a `///` comment where the warning points (STYLE.md, "Comments
and docs"), not a wider EXCLUDE.
"""

import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    doxygen, doxyfile = sys.argv[1], pathlib.Path(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="api-docs-") as scratch:
        log = pathlib.Path(scratch) / "warnings.log"
        # Later settings win: the configured file, then what this check needs.
        config = doxyfile.read_text() + "\n".join([
            "",
            f"OUTPUT_DIRECTORY = {scratch}",
            f"WARN_LOGFILE = {log}",
            "WARN_IF_UNDOCUMENTED = YES",
            "HAVE_DOT = NO",
            "GENERATE_LATEX = NO",
            "QUIET = YES",
            "",
        ])
        run = subprocess.run([doxygen, "-"], input=config, capture_output=True, text=True, cwd=scratch)
        warnings = log.read_text() if log.exists() else ""
    # Doxygen writes each warning on one line, some followed by a blank one; drop the checkout's path prefix.
    lines = [line.replace(f"{ROOT}/", "") for line in warnings.splitlines() if line.strip()]
    count = sum("warning:" in line or "error:" in line for line in lines) or len(lines)
    for line in lines:
        print(line)
    if run.returncode != 0:
        print(f"doxygen failed (exit {run.returncode}):\n{run.stderr.rstrip()}")
        return 1
    if lines:
        print(f"\n{count} Doxygen warnings: document each declaration above where it is declared (STYLE.md, "
              "\"Comments and docs\").")
        return 1
    print("API reference: no warnings.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
