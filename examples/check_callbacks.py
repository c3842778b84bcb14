#!/usr/bin/env python3
"""Runs examples/callbacks and checks the callback order our runtime guarantees. Used by examples/meson.build.

    check_callbacks.py [--timeout S] PROGRAM [ARG]...
    check_callbacks.py -            (checks a saved stdout read from standard input; no exit or stderr checks)

The example's output is not one fixed text: its actors run concurrently, and `Bastion::stop()` (called from "sp.ch"'s
`after_restart`) reaches "sp" only after the restart loop "sp.ch" err -> "sp" restarts everything -> "sp.sp.ch" tells
"sp.ch" again may have gone round a few more times. What is fixed, and checked here:

- every line is one of the example's lines; the program exits 0 and stderr has only "returned an error" reports;
- "(sp      ) before_start" is the first line and "(sp      ) after_stop" the last, each once;
- each element's own lines follow its life (B = before_start, R = recv, E = err, BR/AR = before/after_restart,
  S = stop, AS = after_stop, T = tell; every run of an actor prints all its lines or, cancelled before it ran, none):
    sp.ch     B R (E BR AR S R)* (AS | E | E AS)     (at least one restart)
    sp.sp     B BR (AR BR)* AR? AS                   (at least one before_restart; a stop that comes mid-restart
                                                     skips the after_restart)
    sp.sp.ch  (B S R AS T)+                          (never before_restart / after_restart)
- causes come before effects: the i-th "(sp.ch   ) err" after the i-th "(sp.sp.ch) tell" (each err consumes one
  message); the i-th "(sp.sp   ) before_restart" after the i-th "(sp.ch   ) err"; the first run of "sp.sp.ch" after
  "(sp.sp   ) before_start", the k-th (k >= 2) after the (k-1)-th "(sp.sp   ) before_restart"; "(sp.sp   ) after_stop"
  after every "sp.sp.ch" line.
"""

import argparse
import re
import subprocess
import sys

SP, SP_CH, SP_SP, SP_SP_CH = "(sp      )", "(sp.ch   )", "(sp.sp   )", "(sp.sp.ch)"

# One letter per line of each element, so that an element's life is a string matched by a regex.
LETTERS = {
    SP: {"before_start": "B", "after_stop": "A"},
    SP_CH: {"before_start": "B", "recv": "R", "err": "E", "before_restart": "b", "after_restart": "a", "stop": "S",
            "after_stop": "A"},
    SP_SP: {"before_start": "B", "before_restart": "b", "after_restart": "a", "after_stop": "A"},
    SP_SP_CH: {"before_start": "B", "stop": "S", "recv": "R", "after_stop": "A", "tell": "T"},
}
LIVES = {
    SP: r"BA",
    SP_CH: r"BR(EbaSR)+(A|E|EA)",
    SP_SP: r"Bb(ab)*a?A",
    SP_SP_CH: r"(BSRAT)+",
}
REPORT = re.compile(r"bastion: \S+ returned an error")


def check(lines):
    """The broken guarantees, as sentences (none if the output is right)."""
    failures = []
    events = []  # (element, letter), in output order
    for number, line in enumerate(lines, 1):
        element, _, what = line[:10], line[10:11], line[11:]
        if element not in LETTERS or what not in LETTERS[element]:
            failures.append(f"line {number} is not one of the example's lines: {line!r}")
            continue
        events.append((element, LETTERS[element][what]))
    if failures:
        return failures

    if not events or events[0] != (SP, "B"):
        failures.append('the first line is not "(sp      ) before_start"')
    if not events or events[-1] != (SP, "A"):
        failures.append('the last line is not "(sp      ) after_stop"')

    for element, life in LIVES.items():
        seen = "".join(letter for e, letter in events if e == element)
        if not re.fullmatch(life, seen):
            failures.append(f"{element}'s lines, as letters {seen!r}, do not follow its life {life!r}")

    def positions(element, letter):
        return [i for i, (e, l) in enumerate(events) if e == element and l == letter]

    def each_after(effects, causes, what, shift=0):
        # The i-th effect comes after the (i - shift)-th cause.
        for i, at in enumerate(effects):
            j = i - shift
            if j < 0:
                continue
            if j >= len(causes) or causes[j] > at:
                failures.append(f"{what} (number {i + 1}) comes before its cause")
                return

    errs, tells = positions(SP_CH, "E"), positions(SP_SP_CH, "T")
    sp_sp_restarts, sp_sp_ch_runs = positions(SP_SP, "b"), positions(SP_SP_CH, "B")
    each_after(errs, tells, '"(sp.ch   ) err"')
    each_after(sp_sp_restarts, errs, '"(sp.sp   ) before_restart"')
    each_after(sp_sp_ch_runs[:1], positions(SP_SP, "B"), 'the first "(sp.sp.ch) before_start"')
    each_after(sp_sp_ch_runs, sp_sp_restarts, '"(sp.sp.ch) before_start"', shift=1)
    sp_sp_stop = positions(SP_SP, "A")
    sp_sp_ch_lines = [i for i, (e, _) in enumerate(events) if e == SP_SP_CH]
    if sp_sp_stop and sp_sp_ch_lines and sp_sp_stop[0] < sp_sp_ch_lines[-1]:
        failures.append('"(sp.sp   ) after_stop" comes before a line of "sp.sp.ch"')
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.program[:1] == ["--"]:
        args.program = args.program[1:]
    if not args.program:
        parser.error("no program to run (or `-` to read its output from standard input)")

    if args.program == ["-"]:
        stdout, stderr, failures = sys.stdin.read(), "", []
    else:
        try:
            done = subprocess.run(args.program, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"FAIL: {args.program[0]} still running after {args.timeout:g} s (killed)")
            return 1
        stdout, stderr, failures = done.stdout, done.stderr, []
        if done.returncode != 0:
            failures.append(f"expected exit code 0, got {done.returncode}")
        for line in stderr.splitlines():
            if not REPORT.fullmatch(line):
                failures.append(f"unexpected on stderr: {line!r}")

    failures += check(stdout.splitlines())
    if failures:
        print(f"FAIL: {' '.join(args.program)}")
        for failure in failures:
            print(failure)
        print("--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr + "---")
        return 1
    restarts = sum(1 for line in stdout.splitlines() if line == SP_CH + " before_restart")
    print(f"ok: {args.program[0]} (callback order holds; sp.ch restarted {restarts} time(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
