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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_test as ct  # noqa: E402
import netns  # noqa: E402

NAMES = ["a", "b", "c"]
NET = netns.Network("bst", NAMES, "10.77.0")


def main():
    binary = sys.argv[1]
    try:
        NET.make()
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        NET.remove()
        print(f"skipped: cannot make network namespaces here ({error})")
        return 77
    nodes = []
    try:
        seed = f"{NET.host('a')}:7400"
        for name in NAMES:
            nodes.append(ct.Node(binary, name, 7400, [seed], host=NET.host(name),
                                 prefix=["ip", "netns", "exec", NET.namespace(name)]))
        a, b, c = nodes
        ct.formation(binary, nodes)
        for node in nodes:
            node.ask("subscribe")
        incarnation = c.incarnation

        NET.cable("c", up=False)
        for node in (a, b):
            ct.check(node.expect("event down c", ct.TIMEOUT_MS / 1000 * 4) == "event down c timeout",
                     f"{node.name} saw c fall silent")
        for other in ("a", "b"):
            ct.check(c.expect(f"event down {other}", ct.TIMEOUT_MS / 1000 * 4) == f"event down {other} timeout",
                     f"c saw {other} fall silent")
        ct.check(ct.members(a) == {"b": "Alive", "c": "Down"}, "a during the partition")

        NET.cable("c", up=True)
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
            print("\n".join(node.excerpt(40)))
        return 1
    finally:
        for node in nodes:
            node.quit()
        NET.remove()


if __name__ == "__main__":
    sys.exit(main())
