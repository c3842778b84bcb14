#!/usr/bin/env python3
"""Runs one example and checks what it printed and how it ended. Used by examples/meson.build.

    check_output.py [--timeout S] [--stdout FILE] [--order exact|any|pattern]
                    [--exit 0|N|abort] [--stderr LINE]... [--] PROGRAM [ARG]...

--stdout FILE   the expected standard output, compared as --order says:
                  exact    byte for byte (the order is fixed);
                  any      the same lines in any order (concurrency makes the order free);
                  pattern  line by line, each expected line a Python regex matching a whole output line, and a
                           line that is just `...` matching any number of lines (for machine-dependent output).
--exit          how the program must end: an exit code (default 0), or `abort` (killed by SIGABRT, as after an
                uncaught exception).
--stderr LINE   a line standard error must contain; several must appear in the given order.
--timeout S     seconds before the program is killed and the check fails (default 30).
"""

import argparse
import difflib
import re
import signal
import subprocess
import sys


def matches_pattern(expected_lines, actual_lines):
    """True if the actual lines match the expected regexes, `...` standing for any run of lines."""
    parts = []
    for line in expected_lines:
        parts.append(r"(?:[^\n]*\n)*?" if line == "..." else "(?:" + line + r")\n")
    return re.fullmatch("".join(parts), "".join(l + "\n" for l in actual_lines)) is not None


def contains_in_order(needles, lines):
    it = iter(lines)
    return all(any(line == needle for line in it) for needle in needles)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--stdout", dest="expected_stdout")
    parser.add_argument("--order", choices=["exact", "any", "pattern"], default="exact")
    parser.add_argument("--exit", dest="expected_exit", default="0")
    parser.add_argument("--stderr", dest="expected_stderr", action="append", default=[])
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.program[:1] == ["--"]:
        args.program = args.program[1:]
    if not args.program:
        parser.error("no program to run")

    try:
        done = subprocess.run(args.program, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: {args.program[0]} still running after {args.timeout:g} s (killed)")
        print("stdout so far:\n" + (e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""))
        return 1

    failures = []

    if args.expected_exit == "abort":
        if done.returncode != -signal.SIGABRT:
            failures.append(f"expected the program to abort (SIGABRT), but its exit status is {done.returncode}")
    elif done.returncode != int(args.expected_exit):
        failures.append(f"expected exit code {args.expected_exit}, got {done.returncode}")

    if args.expected_stdout is not None:
        with open(args.expected_stdout, encoding="utf-8") as f:
            expected = f.read()
        actual = done.stdout
        if args.order == "exact":
            ok = actual == expected
        elif args.order == "any":
            ok = sorted(actual.splitlines()) == sorted(expected.splitlines())
        else:
            ok = matches_pattern(expected.splitlines(), actual.splitlines())
        if not ok:
            diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                        f"expected ({args.order}): {args.expected_stdout}", "actual stdout",
                                        lineterm="")
            failures.append("stdout differs:\n" + "\n".join(diff))

    if not contains_in_order(args.expected_stderr, done.stderr.splitlines()):
        failures.append("stderr lacks, in this order:\n" + "\n".join(args.expected_stderr))

    if failures:
        print(f"FAIL: {' '.join(args.program)}")
        for failure in failures:
            print(failure)
        print("--- stdout ---\n" + done.stdout + "--- stderr ---\n" + done.stderr + "---")
        return 1
    print(f"ok: {args.program[0]} (exit {done.returncode}, stdout {args.order})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
