#!/usr/bin/env python3
"""Hostile-network soak for `starling serve`: replays the hostile-gossip and slow-client probes
of issue 10 against two keyed peers on loopback for a bounded time, and fails if a peer stops
answering, amplifies replayed traffic, or lets slow clients starve HTTP. Standard library only.

    tools/soak/hostile.py [--starling PATH] [--duration SECONDS] [--seed N]

Probes, in rounds until --duration passes (see tools/soak/README.md):
  gossip   captured sealed datagrams replayed as they are, bit-flipped, truncated, and random
           bytes, sent at peer A's gossip port;
  slow     slow-loris clients: connections that send a request head one byte at a time, never
           finish, or sit idle, at most --slow-clients at once;
  watch    watch streams opened past max_watchers.
Checks after every round: A and B answer /healthz within 2 s, also while the slow clients and
the watch streams are connected; a write at B reaches A; A's bytes sent during the gossip probe
stay within 20x the bytes replayed at it plus its own round traffic; A's dropped-datagram
counter grew; the header timeout (A runs with --header-timeout, 1 s) closed slow clients; and
exactly the watch streams past A's --max-watchers (100) were refused.
"""
import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

READY = re.compile(r"gossip on (\S+):(\d+); HTTP on (\S+):(\d+)")


def metric(port, name):
    """The sum of every sample of `name` in /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def healthy(port, timeout=2.0):
    try:
        started = time.monotonic()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout).read()
        return time.monotonic() - started
    except Exception as error:  # noqa: BLE001 - any failure is unhealthy
        print(f"soak: /healthz on {port} failed: {error}", file=sys.stderr)
        return None


def put(port, key, value):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/stores/default/entries/{key}",
        data=f'{{"value": "{value}"}}'.encode(), method="PUT")
    urllib.request.urlopen(request, timeout=5).read()


def get(port, key):
    try:
        return urllib.request.urlopen(
            f"http://127.0.0.1:{port}/v1/stores/default/entries/{key}", timeout=5).read().decode()
    except Exception:  # noqa: BLE001 - 404 until it arrives
        return None


class Peer:
    def __init__(self, starling, directory, key, join=None, gossip="127.0.0.1:0", extra=()):
        arguments = [starling, "serve", "--data-dir", directory, "--http", "127.0.0.1:0", "--resp", "127.0.0.1:0",
                     "--gossip", gossip, "--cluster-key-file", key, "--log-level", "warning", *extra]
        if join:
            arguments += ["--join", join]
        self.process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit(f"soak: starling serve exited: {self.process.wait()}")
            ready = READY.search(line)
            if ready:
                self.gossip = (ready.group(1), int(ready.group(2)))
                self.http = int(ready.group(4))
                threading.Thread(target=self.drain, daemon=True).start()
                return
        raise SystemExit("soak: starling serve did not start within 60 s")

    def drain(self):
        for line in self.process.stdout:
            if "warning" in line or "error" in line:
                sys.stderr.write("peer: " + line)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class CapturingRelay:
    """A UDP relay B uses as its seed: forwards to A and keeps copies of what B sent."""

    def __init__(self, target):
        self.target = target
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.outward = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.outward.bind(("127.0.0.1", 0))
        self.captured = []
        self.client = None
        threading.Thread(target=self.forward, daemon=True).start()
        threading.Thread(target=self.backward, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.socket.getsockname()[1]}"

    def forward(self):
        while True:
            data, source = self.socket.recvfrom(70000)
            self.client = source
            if len(self.captured) < 2000:
                self.captured.append(data)
            self.outward.sendto(data, self.target)

    def backward(self):
        while True:
            data, _ = self.outward.recvfrom(70000)
            if self.client:
                self.socket.sendto(data, self.client)


def gossip_probe(peer, captured, rng, count):
    """Replays, mutates and invents datagrams at `peer`; returns the bytes sent."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    for _ in range(count):
        original = rng.choice(captured) if captured else bytes(rng.randrange(256) for _ in range(64))
        kind = rng.randrange(4)
        if kind == 0:
            data = original
        elif kind == 1:
            data = bytearray(original)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            data = bytes(data)
        elif kind == 2:
            data = original[: rng.randrange(1, max(2, len(original)))]
        else:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 1400)))
        sender.sendto(data, peer.gossip)
        sent += len(data)
    sender.close()
    return sent


def slow_clients(port, rng, count, seconds):
    """Opens `count` slow or idle connections for `seconds`; returns how many the server closed
    and how long /healthz took while they were open (None: no answer within 2 s)."""
    connections = []
    for index in range(count):
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            break
        connection.setblocking(False)
        connections.append((connection, index % 3))
    head = b"GET /healthz HTTP/1.1\r\nHost: soak\r\n"
    deadline = time.monotonic() + seconds
    position = 0
    closed = 0
    while time.monotonic() < deadline and connections:
        for connection, style in list(connections):
            try:
                if style == 0 and position < len(head):
                    connection.send(head[position:position + 1])  # one byte a tick, never finished
                elif style == 1 and position == 0:
                    connection.send(head)  # a head that never ends
                if connection.recv(4096) == b"":
                    closed += 1
                    connections.remove((connection, style))
                    connection.close()
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
                connections.remove((connection, style))
                connection.close()
        position += 1
        time.sleep(0.2)  # the probe's own pacing, not a wait on the server
    latency = healthy(port)
    for connection, _ in connections:
        connection.close()
    return closed, latency


def watch_probe(port, count):
    """Opens `count` watch streams; returns the statuses seen."""
    statuses = []
    streams = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(b"GET /v1/stores/default/watch HTTP/1.1\r\nHost: soak\r\n\r\n")
        line = connection.recv(64).split(b"\r\n")[0].decode(errors="replace")
        statuses.append(line.split(" ")[1] if " " in line else "?")
        streams.append(connection)
    latency = healthy(port)
    for connection in streams:
        connection.close()
    return statuses, latency


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    repository = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--starling", default=os.path.join(repository, ".build/debug/starling"))
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--datagrams", type=int, default=2000, help="datagrams per gossip round")
    parser.add_argument("--slow-clients", type=int, default=200)
    parser.add_argument("--watchers", type=int, default=300)
    parser.add_argument("--header-timeout", type=float, default=1.0, help="peer A's header_timeout, seconds")
    parser.add_argument("--max-watchers", type=int, default=100, help="peer A's max_watchers")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    print(f"soak: seed {options.seed} (replay with --seed {options.seed}), {options.duration:.0f} s")
    with tempfile.TemporaryDirectory(prefix="starling-soak-") as work:
        key = os.path.join(work, "cluster.key")
        subprocess.run([options.starling, "keygen", key], check=True, stdout=subprocess.DEVNULL)
        a = Peer(options.starling, os.path.join(work, "a"), key, extra=(
            "--header-timeout", f"{int(options.header_timeout * 1000)}ms",
            "--max-watchers", str(options.max_watchers)))
        relay = CapturingRelay(a.gossip)
        b = Peer(options.starling, os.path.join(work, "b"), key, join=relay.address)
        failures = []
        try:
            deadline = time.monotonic() + options.duration
            round_number = 0
            while time.monotonic() < deadline:
                round_number += 1
                put(b.http, f"soak-{round_number}", f"round {round_number}")
                sent_before = metric(a.http, "starling_bytes_sent_total")
                dropped_before = metric(a.http, "starling_datagrams_dropped_total")
                replayed = gossip_probe(a, relay.captured, rng, options.datagrams)
                closed, slow_latency = slow_clients(a.http, rng, options.slow_clients, 3)
                statuses, watch_latency = watch_probe(a.http, options.watchers)
                if slow_latency is None:
                    failures.append(f"round {round_number}: HTTP did not answer while slow clients were connected")
                if watch_latency is None:
                    failures.append(f"round {round_number}: HTTP did not answer while watch streams were open")
                for peer in (a, b):
                    latency = healthy(peer.http)
                    if latency is None:
                        failures.append(f"round {round_number}: peer on {peer.http} stopped answering /healthz")
                key_arrived = False
                arrival_deadline = time.monotonic() + 20
                while time.monotonic() < arrival_deadline and not key_arrived:
                    key_arrived = get(a.http, f"soak-{round_number}") is not None
                    if not key_arrived:
                        time.sleep(0.1)  # polling for a condition, with a deadline
                if not key_arrived:
                    failures.append(f"round {round_number}: a write at B did not reach A within 20 s")
                sent = metric(a.http, "starling_bytes_sent_total") - sent_before
                dropped = metric(a.http, "starling_datagrams_dropped_total") - dropped_before
                if sent > 20 * replayed + 2_000_000:
                    failures.append(f"round {round_number}: A sent {sent:.0f} bytes after {replayed} hostile bytes")
                if dropped == 0:
                    failures.append(f"round {round_number}: no hostile datagram was counted as dropped")
                refused = sum(1 for status in statuses if status == "503")
                if options.header_timeout < 3 and closed == 0:
                    failures.append(f"round {round_number}: no slow client was closed by the header timeout")
                if options.watchers > options.max_watchers and refused != options.watchers - options.max_watchers:
                    failures.append(f"round {round_number}: {refused} watch streams refused past max_watchers "
                                    f"{options.max_watchers}, not {options.watchers - options.max_watchers}")
                print(f"soak: round {round_number}: {replayed} hostile bytes, A sent {sent:.0f}, dropped {dropped:.0f}; "
                      f"{closed}/{options.slow_clients} slow clients closed by the server; "
                      f"{refused}/{options.watchers} watch streams refused")
                if failures:
                    break
        finally:
            b.stop()
            a.stop()
    if failures:
        for failure in failures:
            print("soak: FAIL " + failure, file=sys.stderr)
        print(f"soak: replay with --seed {options.seed}", file=sys.stderr)
        return 1
    print("soak: pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
