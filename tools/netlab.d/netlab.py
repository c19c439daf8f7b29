#!/usr/bin/env python3
"""netlab: Starling's multi-host fault lab.

Hosts are network namespaces starling-h1..hN, each with a veth into a bridge that lives in
its own namespace (starling-br, address 10.77.0.254); host i is 10.77.0.i/24, with no
default route, so nothing of the lab is reachable from outside. Each host runs one
`starling serve` peer in its own mount namespace, its data directory on a tmpfs that lives
in a lab-wide private mount namespace (so it survives SIGKILL and restart, and can be made
full). Faults use only what FAULT-LAB-FACTS.md found to work on this kernel: nft netdev
ingress numgen rules for loss and duplication, iptables NFQUEUE plus a delayer for delay,
jitter and reordering, nft input-hook drops for partitions, an LD_PRELOAD wall-clock shim
for skew, a filler file on the tmpfs for a full disk.

Everything created is recorded in <lab-dir>/state.json before it is created, so `down`
removes it all, also after a crash of the tool.

Python 3 standard library only (Debian's python3).
"""
from __future__ import annotations

import argparse
import ctypes
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BRIDGE_NS = "starling-br"
SUBNET = "10.77.0"
BRIDGE_IP = f"{SUBNET}.254"
GOSSIP_PORT = 7946
HTTP_PORT = 7070
DISK_SIZE = "128m"
STORES = ["default", "counters"]


class LabError(Exception):
    """A failure the user should read: printed without a traceback."""


def log(message: str) -> None:
    print(f"[netlab {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: list[str], check: bool = True, input_text: str | None = None, quiet: bool = False) -> str:
    """Runs a command; raises LabError with its stderr when it fails and `check` is set."""
    result = subprocess.run(args, input=input_text, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise LabError(f"command failed ({result.returncode}): {' '.join(args)}\n{result.stderr.strip()}")
    if not check and result.returncode != 0 and not quiet:
        log(f"(ignored) {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def host_name(index: int) -> str:
    return f"h{index}"


def host_ns(index: int) -> str:
    return f"starling-h{index}"


def host_ip(index: int) -> str:
    return f"{SUBNET}.{index}"


# ---------------------------------------------------------------------------------------------
# Lab state


class Lab:
    """The lab on disk: its directory, its state file, and every operation on it."""

    def __init__(self, directory: Path, starling: Path | None = None):
        self.dir = directory
        self.state_path = directory / "state.json"
        self.state: dict[str, Any] = {}
        self.children: dict[str, subprocess.Popen] = {}
        self.starling = starling
        if self.state_path.exists():
            self.state = json.loads(self.state_path.read_text())

    # -- state ---------------------------------------------------------------------------------

    def save(self) -> None:
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state, indent=2, sort_keys=True))
        temporary.replace(self.state_path)

    def record(self, kind: str, item: Any) -> None:
        """Notes that something is about to be created, so `down` removes it even if we crash."""
        created = self.state.setdefault("created", {}).setdefault(kind, [])
        if item not in created:
            created.append(item)
        self.save()

    @property
    def hosts(self) -> int:
        return int(self.state.get("hosts", 0))

    def host_index(self, text: str) -> int:
        name = text.removeprefix("starling-").removeprefix("h")
        if not name.isdigit() or not 1 <= int(name) <= self.hosts:
            raise LabError(f"unknown host {text!r}: the lab has h1..h{self.hosts}")
        return int(name)

    def host_dir(self, index: int) -> Path:
        return self.dir / host_name(index)

    def data_dir(self, index: int) -> Path:
        return self.dir / "disk" / host_name(index) / "data"

    @property
    def mount_ns(self) -> Path:
        return self.dir / "ns" / "mnt"

    # -- up / down -----------------------------------------------------------------------------

    def up(self, count: int) -> None:
        if not 1 <= count <= 50:
            raise LabError(f"host count must be 1..50, not {count}")
        if self.state.get("created"):
            raise LabError(f"a lab is already up in {self.dir} (state.json exists); run `netlab down` first")
        for name in [BRIDGE_NS] + [host_ns(i) for i in range(1, count + 1)]:
            if Path(f"/run/netns/{name}").exists():
                raise LabError(f"network namespace {name} already exists (another lab?); "
                               f"remove it with `ip netns del {name}` if it is stale")
        starling = self.resolve_starling()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = {"hosts": count, "starling": str(starling), "peers": {}, "faults": {}, "created": {}}
        self.save()
        try:
            self.build_helpers()
            self.create_network(count)
            self.create_disks(count)
            for i in range(1, count + 1):
                self.start_peer(i)
            enter_bridge_namespace()
            for i in range(1, count + 1):
                self.wait_healthy(i)
            self.wait_cluster_formed()
        except BaseException:
            log("up failed; cleaning up what was created")
            self.down()
            raise
        log(f"up: {count} hosts, HTTP at {SUBNET}.1..{count}:{HTTP_PORT} (inside `ip netns exec {BRIDGE_NS}`),"
            f" logs in {self.dir}/h*/serve.log")

    def resolve_starling(self) -> Path:
        if self.starling:
            path = self.starling.resolve()
        else:
            candidates = [REPO / ".build" / "release" / "starling", REPO / ".build" / "debug" / "starling"]
            path = next((c for c in candidates if c.exists()), candidates[-1])
        if not os.access(path, os.X_OK):
            raise LabError(f"no starling binary at {path}: build it with `swift build` (or -c release) "
                           "or pass --starling PATH")
        return path

    def build_helpers(self) -> None:
        """Compiles the skew shim and the delayer into <lab>/bin (never committed as binaries)."""
        bin_dir = self.dir / "bin"
        bin_dir.mkdir(exist_ok=True)
        builds = [
            (HERE / "skew.c", bin_dir / "skew.so", ["-shared", "-fPIC"], ["-ldl", "-lpthread"]),
            (HERE / "delayer.c", bin_dir / "delayer", [], ["-lnetfilter_queue"]),
        ]
        for source, output, flags, libs in builds:
            if output.exists() and output.stat().st_mtime >= source.stat().st_mtime:
                continue
            run(["cc", "-O2", "-Wall", *flags, "-o", str(output), str(source), *libs])

    def create_network(self, count: int) -> None:
        self.record("netns", BRIDGE_NS)
        run(["ip", "netns", "add", BRIDGE_NS])
        run(["ip", "-n", BRIDGE_NS, "link", "set", "lo", "up"])
        run(["ip", "-n", BRIDGE_NS, "link", "add", "br0", "type", "bridge"])
        run(["ip", "-n", BRIDGE_NS, "addr", "add", f"{BRIDGE_IP}/24", "dev", "br0"])
        run(["ip", "-n", BRIDGE_NS, "link", "set", "br0", "up"])
        for i in range(1, count + 1):
            ns = host_ns(i)
            self.record("netns", ns)
            run(["ip", "netns", "add", ns])
            run(["ip", "-n", BRIDGE_NS, "link", "add", f"vh{i}", "type", "veth", "peer", "name", "eth0",
                 "netns", ns])
            run(["ip", "-n", BRIDGE_NS, "link", "set", f"vh{i}", "master", "br0", "up"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "-n", ns, "addr", "add", f"{host_ip(i)}/24", "dev", "eth0"])
            run(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def create_disks(self, count: int) -> None:
        """A private mount namespace, pinned to <lab>/ns/mnt, holding one tmpfs per host.

        Created after the network namespaces, so `ip netns exec` works from inside it; each
        peer then gets its own mount namespace (ip netns exec unshares one) that shares
        these tmpfs instances, so data survives a SIGKILL and the disk can be filled.
        """
        ns_dir = self.dir / "ns"
        ns_dir.mkdir(exist_ok=True)
        self.record("mount", str(ns_dir))
        run(["mount", "--bind", str(ns_dir), str(ns_dir)])
        run(["mount", "--make-private", str(ns_dir)])
        self.mount_ns.touch()
        self.record("mount", str(self.mount_ns))
        run(["unshare", f"--mount={self.mount_ns}", "--propagation", "private", "true"])
        for i in range(1, count + 1):
            disk = self.dir / "disk" / host_name(i)
            disk.mkdir(parents=True, exist_ok=True)
            self.host_dir(i).mkdir(exist_ok=True)
            (self.host_dir(i) / "skew").write_text("0\n")
            self.in_mount_ns(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", f"netlab-{host_name(i)}",
                              str(disk)])
            self.in_mount_ns(["mkdir", "-p", str(self.data_dir(i))])

    def in_mount_ns(self, args: list[str], check: bool = True) -> str:
        return run(["nsenter", f"--mount={self.mount_ns}", *args], check=check)

    def down(self) -> None:
        created = self.state.get("created", {})
        for name, peer in sorted(self.state.get("peers", {}).items()):
            self.stop_process(peer.get("pid"), self.peer_comm, signal.SIGKILL)
        for name, pid in sorted(self.state.get("delayers", {}).items()):
            self.stop_process(pid, "delayer", signal.SIGTERM)
        for path in reversed(created.get("mount", [])):
            run(["umount", "-l", path], check=False, quiet=True)
        for ns in reversed(created.get("netns", [])):
            if Path(f"/run/netns/{ns}").exists():
                run(["ip", "netns", "del", ns], check=False)
        if self.state_path.exists():
            self.state_path.unlink()
        self.state = {}
        log(f"down: removed every namespace, rule, process and mount of the lab (logs kept in {self.dir})")

    @staticmethod
    def stop_process(pid: int | None, expected: str, sig: int) -> None:
        """Signals `pid` only if it is still the process we started (checked by its name)."""
        if not pid or not process_is(pid, expected):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.time() + 10
        while time.time() < deadline and process_is(pid, expected):
            reap(pid)
            time.sleep(0.05)
        if process_is(pid, expected):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
            reap(pid)

    # -- peers -----------------------------------------------------------------------------------

    @property
    def peer_comm(self) -> str:
        """The process name of a peer as /proc shows it (the binary's name, cut to 15 bytes)."""
        return Path(self.state.get("starling", "starling")).name[:15]

    def cluster_key(self) -> Path:
        """The lab's cluster key file, written by `starling keygen` on first use: gossip off loopback needs one."""
        key = self.dir / "cluster.key"
        if not key.exists():
            subprocess.run([self.state["starling"], "keygen", str(key)], check=True, stdout=subprocess.DEVNULL)
        return key

    def start_peer(self, i: int) -> None:
        starling = self.state["starling"]
        joins = []
        for j in range(1, self.hosts + 1):
            if j != i:
                joins += ["--join", f"{host_ip(j)}:{GOSSIP_PORT}"]
        command = [
            "nsenter", f"--mount={self.mount_ns}", "ip", "netns", "exec", host_ns(i),
            starling, "serve", "--data-dir", str(self.data_dir(i)),
            "--gossip", f"{host_ip(i)}:{GOSSIP_PORT}", "--http", f"{host_ip(i)}:{HTTP_PORT}",
            "--allow-remote-http", "--resp", "off", "--store", "counters", "--cluster-key-file", str(self.cluster_key()), *joins,
        ]
        env = dict(os.environ)
        env["LD_PRELOAD"] = str(self.dir / "bin" / "skew.so")
        env["NETLAB_SKEW_FILE"] = str(self.host_dir(i) / "skew")
        first = host_name(i) not in self.state["peers"]
        logfile = open(self.host_dir(i) / "serve.log", "wb" if first else "ab")
        logfile.write(f"\n==== netlab: starting {host_name(i)} at {time.strftime('%F %T')}\n".encode())
        logfile.flush()
        child = subprocess.Popen(command, stdout=logfile, stderr=subprocess.STDOUT, env=env,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        logfile.close()
        self.children[host_name(i)] = child
        self.state["peers"][host_name(i)] = {"pid": child.pid, "started": time.time()}
        self.save()

    def peer_pid(self, i: int) -> int | None:
        pid = self.state["peers"].get(host_name(i), {}).get("pid")
        return pid if pid and process_is(pid, self.peer_comm) else None

    def peer_alive(self, i: int) -> bool:
        child = self.children.get(host_name(i))
        if child is not None:
            return child.poll() is None
        return self.peer_pid(i) is not None

    def exit_code(self, i: int) -> int | None:
        child = self.children.get(host_name(i))
        return child.poll() if child is not None else None

    def wait_healthy(self, i: int, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            # Wait for the exec chain (nsenter -> ip -> starling) to reach starling.
            if not self.peer_alive(i):
                tail = (self.host_dir(i) / "serve.log").read_text(errors="replace")[-2000:]
                raise LabError(f"peer {host_name(i)} exited while starting; end of its log:\n{tail}")
            try:
                status, _ = http_call(i, "GET", "/healthz", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise LabError(f"peer {host_name(i)} did not answer /healthz within {timeout:.0f} s")

    def wait_cluster_formed(self, timeout: float = 60) -> None:
        """Waits until a write on each peer is readable on every other peer."""
        deadline = time.time() + timeout
        for i in range(1, self.hosts + 1):
            key = f"_netlab/ready/{host_name(i)}"
            status, body = http_call(i, "PUT", f"/v1/stores/default/entries/{key}", {"value": "ready"})
            if status != 200:
                raise LabError(f"peer {host_name(i)} refused the readiness write: {status} {body}")
            for j in range(1, self.hosts + 1):
                while True:
                    try:
                        status, _ = http_call(j, "GET", f"/v1/stores/default/entries/{key}", timeout=1)
                        if status == 200:
                            break
                    except OSError:
                        pass
                    if time.time() > deadline:
                        raise LabError(f"the cluster did not form within {timeout:.0f} s: "
                                       f"{host_name(j)} does not see {host_name(i)}'s write")
                    time.sleep(0.1)

    def kill(self, i: int) -> None:
        pid = self.peer_pid(i)
        if pid is None:
            raise LabError(f"{host_name(i)} is not running")
        os.kill(pid, signal.SIGKILL)
        child = self.children.get(host_name(i))
        if child is not None:
            child.wait()
        else:
            while process_is(pid, self.peer_comm):
                time.sleep(0.05)
        self.state["peers"][host_name(i)]["pid"] = None
        self.save()

    def restart(self, i: int) -> None:
        pid = self.peer_pid(i)
        if pid is not None:
            self.stop_process(pid, self.peer_comm, signal.SIGTERM)
            child = self.children.get(host_name(i))
            if child is not None:
                child.wait()
        self.start_peer(i)
        self.wait_healthy(i)

    # -- network faults --------------------------------------------------------------------------

    @property
    def faults(self) -> dict[str, Any]:
        return self.state.setdefault("faults", {})

    def set_loss_dup(self, i: int, kind: str, percent: float) -> None:
        """Loss and duplication of host i's gossip: numgen rules on the ingress of its bridge port."""
        if not 0 <= percent <= 100:
            raise LabError(f"{kind} percentage must be 0..100, not {percent}")
        self.faults.setdefault(kind, {})[host_name(i)] = percent
        if percent == 0:
            self.faults[kind].pop(host_name(i))
        self.save()
        loss = self.faults.get("loss", {}).get(host_name(i), 0)
        dup = self.faults.get("dup", {}).get(host_name(i), 0)
        table = f"netlab_h{i}"
        run(["ip", "netns", "exec", BRIDGE_NS, "nft", "delete", "table", "netdev", table], check=False, quiet=True)
        rules = []
        def chance(percent: float) -> str:  # numgen compares against 0..9999
            return "" if percent >= 100 else f"numgen random mod 10000 < {int(percent * 100)} "

        if dup > 0:
            rules.append(f'udp dport {GOSSIP_PORT} {chance(dup)}dup to "br0"')
        if loss > 0:
            rules.append(f"udp dport {GOSSIP_PORT} {chance(loss)}drop")
        if rules:
            script = (f"table netdev {table} {{\n chain ingress {{\n"
                      f'  type filter hook ingress device "vh{i}" priority 0; policy accept;\n  '
                      + "\n  ".join(rules) + "\n }\n}\n")
            run(["ip", "netns", "exec", BRIDGE_NS, "nft", "-f", "-"], input_text=script)

    def set_delay(self, i: int, millis: int, jitter: int, seed: int = 1) -> None:
        """Delay, jitter and reordering of host i's outgoing gossip: NFQUEUE plus the delayer."""
        if millis < 0 or jitter < 0:
            raise LabError("delay and jitter must be >= 0 ms")
        ns = host_ns(i)
        run(["ip", "netns", "exec", ns, "iptables", "-t", "mangle", "-F", "OUTPUT"])
        self.stop_process(self.state.get("delayers", {}).get(host_name(i)), "delayer", signal.SIGTERM)
        self.state.setdefault("delayers", {}).pop(host_name(i), None)
        self.faults.setdefault("delay", {}).pop(host_name(i), None)
        self.save()
        if millis == 0 and jitter == 0:
            return
        logfile = open(self.host_dir(i) / "delayer.log", "ab")
        logfile.write(f"==== netlab: {millis} ms ± {jitter} ms at {time.strftime('%F %T')}\n".encode())
        logfile.flush()
        child = subprocess.Popen(
            ["ip", "netns", "exec", ns, str(self.dir / "bin" / "delayer"), "0", str(millis), str(jitter), str(seed)],
            stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        logfile.close()
        self.state["delayers"][host_name(i)] = child.pid
        self.faults["delay"][host_name(i)] = [millis, jitter]
        self.save()
        time.sleep(0.2)
        if child.poll() is not None:
            raise LabError(f"the delayer of {host_name(i)} exited; see {self.host_dir(i) / 'delayer.log'}")
        run(["ip", "netns", "exec", ns, "iptables", "-t", "mangle", "-A", "OUTPUT", "-p", "udp",
             "--dport", str(GOSSIP_PORT), "-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass"])

    def set_blocked(self, pairs: set[tuple[int, int]]) -> None:
        """Partitions: `(a, b)` in `pairs` means b drops everything from a (an nft input-hook rule in b)."""
        self.faults["blocked"] = sorted([list(p) for p in pairs])
        self.save()
        for b in range(1, self.hosts + 1):
            sources = sorted(a for a, bb in pairs if bb == b)
            ns = host_ns(b)
            run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "netlab_part"], check=False, quiet=True)
            if sources:
                addresses = ", ".join(host_ip(a) for a in sources)
                script = ("table inet netlab_part {\n chain input {\n"
                          "  type filter hook input priority 0; policy accept;\n"
                          f"  ip saddr {{ {addresses} }} drop\n }}\n}}\n")
                run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input_text=script)

    def blocked(self) -> set[tuple[int, int]]:
        return {(a, b) for a, b in self.faults.get("blocked", [])}

    @staticmethod
    def partition_pairs(groups: list[list[int]], count: int) -> set[tuple[int, int]]:
        """Hosts in different groups cannot reach each other; hosts in no group form one more group."""
        listed = {h for g in groups for h in g}
        rest = [h for h in range(1, count + 1) if h not in listed]
        all_groups = [g for g in groups if g] + ([rest] if rest else [])
        group_of = {h: n for n, g in enumerate(all_groups) for h in g}
        return {(a, b) for a in range(1, count + 1) for b in range(1, count + 1)
                if a != b and group_of[a] != group_of[b]}

    # -- clock and disk --------------------------------------------------------------------------

    def skew(self, i: int, seconds: float) -> None:
        if abs(seconds) > 3600:
            raise LabError("skew must be within ±3600 s")
        (self.host_dir(i) / "skew").write_text(f"{seconds}\n")
        self.faults.setdefault("skew", {})[host_name(i)] = seconds
        if seconds == 0:
            self.faults["skew"].pop(host_name(i))
        self.save()

    def disk_full(self, i: int, full: bool) -> None:
        filler = self.dir / "disk" / host_name(i) / "netlab-filler"
        if full:
            self.in_mount_ns(["sh", "-c", f"dd if=/dev/zero of={filler} bs=64k 2>/dev/null; "
                                          f"head -c 4096 /dev/zero >> {filler} 2>/dev/null; true"])
            self.faults.setdefault("diskfull", {})[host_name(i)] = True
        else:
            self.in_mount_ns(["rm", "-f", str(filler)])
            self.faults.setdefault("diskfull", {}).pop(host_name(i), None)
        self.save()

    def heal(self, what: str = "all") -> None:
        everything = what == "all"
        if everything or what in ("partition", "net"):
            self.set_blocked(set())
        if everything or what in ("loss", "net"):
            for h in list(self.faults.get("loss", {})):
                self.set_loss_dup(self.host_index(h), "loss", 0)
        if everything or what in ("dup", "net"):
            for h in list(self.faults.get("dup", {})):
                self.set_loss_dup(self.host_index(h), "dup", 0)
        if everything or what in ("delay", "net"):
            for h in list(self.faults.get("delay", {})):
                self.set_delay(self.host_index(h), 0, 0)
        if everything or what == "skew":
            for h in list(self.faults.get("skew", {})):
                self.skew(self.host_index(h), 0)
        if everything or what == "disk":
            for h in list(self.faults.get("diskfull", {})):
                self.disk_full(self.host_index(h), False)
        if everything or what == "kill":
            for i in range(1, self.hosts + 1):
                if not self.peer_alive(i):
                    self.restart(i)

    def status(self) -> str:
        if not self.state.get("created"):
            return f"no lab is up in {self.dir}"
        lines = [f"lab {self.dir}: {self.hosts} hosts, starling {self.state['starling']}"]
        enter_bridge_namespace()
        for i in range(1, self.hosts + 1):
            pid = self.peer_pid(i)
            detail = "down"
            if pid:
                try:
                    status, body = http_call(i, "GET", "/v1/stores/default/stats", timeout=2)
                    detail = f"pid {pid}, stats {json.dumps(body)}"
                except OSError as error:
                    detail = f"pid {pid}, HTTP error {error}"
            lines.append(f"  {host_name(i)} {host_ip(i)}: {detail}")
        active = {k: v for k, v in self.faults.items() if v}
        lines.append(f"  faults: {json.dumps(active) if active else 'none'}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Processes, namespaces, HTTP


def process_is(pid: int, name: str) -> bool:
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return comm == name and state != "Z"


def reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


_entered_bridge = False


def enter_bridge_namespace() -> None:
    """Moves this process (its threads created from now on) into the bridge's network namespace,
    the one place from which every host's HTTP address is reachable."""
    global _entered_bridge
    if _entered_bridge:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{BRIDGE_NS}", os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise LabError(f"setns into {BRIDGE_NS} failed: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)
    _entered_bridge = True


def http_call(i: int, method: str, path: str, body: Any = None, timeout: float = 3) -> tuple[int, Any]:
    """One HTTP request on a fresh connection. Raises ConnectionRefusedError when nothing listens
    (the request was certainly not applied) and other OSErrors when the outcome is unknown."""
    connection = http.client.HTTPConnection(host_ip(i), HTTP_PORT, timeout=timeout)
    try:
        connection.connect()
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "Connection": "close"}
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError) as error:
            raise UnknownOutcome(str(error) or type(error).__name__) from error
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return response.status, parsed
    finally:
        connection.close()


class UnknownOutcome(OSError):
    """The request was sent but no complete answer came back: it may or may not have been applied."""


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tools/netlab", description="Starling's multi-host fault lab (needs root).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""commands:
  up N                      N hosts starling-h1..hN (10.77.0.i), one peer each
  down                      remove every namespace, rule, process and mount of the lab
  status                    peers, their stats, active faults
  loss HOST PCT             drop PCT% of HOST's outgoing gossip (0 heals)
  dup HOST PCT              duplicate PCT% of HOST's outgoing gossip (0 heals)
  delay HOST MS JITTER      hold HOST's outgoing gossip MS ± JITTER ms, reordering it (0 0 heals)
  partition A,B C[,D] ...   groups that cannot reach each other (unlisted hosts: one more group)
  oneway A B                packets from A to B are dropped (adds to current partitions)
  heal [WHAT]               all (default), net, partition, loss, dup, delay, skew, disk or kill
  kill HOST                 SIGKILL the peer      restart HOST   start it again (SIGTERM first if up)
  skew HOST SECONDS         shift the peer's wall clock (0 heals)
  diskfull HOST / diskfree HOST   fill / free the tmpfs under the peer's data directory
  exec HOST CMD...          run a command inside a host's network namespace
  scenario [--short] [--seed N] [--hosts N] [--duration S]   seeded workload + faults + checks
HOST is h1, 1 or starling-h1. Lab dir: --lab-dir (default /tmp/starling-netlab).""")
    parser.add_argument("--lab-dir", default=os.environ.get("NETLAB_DIR", "/tmp/starling-netlab"))
    parser.add_argument("--starling", help="the starling binary (default .build/release or .build/debug)")
    parser.add_argument("command")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("netlab: needs root (network namespaces, nft/iptables rules, mounts)", file=sys.stderr)
        return 2
    lab = Lab(Path(options.lab_dir).resolve(), Path(options.starling) if options.starling else None)
    command, args = options.command, options.args
    if command == "fault":  # `fault loss h1 20` is the same as `loss h1 20`
        if not args:
            raise LabError("fault needs a kind: loss, dup, delay, partition, oneway, kill, skew, diskfull")
        command, args = args[0], args[1:]

    def need(count: int, usage: str) -> None:
        if len(args) != count:
            raise LabError(f"usage: tools/netlab {usage}")

    def need_lab() -> None:
        if not lab.state.get("created"):
            raise LabError(f"no lab is up in {lab.dir}; run `tools/netlab up N` first")
        enter_bridge_namespace()  # restarts wait for the peer's HTTP API, reachable only from there

    if command == "help":
        parser.print_help()
    elif command == "up":
        need(1, "up N")
        lab.up(int(args[0]))
    elif command == "down":
        lab.down()
    elif command == "status":
        print(lab.status())
    elif command == "scenario":
        import scenario  # noqa: E402  (tools/netlab.d/scenario.py)
        return scenario.main(lab, args)
    else:
        need_lab()
        if command in ("loss", "dup"):
            need(2, f"{command} HOST PCT")
            lab.set_loss_dup(lab.host_index(args[0]), command, float(args[1]))
        elif command == "delay":
            need(3, "delay HOST MS JITTER")
            lab.set_delay(lab.host_index(args[0]), int(args[1]), int(args[2]))
        elif command == "partition":
            if not args:
                raise LabError("usage: tools/netlab partition A,B C ...")
            groups = [[lab.host_index(h) for h in group.split(",") if h] for group in args]
            lab.set_blocked(lab.blocked() | Lab.partition_pairs(groups, lab.hosts))
        elif command == "oneway":
            need(2, "oneway A B")
            lab.set_blocked(lab.blocked() | {(lab.host_index(args[0]), lab.host_index(args[1]))})
        elif command == "heal":
            lab.heal(args[0] if args else "all")
        elif command == "kill":
            need(1, "kill HOST")
            lab.kill(lab.host_index(args[0]))
        elif command == "restart":
            need(1, "restart HOST")
            lab.restart(lab.host_index(args[0]))
        elif command == "skew":
            need(2, "skew HOST SECONDS")
            lab.skew(lab.host_index(args[0]), float(args[1]))
        elif command in ("diskfull", "diskfree"):
            need(1, f"{command} HOST")
            lab.disk_full(lab.host_index(args[0]), command == "diskfull")
        elif command == "exec":
            if len(args) < 2:
                raise LabError("usage: tools/netlab exec HOST CMD...")
            return subprocess.call(["ip", "netns", "exec", host_ns(lab.host_index(args[0])), *args[1:]])
        else:
            raise LabError(f"unknown command {command!r}; `tools/netlab help` lists them")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.modules["netlab"] = sys.modules["__main__"]  # scenario.py imports this module by name

    def interrupted(signal_number: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signal_number}")

    for caught in (signal.SIGTERM, signal.SIGHUP):  # run the cleanup of `finally` blocks
        signal.signal(caught, interrupted)
    try:
        sys.exit(main(sys.argv[1:]))
    except LabError as error:
        print(f"netlab: {error}", file=sys.stderr)
        sys.exit(1)
    except ValueError as error:
        print(f"netlab: bad argument: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("netlab: interrupted", file=sys.stderr)
        sys.exit(130)
