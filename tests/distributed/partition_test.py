#!/usr/bin/env python3
"""A network partition, made with network namespaces, is detected and heals.

    partition_test.py CLUSTER_NODE

Three nodes run in three network namespaces joined by veth pairs to a bridge in a fourth one (10.77.0.0/24); nothing
touches the machine's own interfaces. Cutting c's cable makes a and b mark c Down (and c mark them Down) within the
heartbeat timeout; plugging it back makes them link again with the same incarnation. Skipped (77) without the right
to make namespaces.
"""

import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_test as ct  # noqa: E402

PREFIX = "bst" + uuid.uuid4().hex[:6]  # namespace and interface names unique to this run
NAMES = ["a", "b", "c"]


def ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def in_ns(ns, *args):
    return ip("netns", "exec", ns, "ip", *args)


def make_network():
    hub = f"{PREFIX}-hub"
    ip("netns", "add", hub)
    in_ns(hub, "link", "add", "br0", "type", "bridge")
    in_ns(hub, "link", "set", "br0", "up")
    for i, name in enumerate(NAMES, start=1):
        ns = f"{PREFIX}-{name}"
        ip("netns", "add", ns)
        # The pair is made inside the node's namespace and one end moved to the hub: the root namespace never sees it.
        in_ns(ns, "link", "add", "eth0", "type", "veth", "peer", "name", f"p{name}")
        in_ns(ns, "link", "set", f"p{name}", "netns", hub)
        in_ns(hub, "link", "set", f"p{name}", "master", "br0")
        in_ns(hub, "link", "set", f"p{name}", "up")
        in_ns(ns, "addr", "add", f"10.77.0.{i}/24", "dev", "eth0")
        in_ns(ns, "link", "set", "eth0", "up")
        in_ns(ns, "link", "set", "lo", "up")


def remove_network():
    for suffix in ["hub", *NAMES]:
        ip("netns", "del", f"{PREFIX}-{suffix}", check=False)


def cable(name, up):
    in_ns(f"{PREFIX}-hub", "link", "set", f"p{name}", "up" if up else "down")


def main():
    binary = sys.argv[1]
    try:
        make_network()
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        remove_network()
        print(f"skipped: cannot make network namespaces here ({error})")
        return 77
    nodes = []
    try:
        seed = "10.77.0.1:7400"
        for i, name in enumerate(NAMES, start=1):
            nodes.append(ct.Node(binary, name, 7400, [seed], host=f"10.77.0.{i}",
                                 prefix=["ip", "netns", "exec", f"{PREFIX}-{name}"]))
        a, b, c = nodes
        ct.formation(binary, nodes)
        for node in nodes:
            node.ask("subscribe")
        incarnation = c.incarnation

        cable("c", up=False)
        for node in (a, b):
            ct.check(node.expect("event down c", ct.TIMEOUT_MS / 1000 * 4) == "event down c timeout",
                     f"{node.name} saw c fall silent")
        for other in ("a", "b"):
            ct.check(c.expect(f"event down {other}", ct.TIMEOUT_MS / 1000 * 4) == f"event down {other} timeout",
                     f"c saw {other} fall silent")
        ct.check(ct.members(a) == {"b": "Alive", "c": "Down"}, "a during the partition")

        cable("c", up=True)
        for node in (a, b):
            node.expect(f"event up c {incarnation}", 15)  # the same run of c, back
        ct.check(c.ask("wait 2 15000") == "wait ok", "c linked to both again")
        ct.check(a.ask("tells c 1000", timeout=30) == "tells count=1000 ordered=yes refused=0", "messages flow again")
        print("partition: ok")
        return 0
    except AssertionError as error:
        print(f"partition: FAILED: {error}")
        for node in nodes:
            print(f"--- {node.name} ({node.address})")
            print("\n".join(node.log[-40:]))
        return 1
    finally:
        for node in nodes:
            node.quit()
        remove_network()


if __name__ == "__main__":
    sys.exit(main())
