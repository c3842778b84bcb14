#!/usr/bin/env python3
"""Compiles a snippet that misuses the API and passes if the compiler rejects it with the message the snippet's
first line names after "EXPECT:". Usage: check.py SNIPPET COMPILER [FLAGS...]"""
import subprocess
import sys

snippet, compiler = sys.argv[1], sys.argv[2:]
expected = open(snippet).readline().split("EXPECT:", 1)[1].strip()
result = subprocess.run(compiler + ["-fsyntax-only", snippet], capture_output=True, text=True)
if result.returncode == 0:
    sys.exit(f"{snippet}: compiled, but it must be rejected with: {expected}")
if expected not in result.stderr:
    print(result.stderr[-4000:])
    sys.exit(f"{snippet}: rejected, but the errors do not say: {expected}")
print(f"{snippet}: rejected with: {expected}")
