#!/usr/bin/env python3
"""Runs cluster_fibonacci as three processes on loopback and checks what each printed and how each ended. Used by
examples/meson.build.

    check_cluster.py [--timeout S] [--asks N] [--stderr LINE]... [--] PROGRAM

Node a is started first, with `--listen 127.0.0.1:0 --ask N`; its first line says which port it took, and b and c
are started with that address as their seed. Then all three must stop on their own within the timeout (a once it
has its answers, b and c once they see a member leave) and exit 0. Which node computed which number may vary; the
checks do not depend on it:

- a printed fib(1) .. fib(N), each with its right value, and the computing nodes took turns (about N/3 each);
- every node printed `computing fib(n)` for exactly the numbers a says it computed;
- b and c each saw a come up, and ended on seeing one member leave.

--stderr LINE   a line each node's standard error must contain (several: in this order).
--timeout S     seconds for the whole run; past it every node is killed and the check fails (default 60).
"""

import argparse
import queue
import re
import subprocess
import sys
import threading
import time

NAMES = ["a", "b", "c"]


def fib(n):
    current, following = 0, 1
    for _ in range(n):
        current, following = following, current + following
    return current


class Node:
    """One process; its standard output is read as it comes, its standard error collected."""

    def __init__(self, program, name, args):
        self.name = name
        self.stdout = []
        self.lines = queue.Queue()
        self.proc = subprocess.Popen([program, "--name", name, *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr = []
        self.readers = [threading.Thread(target=self._pump_stdout, daemon=True),
                        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True)]
        for reader in self.readers:
            reader.start()

    def _pump_stdout(self):
        for line in self.proc.stdout:
            self.stdout.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def first_line(self, deadline):
        try:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"{self.name} printed nothing in time") from None
        if line is None:
            raise AssertionError(f"{self.name} exited before printing anything")
        return line

    def wait(self, deadline):
        """The exit status, once the process has ended and everything it printed has been read."""
        try:
            status = self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running at the deadline (killed)") from None
        for reader in self.readers:
            reader.join(timeout=max(0.0, deadline - time.monotonic()))
            check(not reader.is_alive(), f"{self.name}'s output still open at the deadline")
        return status

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def check_output(nodes, asks, expected_stderr):
    a = nodes["a"]
    results = {}  # n -> node that computed it
    for line in a.stdout:
        found = re.fullmatch(r"fib\((\d+)\) = (\d+), computed by (\w+)", line)
        if not found:
            continue
        n, value, by = int(found[1]), int(found[2]), found[3]
        check(n not in results, f"a printed fib({n}) twice")
        check(value == fib(n), f"a printed fib({n}) = {value}, but it is {fib(n)}")
        check(by in nodes, f"fib({n}) computed by an unknown node {by}")
        results[n] = by
    check(sorted(results) == list(range(1, asks + 1)), f"a printed fib of {sorted(results)}, not of 1..{asks}")
    # Round robin over three nodes: each takes every third number, whichever numbers they are.
    shares = sorted(sum(1 for by in results.values() if by == name) for name in NAMES)
    turns = sorted(len(range(i, asks, len(NAMES))) for i in range(len(NAMES)))
    check(shares == turns, f"the nodes computed {shares} of {asks}, not {turns}")

    for name, node in nodes.items():
        check(node.stdout, f"{name} printed nothing")
        computed = sorted(int(m[1]) for line in node.stdout
                          if (m := re.fullmatch(rf"{name}: computing fib\((\d+)\)", line)))
        claimed = sorted(n for n, by in results.items() if by == name)
        check(computed == claimed, f"{name} computed {computed}, a says it computed {claimed}")
        check(re.fullmatch(rf"{name}: listening on 127\.0\.0\.1:\d+", node.stdout[0]),
              f"{name}'s first line: {node.stdout[0]!r}")
        it = iter(line.rstrip("\n") for line in node.stderr)
        check(all(any(line == needle for line in it) for needle in expected_stderr),
              f"{name}'s stderr lacks, in this order: {expected_stderr}")

    for name in ("b", "c"):
        out = nodes[name].stdout
        check(f"{name}: a is up" in out, f"{name} did not see a come up")
        others = "|".join(n for n in NAMES if n != name)
        leaving = [line for line in out if re.fullmatch(rf"{name}: ({others}) left, stopping", line)]
        check(leaving == out[-1:], f"{name} did not end on one member leaving: {leaving}, last {out[-1]!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--asks", type=int, default=12)
    parser.add_argument("--stderr", dest="expected_stderr", action="append", default=[])
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    if len(program) != 1:
        parser.error("give the cluster_fibonacci program, alone")

    deadline = time.monotonic() + args.timeout
    nodes = {}
    try:
        nodes["a"] = Node(program[0], "a", ["--listen", "127.0.0.1:0", "--ask", str(args.asks)])
        listening = nodes["a"].first_line(deadline)
        found = re.fullmatch(r"a: listening on (\S+)", listening)
        check(found, f"a's first line: {listening!r}")
        # Whatever port a took is the seed; b and c take free ports too.
        for name in ("b", "c"):
            nodes[name] = Node(program[0], name, ["--listen", "127.0.0.1:0", "--seeds", found[1]])
        for node in nodes.values():
            status = node.wait(deadline)
            check(status == 0, f"{node.name} exited with {status}")
        check_output(nodes, args.asks, args.expected_stderr)
    except AssertionError as error:
        print(f"FAIL: {error}")
        for node in nodes.values():
            node.stop()
            print(f"--- {node.name} stdout\n" + "\n".join(node.stdout))
            print(f"--- {node.name} stderr\n" + "".join(node.stderr), end="")
        return 1
    finally:
        for node in nodes.values():
            node.stop()
    print(f"ok: {program[0]} as three nodes, {args.asks} asks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
