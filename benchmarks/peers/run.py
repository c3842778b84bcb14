#!/usr/bin/env python3
"""Builds and runs bastion-cpp's benchmarks beside the same workloads written for its peers, and writes the report.

    benchmarks/peers/run.py                  # install what is missing, build, run everything, write the report
    benchmarks/peers/run.py --smoke          # tiny parameters, one run each, no report: keeps every program working
    benchmarks/peers/run.py --only go,erlang --runs 3 --no-install --build-dir DIR --no-report
    benchmarks/peers/run.py --workloads churn,skynet --no-install   # those jobs only (builds only them; no report)

Peers (all from Debian's packages, installed here with apt-get if missing): raw Boost.Fiber (the executor floor,
measured inside our own benchmarks), raw liburing (the IO floor), CAF 0.17, Erlang/OTP 25, Go 1.19, Tokio 1.24
(built offline from Debian's crates). Every program prints one line per measured run,

    RESULT workload=NAME impl=NAME value=V unit=U

and fails (non-zero) on a wrong result; this script collects those lines, takes median and spread per figure, the
ratio of ours to each peer, checks the issue's targets, draws docs/benchmarks-peers.png with gnuplot and rewrites the
part of docs/benchmarks.md between `<!-- peers:begin -->` and `<!-- peers:end -->`. A missed target never fails the
run; a program that fails, hangs (time limit) or prints no result does (exit status 1, after the report).

Python 3 standard library only. The one-line progress per job goes to stdout; each program's whole output goes to
BUILD_DIR/peers/logs/<job>.log.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEERS = os.path.join(ROOT, "benchmarks", "peers")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
CHART = os.path.join(ROOT, "docs", "benchmarks-peers.png")
BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"

# Debian packages the peers need (the library's own come from scripts/install-deps.sh). `cargo` is added when no
# cargo is on PATH.
PEER_PACKAGES = ["golang-go", "erlang-base", "libcaf-dev", "librust-tokio-dev", "liburing-dev", "gnuplot-nox", "gcc"]

# Our benchmark executables (benchmarks/<name>.cpp) this suite runs.
OUR_TARGETS = ["skynet", "yield_storm", "spawn_rate", "idle_cpu", "ping_pong", "n_to_one", "restart_storm",
               "churn", "idle_actors", "thread_ring", "big", "echo_server", "remote"]

# Parameters, scaled to a 2-vCPU VM so that the full run stays under 15 minutes. `smoke`: seconds in all.
PARAMS = {
    "full": dict(runs=5, yield_procs=200, yields=1000, spawn_batch=1000, spawn_batches=100, skynet=1000000,
                 pp=200000, window=100, n1_senders=2, n1_messages=500000, big_actors=100, big_pings=2000,
                 ring_actors=100, ring_hops=200000, restarts=30000, every=1, idle_n=100000, idle_ms=1000,
                 echo_seconds=2.0, switches=10000000, bounces=200000, wakes=5000, remote_n=20000,
                 remote_messages=500000, churn_actors=100000, churn_rounds=5),
    "smoke": dict(runs=1, yield_procs=20, yields=100, spawn_batch=100, spawn_batches=10, skynet=1000, pp=1000,
                  window=10, n1_senders=2, n1_messages=1000, big_actors=10, big_pings=100, ring_actors=10,
                  ring_hops=1000, restarts=1000, every=2, idle_n=1000, idle_ms=100, echo_seconds=0.2,
                  switches=10000, bounces=1000, wakes=100, remote_n=100, remote_messages=1000, churn_actors=1000,
                  churn_rounds=3),
}

# key: (title, unit, lower is better)
WORKLOADS = {
    "probe_context_switch": ("Boost.Context switch", "ns", True),
    "probe_cacheline_rt": ("cache line round trip, 2 CPUs", "ns", True),
    "probe_futex_wake_rt": ("futex wake round trip, 2 CPUs", "ns", True),
    "yield": ("yield storm, per yield", "ns", True),
    "spawn": ("spawn + join, warm", "per_s", False),
    "skynet": ("skynet 1M", "ms", True),
    "ping_pong_same": ("ping-pong round trip, one worker", "ns", True),
    "ping_pong_two": ("ping-pong round trip, two workers", "ns", True),
    "ping_pong_cross": ("ping-pong round trip, bound to two workers", "ns", True),
    "ping_pong_tput_same": ("ping-pong throughput, bursts, one worker", "per_s", False),
    "ping_pong_tput_two": ("ping-pong throughput, bursts, two workers", "per_s", False),
    "ping_pong_tput_cross": ("ping-pong throughput, bursts, bound to two workers", "per_s", False),
    "n_to_one": ("N:1 counting", "per_s", False),
    "big": ("N:N big (Savina)", "per_s", False),
    "thread_ring": ("thread ring (Savina), per hop", "ns", True),
    "ask": ("ask round trip with a 1 s timeout", "ns", True),
    "ask_untimed": ("ask round trip, no timeout", "ns", True),
    "restart": ("restart storm", "per_s", False),
    "churn": ("churn: actors started and ended", "per_s", False),
    "echo_1": ("TCP echo 1 KiB, 1 connection", "per_s", False),
    "echo_64": ("TCP echo 1 KiB, 64 connections", "per_s", False),
    "remote_ping_pong": ("remote ping-pong round trip, two nodes", "ns", True),
    "remote_tell": ("remote tell throughput, two nodes", "per_s", False),
    "idle_memory": ("memory per idle actor", "B", True),
    "idle_cpu": ("idle CPU", "%", True),
}
IMPLS = ["bastion", "boost_fiber", "boost_fiber_keep", "boost_fiber_suspend", "liburing", "go", "erlang", "caf",
         "tokio", "machine"]
PEER_COLUMNS = ["boost_fiber", "liburing", "go", "erlang", "caf", "tokio"]  # ratio columns and chart series


def log(msg):
    print(msg, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def out(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# ---------------------------------------------------------------------------------------------------------------
# Install and build

def install(no_install):
    t0 = time.time()
    if no_install:
        return 0.0
    sh([os.path.join(ROOT, "scripts", "install-deps.sh")])
    packages = list(PEER_PACKAGES)
    if not shutil.which("cargo"):
        packages.append("cargo")
    missing = [p for p in packages
               if "install ok installed" not in out(["dpkg-query", "-W", "-f=${Status}", p])]
    if missing:
        log(f"install: apt-get install {' '.join(missing)}")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh(sudo + ["apt-get", "update", "-qq"], env=env)
        sh(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, env=env,
           stdout=subprocess.DEVNULL)
    return time.time() - t0


def build(build_dir, only, our_targets=None, echo=True):
    """Builds what `only` needs (of ours, `our_targets`: default all; the echo client and servers if `echo`);
    returns {impl: seconds}."""
    times = {}
    pdir = os.path.join(build_dir, "peers")
    os.makedirs(os.path.join(pdir, "logs"), exist_ok=True)

    def step(name, cmds, cwd=None):
        t0 = time.time()
        log(f"build: {name}")
        for c in cmds:
            sh(c, cwd=cwd)
        times[name] = time.time() - t0

    if "bastion" in only:
        cmds = []
        if not os.path.exists(os.path.join(build_dir, "build.ninja")):
            cmds.append(["meson", "setup", build_dir, ROOT, "--buildtype=release", "-Dbenchmarks=true",
                         "-Dtests=false", "-Dexamples=false"])
        # -j2: the reference machine has two cores, shared with other work.
        cmds.append(["ninja", "-C", build_dir, "-j2"] + ["benchmarks/" + t for t in
                                                        (OUR_TARGETS if our_targets is None else our_targets)])
        step("bastion", cmds)
    if "machine" in only:
        step("probes", [["g++", "-std=c++20", "-O2", "-o", os.path.join(pdir, "probes"),
                         os.path.join(PEERS, "probes", "probes.cpp"), "-lboost_context", "-pthread"]])
    if "go" in only:
        step("go", [["go", "build", "-o", os.path.join(pdir, "go-peer"), "."]], cwd=os.path.join(PEERS, "go"))
    if "erlang" in only:
        ebin = os.path.join(pdir, "ebin")
        os.makedirs(ebin, exist_ok=True)
        step("erlang", [["erlc", "-o", ebin, os.path.join(PEERS, "erlang", "bastion_peer.erl"),
                         os.path.join(PEERS, "erlang", "bastion_peer_echo.erl"),
                         os.path.join(PEERS, "erlang", "bastion_peer_remote.erl")]])
    if "caf" in only:
        step("caf", [["g++", "-std=c++17", "-O2", "-o", os.path.join(pdir, "caf-peer"),
                      os.path.join(PEERS, "caf", "caf_peer.cpp"), "-lcaf_core", "-pthread"]])
    if "tokio" in only:
        # Built in a copy so that the Cargo.lock cargo writes (its format depends on cargo's version) stays out of
        # the source tree.
        src = os.path.join(pdir, "tokio-src")
        os.makedirs(src, exist_ok=True)
        for item in ["Cargo.toml", "src", ".cargo"]:
            a, b = os.path.join(PEERS, "tokio", item), os.path.join(src, item)
            if os.path.isdir(a):
                shutil.copytree(a, b, dirs_exist_ok=True)
            else:
                shutil.copy(a, b)
        step("tokio", [["cargo", "build", "--release", "--offline", "-j2", "-q"]], cwd=src)
        shutil.copy(os.path.join(src, "target", "release", "tokio-peer"), os.path.join(pdir, "tokio-peer"))
    if echo and ("liburing" in only or "go" in only or "tokio" in only):
        step("echo", [["gcc", "-O2", "-o", os.path.join(pdir, "echo-uring"),
                       os.path.join(PEERS, "liburing", "echo_uring.c"), "-luring"],
                      ["g++", "-std=c++20", "-O2", "-o", os.path.join(pdir, "echo-client"),
                       os.path.join(PEERS, "echo", "echo_client.cpp")]])
    return times


# ---------------------------------------------------------------------------------------------------------------
# The plan: one job per program invocation

def plan(build_dir, p):
    b = os.path.join(build_dir, "benchmarks")
    pdir = os.path.join(build_dir, "peers")
    runs = str(p["runs"])
    jobs = []  # (impl, label, argv, {workload in RESULT: key to file it under}, processes)

    def job(impl, label, argv, rename=None, processes=1):
        jobs.append((impl, label, argv, rename or {}, processes))

    # calibration
    job("machine", "probes", [os.path.join(pdir, "probes"), "--runs", runs, "--switches", str(p["switches"]),
                              "--bounces", str(p["bounces"]), "--wakes", str(p["wakes"])])
    # ours (each also measures its raw Boost.Fiber floor)
    job("bastion", "skynet", [f"{b}/skynet", "--n", str(p["skynet"]), "--runs", runs])
    job("bastion", "yield_storm", [f"{b}/yield_storm", "--procs", str(p["yield_procs"]), "--yields",
                                   str(p["yields"]), "--runs", runs])
    job("bastion", "spawn_rate", [f"{b}/spawn_rate", "--batch", str(p["spawn_batch"]), "--batches",
                                  str(p["spawn_batches"]), "--path", "local", "--runs", runs])
    job("bastion", "ping_pong", [f"{b}/ping_pong", "--n", str(p["pp"]), "--window", str(p["window"]), "--runs", runs])
    job("bastion", "n_to_one", [f"{b}/n_to_one", "--senders", str(p["n1_senders"]), "--messages",
                                str(p["n1_messages"]), "--runs", runs])
    job("bastion", "big", [f"{b}/big", "--actors", str(p["big_actors"]), "--pings", str(p["big_pings"]),
                           "--runs", runs])
    job("bastion", "thread_ring", [f"{b}/thread_ring", "--actors", str(p["ring_actors"]), "--hops",
                                   str(p["ring_hops"]), "--runs", runs])
    job("bastion", "restart_storm", [f"{b}/restart_storm", "--restarts", str(p["restarts"]), "--every",
                                     str(p["every"]), "--runs", runs])
    job("bastion", "churn", [f"{b}/churn", "--actors", str(p["churn_actors"]), "--rounds", str(p["churn_rounds"]),
                             "--workers", "2", "--runs", runs])
    job("bastion", "idle_actors", [f"{b}/idle_actors", "--n", str(p["idle_n"]), "--runs", runs])
    job("bastion", "idle_cpu", [f"{b}/idle_cpu", "--idle-ms", str(p["idle_ms"]), "--runs", runs])

    # Workloads a peer runs: (name the peer knows, key to file it under, placement: 1 = one worker, 2 = two).
    peer_workloads = [("yield", "yield", 2), ("spawn", "spawn", 2), ("skynet", "skynet", 2),
                      ("ping_pong", "ping_pong_same", 1), ("ping_pong", "ping_pong_two", 2),
                      ("ping_pong_burst", "ping_pong_tput_same", 1), ("ping_pong_burst", "ping_pong_tput_two", 2),
                      ("n_to_one", "n_to_one", 2), ("big", "big", 2), ("thread_ring", "thread_ring", 2),
                      ("ask", "ask", 1), ("churn", "churn", 2), ("idle", None, 2)]
    # Workloads a peer has no program for: an event-based CAF actor has no yield; churn is Erlang's and Go's so far.
    missing = {"yield": {"caf"}, "churn": {"caf", "tokio"}}
    generic = {"procs": p["yield_procs"], "yields": p["yields"], "batch": p["spawn_batch"],
               "batches": p["spawn_batches"], "senders": p["n1_senders"], "hops": p["ring_hops"],
               "idle-ms": p["idle_ms"]}

    def per_workload(name):
        o = dict(generic)
        o["n"] = {"skynet": p["skynet"], "ping_pong": p["pp"], "ping_pong_burst": p["pp"], "ask": p["pp"],
                  "idle": p["idle_n"]}.get(name, 0)
        o["window"] = p["window"] if name == "ping_pong_burst" else 0
        o["messages"] = {"n_to_one": p["n1_messages"], "big": p["big_pings"]}.get(name, 0)
        o["actors"] = {"big": p["big_actors"], "thread_ring": p["ring_actors"],
                       "churn": p["churn_actors"]}.get(name, 0)
        o["rounds"] = p["churn_rounds"] if name == "churn" else 0
        return {k: v for k, v in o.items() if v}

    for name, key, workers in peer_workloads:
        rename = {name: key} if key else {}
        label = key or name
        o = per_workload(name)
        # Memory is measured in a fresh process per run (ours too: `isolated`): a second run in the same process
        # reuses what the first one's heap kept. Churn prints RSS by round in its log, so the same.
        r, processes = ("1", p["runs"]) if name in ("idle", "churn") else (runs, 1)
        job("go", label, [f"{pdir}/go-peer", "-workload", name, "-runs", r, "-maxprocs", str(workers)] +
            [f"-{k}={v}" for k, v in o.items()], rename, processes)
        job("erlang", label, ["erl", "-noshell", "+S", f"{workers}:{workers}", "+P", "4000000", "-pa",
                              f"{pdir}/ebin", "-run", "bastion_peer", "main", name, r] +
            [f"{k}={v}" for k, v in o.items()] + ["-s", "init", "stop"], rename, processes)
        if "caf" not in missing.get(name, ()):
            job("caf", label, [f"{pdir}/caf-peer", name, "--runs", r, "--threads", str(workers)] +
                sum([[f"--{k}", str(v)] for k, v in o.items()], []), rename, processes)
        if "tokio" not in missing.get(name, ()):
            job("tokio", label, [f"{pdir}/tokio-peer", name, "--runs", r, "--threads", str(workers)] +
                sum([[f"--{k}", str(v)] for k, v in o.items()], []), rename, processes)
    # Two nodes, two processes, on loopback: ours over the cluster layer, Erlang over its distribution.
    job("bastion", "remote", [f"{b}/remote", "--n", str(p["remote_n"]), "--messages", str(p["remote_messages"]),
                              "--runs", runs])
    job("erlang", "remote", ["erl", "-noshell", "-name", "client@127.0.0.1", "-setcookie", "bastion", "-pa",
                             f"{pdir}/ebin", "-run", "bastion_peer_remote", "main", runs, str(p["remote_n"]),
                             str(p["remote_messages"]), "-s", "init", "stop"])
    job("erlang", "restart", ["erl", "-noshell", "+S", "2:2", "-pa", f"{pdir}/ebin", "-run", "bastion_peer",
                              "main", "restart", runs, f"restarts={p['restarts']}", f"every={p['every']}",
                              "-s", "init", "stop"])
    return jobs


# TCP echo servers: argv of a server that prints "LISTENING host:port" and serves until SIGTERM.
def echo_servers(build_dir):
    pdir = os.path.join(build_dir, "peers")
    return {
        # Each prints "LISTENING 127.0.0.1:PORT" and echoes until SIGTERM; the same client measures them all.
        "bastion": [f"{build_dir}/benchmarks/echo_server", "--backend", "io_uring"],
        "bastion_epoll": [f"{build_dir}/benchmarks/echo_server", "--backend", "epoll"],
        "liburing": [f"{pdir}/echo-uring", "0"],
        "go": [f"{pdir}/go-peer", "-workload", "echo_server", "-port", "0"],
        "tokio": [f"{pdir}/tokio-peer", "echo_server", "--port", "0"],
    }


# ---------------------------------------------------------------------------------------------------------------
# Running

RESULT_RE = re.compile(r"RESULT workload=(\S+) impl=(\S+) value=(\S+) unit=(\S+)")


class Results:
    def __init__(self):
        self.values = {}  # (key, impl) -> [float]
        self.failures = []  # (impl, label, why)
        self.durations = {}  # label -> seconds

    def add(self, key, impl, value):
        self.values.setdefault((key, impl), []).append(value)


def parse(text, rename):
    found = []
    for line in text.splitlines():
        m = RESULT_RE.search(line)
        if m:
            key = rename.get(m.group(1), m.group(1))
            found.append((key, m.group(2), float(m.group(3))))
    return found


def run_once(argv, limit):
    """Runs `argv` once; returns (its output, why it failed or None)."""
    why = None
    try:
        # A session of its own, so that a hang is ended with every process it forked (our benchmarks fork one
        # child per measured run).
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        try:
            text, _ = proc.communicate(timeout=limit)
            if proc.returncode != 0:
                why = f"exit status {proc.returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            text, _ = proc.communicate()
            why = f"no end within {limit} s"
    except OSError as e:
        text, why = "", str(e)
    return text, why


def run_job(impl, label, argv, rename, processes, logdir, limit, results):
    """Runs `argv` `processes` times (one after the other) and files the RESULT lines it prints."""
    logfile = os.path.join(logdir, f"{impl}-{label}.log")
    t0 = time.time()
    text, why = "", None
    for _ in range(processes):
        more, why = run_once(argv, limit)
        text += more
        if why:
            break
    elapsed = time.time() - t0
    with open(logfile, "w") as f:
        f.write("$ " + " ".join(argv) + "\n" + text)
    found = parse(text, rename)
    if not found and why is None:
        why = "printed no RESULT line"
    for key, who, value in found:
        results.add(key, who, value)
    results.durations[f"{impl} {label}"] = elapsed
    if why:
        results.failures.append((impl, label, why))
        tail = "\n".join("      " + l for l in text.splitlines()[-8:])
        return f"FAILED ({why}; log {logfile})\n{tail}", elapsed
    summary = {}
    for key, who, value in found:
        summary.setdefault((key, who), []).append(value)
    parts = [f"{k}/{w} {fmt(statistics.median(v))}" for (k, w), v in summary.items()]
    return ", ".join(parts), elapsed


def run_echo(impl, argv, p, pdir, results, logdir):
    """Starts the server, runs the client at 1 and at 64 connections `runs` times each, stops the server."""
    t0 = time.time()
    logfile = os.path.join(logdir, f"{impl}-echo.log")
    with open(logfile, "w") as logf:
        try:
            server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=logf, text=True)
        except OSError as e:
            results.failures.append((impl, "echo", str(e)))
            return f"FAILED ({e})", time.time() - t0
        try:
            m = None
            for line in server.stdout:  # skips the banner; ends at the LISTENING line or when the server exits
                logf.write(line)
                m = re.match(r"LISTENING \S+:(\d+)", line)
                if m:
                    break
            if not m:
                results.failures.append((impl, "echo", "server did not print LISTENING host:port"))
                return "FAILED (server did not listen)", time.time() - t0
            port = m.group(1)
            medians = []
            for conns in (1, 64):
                key = f"echo_{conns}"
                for _ in range(p["runs"]):
                    c = subprocess.run([f"{pdir}/echo-client", "--port", port, "--conns", str(conns), "--seconds",
                                        str(p["echo_seconds"]), "--warmup", str(min(0.5, p["echo_seconds"])),
                                        "--impl", impl, "--workload", key],
                                       capture_output=True, text=True, timeout=60)
                    logf.write(c.stdout + c.stderr)
                    found = parse(c.stdout, {})
                    if c.returncode != 0 or not found:
                        results.failures.append((impl, key, f"client: {c.stderr.strip() or 'no RESULT'}"))
                        return f"FAILED ({c.stderr.strip()})", time.time() - t0
                    for k, who, v in found:
                        results.add(k, who, v)
                medians.append(f"{key} {fmt(statistics.median(results.values[(key, impl)]))}")
            return ", ".join(medians), time.time() - t0
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# ---------------------------------------------------------------------------------------------------------------
# Report

def fmt(v):
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e6:
        return f"{v / 1e6:.3g} M"
    if a >= 1e4:
        return f"{v / 1e3:.3g} k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.3g}"
    return f"{v:.2g}"


def unit_text(u):
    return {"per_s": "/s", "ns": "ns", "ms": "ms", "B": "B", "%": "%"}.get(u, u)


def cell(vals, unit):
    if not vals:
        return "–"
    med = statistics.median(vals)
    text = f"{fmt(med)}{unit_text(unit) if unit == 'per_s' else ' ' + unit_text(unit)}"
    if len(vals) > 1:
        text += f" ({fmt(min(vals))}–{fmt(max(vals))})"
    return text


def median(results, key, impl):
    v = results.values.get((key, impl))
    return statistics.median(v) if v else None


# (text, key, peer impl or None, how to judge ours/peer of the medians)
TARGETS = [
    ("skynet ≤ 0.3 × Go", "skynet", "go", lambda r: r <= 0.3),
    ("ping-pong round trip ≤ 0.5 × Go (one worker each)", "ping_pong_same", "go", lambda r: r <= 0.5),
    ("ping-pong round trip ≤ 0.25 × Erlang (one scheduler)", "ping_pong_same", "erlang", lambda r: r <= 0.25),
    ("ping-pong round trip ≤ 0.1 × CAF (one thread)", "ping_pong_same", "caf", lambda r: r <= 0.1),
    ("spawn rate ≥ Go", "spawn", "go", lambda r: r >= 1),
    ("remote tell throughput ≥ 2 × Erlang distribution", "remote_tell", "erlang", lambda r: r >= 2),
    ("ask (1 s timeout) ≤ 2 × ping-pong (ours, one worker)", "ask", "ping_pong_same/bastion", lambda r: r <= 2),
    ("restart storm ≥ 10 × Erlang's restarts/s", "restart", "erlang", lambda r: r >= 10),
    ("TCP echo, 64 connections ≥ 0.9 × raw liburing", "echo_64", "liburing", lambda r: r >= 0.9),
    ("TCP echo, 64 connections ≥ Go", "echo_64", "go", lambda r: r >= 1),
    ("≤ 8 KiB per idle actor", "idle_memory", None, lambda v: v <= 8192),
    ("idle CPU < 1 %", "idle_cpu", None, lambda v: v < 1),
]


def judge(results):
    rows = []
    for text, key, peer, ok in TARGETS:
        ours = median(results, key, "bastion")
        if peer is None:
            if ours is None:
                rows.append((text, "not measured", "–"))
            else:
                u = WORKLOADS[key][1]
                rows.append((text, f"{fmt(ours)} {unit_text(u)}", "**met**" if ok(ours) else "**missed**"))
            continue
        if "/" in peer:
            pkey, pimpl = peer.split("/")
            other = median(results, pkey, pimpl)
        else:
            other = median(results, key, peer)
        if ours is None or other is None:
            rows.append((text, "not measured", "–"))
            continue
        r = ours / other
        if ok(r):
            rows.append((text, f"{r:.3g} ×", "**met**"))
        else:
            # how far: the factor by which ours must improve to meet the bound
            bound = float(re.search(r"([0-9.]+) ×", text).group(1)) if " × " in text else 1.0
            lower_better = WORKLOADS[key][2]
            miss = r / bound if lower_better else bound / r
            rows.append((text, f"{r:.3g} ×", f"**missed** by {miss:.3g} ×"))
    return rows


def machine_facts():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 2**20:.0f} GiB"
    except (OSError, ValueError):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), {mem}, Linux {platform.release()}"


def versions():
    def deb(p):
        return out(["dpkg-query", "-W", "-f=${Version}", p]) or "?"
    return [
        ("g++", out(["g++", "-dumpfullversion"])),
        ("Boost (Fiber, Context)", deb("libboost-fiber-dev")),
        ("liburing", deb("liburing-dev")),
        ("Go", out(["go", "version"]).replace("go version ", "")),
        ("Erlang/OTP", deb("erlang-base")),
        ("CAF", deb("libcaf-dev")),
        ("Tokio (librust-tokio-dev)", deb("librust-tokio-dev")),
        ("cargo / rustc", f"{out(['cargo', '--version'])} / {out(['rustc', '--version'])}"),
        ("gnuplot", deb("gnuplot-nox")),
    ]


def chart(results, path, workdir):
    """Grouped bars on a log scale: for each workload, how many times better ours is than each peer (>1: ours
    better), from the medians."""
    keys = [k for k in WORKLOADS if not k.startswith("probe") and k != "ask_untimed"
            and median(results, k, "bastion") is not None
            and any(median(results, k, p) is not None for p in PEER_COLUMNS)]
    if not keys or not shutil.which("gnuplot"):
        return False
    data = os.path.join(workdir, "chart.dat")
    with open(data, "w") as f:
        f.write("workload " + " ".join(PEER_COLUMNS) + "\n")
        for k in keys:
            ours = median(results, k, "bastion")
            row = []
            for p in PEER_COLUMNS:
                other = median(results, k, p)
                if other is None or ours == 0 or other == 0:
                    row.append("-")
                else:
                    row.append(f"{(other / ours) if WORKLOADS[k][2] else (ours / other):.4g}")
            f.write(f"\"{WORKLOADS[k][0]}\" " + " ".join(row) + "\n")
    script = os.path.join(workdir, "chart.gp")
    with open(script, "w") as f:
        f.write(f"""set terminal pngcairo size 1400,700 font ",10" noenhanced
set output "{path}"
set title "bastion-cpp against its peers: how many times better ours is (median of runs; > 1: ours better; log scale)"
set datafile missing "-"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.01:1000]
set grid ytics
set xtics rotate by -30 left
set key outside right top vertical
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
set ylabel "peer's figure / ours  (rates: ours / peer's)"
plot for [i=2:{1 + len(PEER_COLUMNS)}] "{data}" using i:xtic(1) title columnheader(i)
""")
    r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
    if r.returncode != 0:
        log("chart: gnuplot failed: " + r.stderr.strip())
        return False
    return True


def report(results, p, build_times, install_s, total_s, command, has_chart, load_start):
    L = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L.append("## Against peers (written by `benchmarks/peers/run.py`)")
    L.append("")
    L.append(f"Generated {now} by `{command}` in {total_s / 60:.1f} min (install {install_s:.0f} s, builds "
             f"{sum(build_times.values()):.0f} s). Machine: {machine_facts()}; load average {load_start} at the "
             f"start, {open('/proc/loadavg').read().split()[0]} at the end (the machine is shared: compare figures "
             f"of one run with each other, not across runs). Figures: median of {p['runs']} runs (min–max). "
             "Programs, the result-line format and what each implementation does: "
             "[benchmarks/peers/README.md](../benchmarks/peers/README.md). Do not edit this section by hand: the "
             "next run rewrites it.")
    L.append("")
    L.append("| component | version |")
    L.append("|---|---|")
    for name, v in versions():
        L.append(f"| {name} | {v} |")
    L.append("")
    L.append("Parameters: " + ", ".join(f"{k}={v}" for k, v in p.items()) + ". Placement: one worker = our "
             "executor with 1 worker, `GOMAXPROCS=1`, Erlang `+S 1:1`, CAF `scheduler.max-threads=1`, Tokio "
             "`current_thread`; everything else two (`GOMAXPROCS=2`, `+S 2:2`, 2 CAF threads, Tokio "
             "`multi_thread` with 2 workers). The ask runs on one worker everywhere, like ours.")
    L.append("")
    if has_chart:
        L.append("![bastion-cpp against its peers](benchmarks-peers.png)")
        L.append("")
    L.append("### Targets")
    L.append("")
    L.append("| target | ours / peer (medians) | verdict |")
    L.append("|---|---|---|")
    for text, ratio, verdict in judge(results):
        L.append(f"| {text} | {ratio} | {verdict} |")
    L.append("")
    L.append("### Figures")
    L.append("")
    L.append("Times (ns, ms) and memory: lower is better; rates (/s): higher is better. `ours ÷ X` is the ratio of "
             "the medians (for times < 1 means ours is faster, for rates > 1 means ours is faster). "
             "`boost_fiber` is the raw Boost.Fiber floor measured by our own benchmark in the same run "
             "(`work_stealing`, `fixedsize_stack`; `_keep`: malloc keeps freed memory; `_suspend`: idle threads "
             "sleep). – = not measured (no such workload in that runtime, or ours not written yet).")
    L.append("")
    cols = ["bastion"] + PEER_COLUMNS
    L.append("| workload | " + " | ".join(cols) + " | " + " | ".join(f"ours ÷ {c}" for c in PEER_COLUMNS) + " |")
    L.append("|---|" + "---|" * (len(cols) + len(PEER_COLUMNS)))
    for key, (title, unit, _) in WORKLOADS.items():
        if key.startswith("probe"):
            continue
        row = [cell(results.values.get((key, c)), unit) for c in cols]
        ours = median(results, key, "bastion")
        ratios = []
        for c in PEER_COLUMNS:
            other = median(results, key, c)
            ratios.append(f"{ours / other:.3g}" if ours is not None and other else "–")
        L.append(f"| {title} ({unit_text(unit)}) | " + " | ".join(row) + " | " + " | ".join(ratios) + " |")
    extra = [(k, i) for (k, i) in results.values if i in ("boost_fiber_keep", "boost_fiber_suspend")]
    for key, impl in sorted(extra):
        L.append(f"| {WORKLOADS[key][0]}, `{impl}` | – | {cell(results.values[(key, impl)], WORKLOADS[key][1])} |"
                 + " |" * (len(cols) - 2 + len(PEER_COLUMNS)))
    L.append("")
    L.append("Calibration probes (`benchmarks/peers/probes/probes.cpp`): " + "; ".join(
        f"{WORKLOADS[k][0]} {cell(results.values.get((k, 'machine')), 'ns')}"
        for k in WORKLOADS if k.startswith("probe")) + ".")
    L.append("")
    if results.failures:
        L.append("**Failed in this run:** " + "; ".join(f"{i} {l} ({w})" for i, l, w in results.failures) + ".")
        L.append("")
    L.append("Notes. Ping-pong on two workers: every implementation leaves placement to its scheduler, which may "
             "keep the pair on one thread (ours does: a woken actor waits in its waker's hand-off slot). The rows "
             "'bound to two workers' are ours alone, with the actors bound to workers 0 and 1 "
             "(`Children::with_worker`), so every message crosses cores: a few of the machine's cache-line round "
             "trips (the probe above), which vary several-fold with where the host puts the two vCPUs. Restart storm: OTP's supervisor keeps every restart of "
             "the last `period` (1 s, the smallest) in a list it walks on each restart, so with the intensity "
             "high enough never to give up, its rate falls as the rate rises; Erlang's mailbox dies with the "
             "process, so its driver sends the next message once the restarted child announces itself, while ours "
             "keeps the mailbox and gets all messages up front. Idle CPU: ours is `idle_cpu` (two parked workers "
             "right after a burst of work), the peers' is measured with their 100k idle actors alive. Memory per "
             "idle actor: RSS added by 100k actors, each in a fresh process; Tokio's tasks are state machines "
             "without a stack, Go's goroutines start with 2 KiB stacks, ours with one touched 4 KiB page. TCP "
             "echo: `bastion` is our io_uring backend, `bastion_epoll` our epoll backend (`benchmarks/echo_server.cpp`). "
             "Churn: each round starts N actors (ours: one-actor groups under the system's supervisor; Erlang: "
             "`spawn_monitor`ed processes; Go: goroutines), waits until all have started, then half end after one "
             "message and half are stopped from outside (ours `ChildRef::stop`, Erlang `exit(Pid, shutdown)`, Go a "
             "closed quit channel); the rate counts the 50 ms each round sleeps before reading RSS, everywhere. RSS "
             "by round is in each program's log.")
    L.append("")
    L.append("Run times: " + ", ".join(f"{k} {v:.0f} s" for k, v in results.durations.items()) + ".")
    return "\n".join(L)


def write_section(text):
    with open(DOC) as f:
        doc = f.read()
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(DOC, "w") as f:
        f.write(doc)


# ---------------------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny parameters, 1 run each, no report")
    ap.add_argument("--runs", type=int, help="measured runs per figure (default 5; smoke 1)")
    ap.add_argument("--only", help="comma-separated impls: " + ",".join(
        ["bastion", "machine", "go", "erlang", "caf", "tokio", "liburing"]))
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--no-install", action="store_true", help="do not call apt-get")
    ap.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md and the chart")
    ap.add_argument("--workloads", help="comma-separated job labels (as in the progress lines: churn, skynet, "
                    "ping_pong_same, echo, ...): run only those; implies --no-report")
    args = ap.parse_args()
    t_start = time.time()
    load_start = open("/proc/loadavg").read().split()[0]
    p = dict(PARAMS["smoke" if args.smoke else "full"])
    if args.runs:
        p["runs"] = args.runs
    only = set(args.only.split(",")) if args.only else {"bastion", "machine", "go", "erlang", "caf", "tokio",
                                                           "liburing"}
    build_dir = os.path.abspath(args.build_dir)
    log(f"peers: {'smoke' if args.smoke else 'full'} run, {p['runs']} run(s) per figure, impls "
        f"{','.join(sorted(only))}, build dir {build_dir}")
    log("parameters: " + " ".join(f"{k}={v}" for k, v in p.items()))
    install_s = install(args.no_install)
    log(f"install: {install_s:.0f} s")
    wanted = set(args.workloads.split(",")) if args.workloads else None
    jobs = [j for j in plan(build_dir, p) if j[0] in only and (wanted is None or j[1] in wanted)]
    servers = {k: v for k, v in echo_servers(build_dir).items()
               if k in only and (wanted is None or "echo" in wanted)}
    our_targets = [os.path.basename(j[2][0]) for j in jobs if j[0] == "bastion"] + (
        ["echo_server"] if "bastion" in servers else [])
    needed = {j[0] for j in jobs} | set(servers)  # all of `only` unless --workloads left some out
    build_times = build(build_dir, needed, our_targets if wanted is not None else None, bool(servers))
    log("build: " + ", ".join(f"{k} {v:.0f} s" for k, v in build_times.items()))

    results = Results()
    pdir = os.path.join(build_dir, "peers")
    logdir = os.path.join(pdir, "logs")
    os.environ["ERL_CRASH_DUMP"] = os.path.join(logdir, "erl_crash.dump")  # not into the caller's directory
    total = len(jobs) + len(servers)
    limit = 120 if args.smoke else 300
    for n, (impl, label, argv, rename, processes) in enumerate(jobs, 1):
        print(f"[{n}/{total}] {impl} {label} ... ", end="", flush=True)
        summary, elapsed = run_job(impl, label, argv, rename, processes, logdir, limit, results)
        log(f"{elapsed:.1f} s: {summary}")
    for n, (impl, argv) in enumerate(servers.items(), len(jobs) + 1):
        print(f"[{n}/{total}] {impl} echo ... ", end="", flush=True)
        summary, elapsed = run_echo(impl, argv, p, pdir, results, logdir)
        results.durations[f"{impl} echo"] = elapsed
        log(f"{elapsed:.1f} s: {summary}")

    total_s = time.time() - t_start
    if not args.smoke and not args.no_report and wanted is None:
        has_chart = chart(results, CHART, pdir)
        command = "benchmarks/peers/run.py" + (" " + " ".join(sys.argv[1:]) if len(sys.argv) > 1 else "")
        write_section(report(results, p, build_times, install_s, total_s, command, has_chart, load_start))
        log(f"report: {os.path.relpath(DOC, ROOT)}" + (f", {os.path.relpath(CHART, ROOT)}" if has_chart else ""))
    for text, ratio, verdict in judge(results):
        log(f"target: {text}: {ratio} {verdict.replace('**', '')}")
    log(f"peers: {total} jobs in {total_s:.0f} s, {len(results.failures)} failed")
    for impl, label, why in results.failures:
        log(f"  FAILED {impl} {label}: {why}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
