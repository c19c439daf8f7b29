"""netlab scenario: a seeded workload and fault schedule, then convergence and safety checks.

Worker threads (--clients per peer) issue operations through each peer's HTTP API and record
when each started and finished. A peer's HLC orders what it does in real time: every write
a peer makes is stamped above every version that peer returned to an operation that had
finished before (it observes what it stores) and below every write of its own acknowledged
to an operation that started after. That bounds the stamp of writes whose version the API does not return (delete, clear,
writes without an answer), which is what makes last-writer-wins checkable:

- present key: its value comes from a set on that key that was not refused; its version is
  that set's version if it was acknowledged; no acknowledged set on the key has a greater
  version; no acknowledged delete or clear is known to be stamped above it.
- absent key: the acknowledged set with the greatest version expired (TTL), or some delete,
  clear or TTL write that may have been applied could be stamped above it.
- counters (store `counters`, only incremented): acknowledged sum <= value <= acknowledged
  plus unanswered increments. Counter keys in `default` (mixed with clears, which may
  reset them): 0 <= value <= every increment that was not refused.
- all peers hold identical listings (key, value, version, expiry) within the deadline.
"""
from __future__ import annotations

import argparse
import bisect
import json
import random
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from netlab import (Lab, LabError, UnknownOutcome, enter_bridge_namespace, host_name, http_call, log)

REFUSED = "refused"    # an error answer, or nothing listening: certainly not applied
ACKED = "acked"
UNKNOWN = "unknown"    # sent, no complete answer: may or may not have been applied
INF = "f" * 32         # above every version


@dataclass
class Op:
    host: int
    seq: int
    kind: str                      # set, delete, get, incr, clear
    store: str = "default"
    key: str = ""
    value: Any = None
    ttl: int = 0
    amount: int = 0
    status: str = ""
    version: str | None = None     # acknowledged set: its version; get: the version read
    expires_at: int | None = None
    deleted: bool | None = None
    error: str = ""
    started: float = 0
    ended: float = 0
    lo: str = "0" * 32             # the peer had stored this version before the op was issued
    hi: str = INF                  # the peer acknowledged a write with this version after the op


@dataclass
class Fault:
    start: float
    duration: float
    kind: str
    hosts: list[int]
    params: dict[str, Any] = field(default_factory=dict)
    applied_at: float | None = None
    healed_at: float | None = None
    note: str = ""

    def describe(self) -> str:
        hosts = ",".join(host_name(h) for h in self.hosts)
        extra = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.kind} {hosts} {extra}".strip()


class Workload:
    def __init__(self, lab: Lab, seed: int, hosts: int, rate: float, clients: int):
        self.lab = lab
        self.hosts = hosts
        self.rate = rate
        self.register_keys = [f"k/{n:02d}" for n in range(8 * hosts)]
        self.counter_keys = [f"c/{n}" for n in range(6)]
        self.default_counter_keys = [f"dc/{n}" for n in range(3)]
        self.clients = clients
        self.ops: dict[int, list[Op]] = {h: [] for h in range(1, hosts + 1)}
        self.randoms = {(h, c): random.Random(seed * 1000 + h * 10 + c)
                        for h in range(1, hosts + 1) for c in range(clients)}
        self.clears: dict[int, int] = {h: 0 for h in range(1, hosts + 1)}   # pending clears per host
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.crashes: list[str] = []

    def start(self) -> None:
        for h in range(1, self.hosts + 1):
            for c in range(self.clients):
                thread = threading.Thread(target=self.worker, args=(h, c), name=f"worker-{h}.{c}", daemon=True)
                thread.start()
                self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def request_clear(self, h: int) -> None:
        with self.lock:
            self.clears[h] += 1

    def worker(self, h: int, client: int) -> None:
        rng = self.randoms[(h, client)]
        counter = client * 10_000_000
        try:
            while not self.stop.is_set():
                counter += 1
                with self.lock:
                    clear = self.clears[h] > 0
                    if clear:
                        self.clears[h] -= 1
                if clear:
                    self.issue(Op(h, counter, "clear"))
                    counter += 1
                    self.issue(Op(h, counter, "set", key=f"p/{host_name(h)}.{client}",
                                  value=f"{host_name(h)}#{counter}"))
                else:
                    self.issue(self.next_op(h, counter, rng))
                if self.ops[h] and self.ops[h][-1].error == "ConnectionRefusedError":
                    time.sleep(0.05)  # the peer is down: poll, don't spin up thousands of refusals
                elif self.rate > 0:
                    time.sleep(rng.expovariate(self.rate))
        except Exception:  # a bug in the runner: report, never hide
            self.crashes.append(f"worker {h}: {traceback.format_exc()}")

    def next_op(self, h: int, counter: int, rng: random.Random) -> Op:
        roll = rng.random()
        if roll < 0.03:  # a new key with a bigger value: the data grows, so a full disk bites
            padding = "x" * rng.randint(512, 4096)
            return Op(h, counter, "set", key=f"g/{host_name(h)}/{counter}", value=f"{host_name(h)}#{counter}:{padding}")
        if roll < 0.45:
            ttl = rng.randint(1, 6) if rng.random() < 0.15 else 0
            return Op(h, counter, "set", key=rng.choice(self.register_keys), value=f"{host_name(h)}#{counter}", ttl=ttl)
        if roll < 0.55:
            return Op(h, counter, "delete", key=rng.choice(self.register_keys))
        if roll < 0.65:
            return Op(h, counter, "get", key=rng.choice(self.register_keys))
        if roll < 0.93:
            return Op(h, counter, "incr", store="counters", key=rng.choice(self.counter_keys), amount=rng.randint(1, 5))
        return Op(h, counter, "incr", key=rng.choice(self.default_counter_keys), amount=rng.randint(1, 5))

    def issue(self, op: Op) -> None:
        op.started = time.time()
        base = f"/v1/stores/{op.store}"
        try:
            if op.kind == "set":
                body: dict[str, Any] = {"value": op.value}
                if op.ttl:
                    body["ttl"] = op.ttl
                status, answer = http_call(op.host, "PUT", f"{base}/entries/{quote(op.key)}", body)
            elif op.kind == "delete":
                status, answer = http_call(op.host, "DELETE", f"{base}/entries/{quote(op.key)}")
            elif op.kind == "get":
                status, answer = http_call(op.host, "GET", f"{base}/entries/{quote(op.key)}")
            elif op.kind == "incr":
                status, answer = http_call(op.host, "POST", f"{base}/incr", {"key": op.key, "amount": op.amount})
            elif op.kind == "clear":
                status, answer = http_call(op.host, "POST", f"{base}/clear")
            else:
                raise ValueError(op.kind)
        except UnknownOutcome as error:
            op.status, op.error = UNKNOWN, str(error)
        except OSError as error:  # connection refused or unreachable: nothing was sent
            op.status, op.error = REFUSED, type(error).__name__
        else:
            if status == 200:
                op.status = ACKED
                if op.kind in ("set", "get"):
                    op.version = answer["version"]
                    op.expires_at = answer.get("expires_at")
                    if op.kind == "get":
                        op.value = answer["value"]
                elif op.kind == "delete":
                    op.deleted = answer["deleted"]
                elif op.kind == "incr":
                    op.value = answer["value"]
            elif op.kind == "get" and status == 404:
                op.status = ACKED
            else:
                op.status = REFUSED
                op.error = f"{status} {json.dumps(answer)[:200]}"
        op.ended = time.time()
        with self.lock:
            self.ops[op.host].append(op)

    def bracket(self) -> None:
        """Sets lo and hi of every op from the versions its peer returned to ops that finished
        before it started (lo) and to acknowledged sets that started after it finished (hi):
        one peer's HLC orders every write it makes after everything it had stored."""
        for ops in self.ops.values():
            by_end = sorted((op for op in ops if op.status == ACKED and op.version), key=lambda o: o.ended)
            ends = [op.ended for op in by_end]
            prefix_max, best = [], "0" * 32
            for op in by_end:
                best = max(best, op.version)
                prefix_max.append(best)
            sets = sorted((op for op in ops if op.status == ACKED and op.kind == "set" and op.version),
                          key=lambda o: o.started)
            starts = [op.started for op in sets]
            suffix_min, best = [INF] * (len(sets) + 1), INF
            for n in range(len(sets) - 1, -1, -1):
                best = min(best, sets[n].version)
                suffix_min[n] = best
            for op in ops:
                n = bisect.bisect_left(ends, op.started)
                op.lo = prefix_max[n - 1] if n else "0" * 32
                op.hi = suffix_min[bisect.bisect_right(starts, op.ended)]


def make_schedule(seed: int, hosts: int, duration: float, short: bool) -> tuple[list[Fault], list[tuple[float, int]]]:
    """The seeded fault schedule and clear times; the same seed gives the same schedule."""
    rng = random.Random(seed)
    required = ["loss", "dup", "delay", "partition", "kill", "skew"]
    if not short:
        required += ["oneway", "diskfull", "partition", "kill"]
    kinds = ["loss", "dup", "delay", "partition", "oneway", "kill", "skew"] + ([] if short else ["diskfull"])
    faults: list[Fault] = []
    t = 1.0
    order = required[:]
    rng.shuffle(order)
    # The last quarter is one partition plus loss that only the final heal ends, so the
    # time to converge after healing measures a real repair of diverged peers.
    final_start = round(0.75 * duration, 2)
    while t < final_start - 3:
        kind = order.pop() if order else rng.choice(kinds)
        length = rng.uniform(3, 7) if short else rng.uniform(5, 20)
        length = min(length, final_start - 0.5 - t)
        fault = Fault(round(t, 2), round(length, 2), kind, [])
        if kind in ("loss", "dup"):
            fault.hosts = [rng.randint(1, hosts)]
            fault.params = {"pct": rng.choice([10, 20, 30, 50] if kind == "loss" else [5, 10, 20])}
        elif kind == "delay":
            fault.hosts = [rng.randint(1, hosts)]
            ms = rng.choice([20, 50, 100, 200])
            fault.params = {"ms": ms, "jitter": rng.randint(0, ms)}
        elif kind == "partition":
            members = list(range(1, hosts + 1))
            rng.shuffle(members)
            cut = rng.randint(1, hosts - 1)
            fault.hosts = members
            fault.params = {"groups": [sorted(members[:cut]), sorted(members[cut:])]}
        elif kind == "oneway":
            a, b = rng.sample(range(1, hosts + 1), 2)
            fault.hosts = [a, b]
        elif kind in ("kill", "diskfull"):
            fault.hosts = [rng.randint(1, hosts)]
        elif kind == "skew":
            fault.hosts = [rng.randint(1, hosts)]
            fault.params = {"seconds": rng.choice([-20, -8, -3, 3, 8, 20])}
        faults.append(fault)
        t += rng.uniform(1.5, 4) if short else rng.uniform(3, 10)
    members = list(range(1, hosts + 1))
    rng.shuffle(members)
    cut = rng.randint(1, hosts - 1)
    faults.append(Fault(final_start, duration + 1 - final_start, "partition", members,
                        {"groups": [sorted(members[:cut]), sorted(members[cut:])]}))
    faults.append(Fault(final_start, duration + 1 - final_start, "loss", [rng.randint(1, hosts)], {"pct": 20}))
    clears = []
    for _ in range(2 if short else max(2, int(duration / 60))):
        clears.append((round(rng.uniform(0.2 * duration, 0.95 * duration), 2), rng.randint(1, hosts)))
    return faults, sorted(clears)


class FaultDriver:
    """Applies and heals faults, keeping kinds that would fight (two losses on one host,
    a kill of a host whose disk is full) from overlapping: a clashing fault is skipped."""

    def __init__(self, lab: Lab, seed: int):
        self.lab = lab
        self.seed = seed
        self.active: list[Fault] = []
        self.applied: list[Fault] = []
        self.skipped: list[Fault] = []

    def clashes(self, fault: Fault) -> bool:
        for other in self.active:
            if fault.kind in ("partition", "oneway") and other.kind in ("partition", "oneway"):
                return True
            if fault.kind in ("kill", "diskfull") and other.kind in ("kill", "diskfull"):
                if set(fault.hosts) & set(other.hosts):
                    return True
            if fault.kind == other.kind and set(fault.hosts) & set(other.hosts):
                return True
            if fault.kind == "skew" and other.kind == "skew":
                return True
        return False

    def apply(self, fault: Fault) -> None:
        if self.clashes(fault):
            fault.note = "skipped: clashes with an active fault"
            self.skipped.append(fault)
            return
        lab, h = self.lab, fault.hosts[0] if fault.hosts else 0
        if fault.kind in ("loss", "dup"):
            lab.set_loss_dup(h, fault.kind, fault.params["pct"])
        elif fault.kind == "delay":
            lab.set_delay(h, fault.params["ms"], fault.params["jitter"], seed=self.seed)
        elif fault.kind == "partition":
            lab.set_blocked(Lab.partition_pairs(fault.params["groups"], lab.hosts))
        elif fault.kind == "oneway":
            lab.set_blocked({(fault.hosts[0], fault.hosts[1])})
        elif fault.kind == "kill":
            lab.kill(h)
        elif fault.kind == "skew":
            lab.skew(h, fault.params["seconds"])
        elif fault.kind == "diskfull":
            lab.disk_full(h, True)
        fault.applied_at = time.time()
        self.active.append(fault)
        self.applied.append(fault)
        log(f"fault   + {fault.describe()}")

    def heal(self, fault: Fault) -> None:
        lab, h = self.lab, fault.hosts[0] if fault.hosts else 0
        if fault.kind in ("loss", "dup"):
            lab.set_loss_dup(h, fault.kind, 0)
        elif fault.kind == "delay":
            lab.set_delay(h, 0, 0)
        elif fault.kind in ("partition", "oneway"):
            lab.set_blocked(set())
        elif fault.kind == "kill":
            lab.restart(h)
        elif fault.kind == "skew":
            lab.skew(h, 0)
        elif fault.kind == "diskfull":
            lab.disk_full(h, False)
        fault.healed_at = time.time()
        self.active.remove(fault)
        log(f"fault   - {fault.describe()}")


def listing(h: int, store: str) -> list[tuple]:
    items: list[tuple] = []
    after = None
    while True:
        path = f"/v1/stores/{store}/entries?limit=1000" + (f"&after={quote(after)}" if after else "")
        status, answer = http_call(h, "GET", path, timeout=10)
        if status != 200:
            raise OSError(f"listing {store} on {host_name(h)}: {status} {answer}")
        for item in answer["items"]:
            items.append((item["key"], json.dumps(item["value"], sort_keys=True), item["version"],
                          item.get("expires_at")))
        if not answer.get("has_more"):
            return items
        after = answer["cursor"]


def snapshot(hosts: int) -> dict[int, dict[str, list[tuple]]]:
    return {h: {store: listing(h, store) for store in ("default", "counters")} for h in range(1, hosts + 1)}


def diff(a: list[tuple], b: list[tuple]) -> list[str]:
    left, right = {e[0]: e for e in a}, {e[0]: e for e in b}
    lines = []
    for key in sorted(set(left) | set(right)):
        if left.get(key) != right.get(key):
            lines.append(f"{key}: {left.get(key)} vs {right.get(key)}")
    return lines


def check(workload: Workload, final: dict[str, list[tuple]], checked_at_ms: int) -> list[str]:
    """The safety checks on the converged contents; returns the violations."""
    violations: list[str] = []
    all_ops = [op for ops in workload.ops.values() for op in ops]
    clears = [op for op in all_ops if op.kind == "clear" and op.status != REFUSED]
    acked_clears = [op for op in clears if op.status == ACKED]
    default = {e[0]: e for e in final["default"]}
    by_key: dict[str, list[Op]] = {}
    for op in all_ops:
        if op.store == "default" and op.kind in ("set", "delete", "incr"):
            by_key.setdefault(op.key, []).append(op)
    sets_by_value = {(op.key, op.value): op for op in all_ops if op.kind == "set"}
    tolerance = 2000

    for key, entry in default.items():
        if key.startswith("_netlab/"):
            continue
        if key not in by_key:
            violations.append(f"default/{key}: present but never written: {entry}")
    for key, ops in sorted(by_key.items()):
        entry = default.get(key)
        if key.startswith("dc/"):
            continue
        acked_sets = [op for op in ops if op.kind == "set" and op.status == ACKED]
        deletes = [op for op in ops if op.kind == "delete" and op.status != REFUSED]
        if entry is not None:
            _, value_json, version, expires_at = entry
            value = json.loads(value_json)
            writer = sets_by_value.get((key, value))
            if writer is None:
                violations.append(f"{key}: value {value!r} was never written to this key")
                continue
            if writer.status == REFUSED:
                violations.append(f"{key}: holds {value!r} from a write that was refused ({writer.error})")
            if writer.status == ACKED and writer.version != version:
                violations.append(f"{key}: version {version} but its write was acknowledged as {writer.version}")
            if not (writer.lo < version < writer.hi):
                violations.append(f"{key}: version {version} of {value!r} outside its peer's order "
                                  f"({writer.lo} .. {writer.hi})")
            newer = [op for op in acked_sets if op.version > version]
            if newer:
                op = max(newer, key=lambda o: o.version)
                violations.append(f"{key}: holds {value!r} ({version}) but acknowledged {op.value!r} "
                                  f"({op.version}, {host_name(op.host)}) is newer: lost update")
            for op in [d for d in deletes if d.status == ACKED] + acked_clears:
                if op.lo >= version:
                    violations.append(f"{key}: holds {value!r} ({version}) although an acknowledged {op.kind} "
                                      f"on {host_name(op.host)} (#{op.seq}) is stamped above {op.lo}: resurrected")
            if expires_at is not None and expires_at < checked_at_ms - tolerance:
                violations.append(f"{key}: expired at {expires_at} but still listed at {checked_at_ms}")
        elif acked_sets:
            last = max(acked_sets, key=lambda o: o.version)
            if last.ttl and last.expires_at is not None and last.expires_at <= checked_at_ms + tolerance:
                continue
            explainers = [op for op in deletes + clears if op.hi > last.version]
            explainers += [op for op in ops if op.kind == "set" and op.ttl and op.status == UNKNOWN
                           and op.hi > last.version]
            if not explainers:
                violations.append(f"{key}: acknowledged {last.value!r} ({last.version}, {host_name(last.host)} "
                                  f"#{last.seq}) is gone and no delete, clear or expiry can be stamped above it: "
                                  "lost write")

    counters = {e[0]: json.loads(e[1]) for e in final["counters"]}
    incrs = [op for op in all_ops if op.kind == "incr" and op.store == "counters"]
    for key in sorted({op.key for op in incrs} | set(counters)):
        acked = sum(op.amount for op in incrs if op.key == key and op.status == ACKED)
        unknown = sum(op.amount for op in incrs if op.key == key and op.status == UNKNOWN)
        value = counters.get(key, 0)
        if not isinstance(value, int) or not acked <= value <= acked + unknown:
            violations.append(f"counters/{key}: {value!r}, expected {acked}..{acked + unknown} "
                              f"(acknowledged {acked}, unanswered {unknown})")
    for key in workload.default_counter_keys:
        issued = sum(op.amount for op in by_key.get(key, []) if op.kind == "incr" and op.status != REFUSED)
        entry = default.get(key)
        value = json.loads(entry[1]) if entry else 0
        if not isinstance(value, int) or not 0 <= value <= issued:
            violations.append(f"default/{key}: {value!r}, expected 0..{issued}")
    return violations


def main(lab: Lab, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tools/netlab scenario")
    parser.add_argument("--short", action="store_true", help="3 hosts, about a minute in all (CI)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--hosts", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds of workload under faults")
    parser.add_argument("--rate", type=float, default=100, help="operations per second per peer (0: no pause)")
    parser.add_argument("--clients", type=int, default=3, help="concurrent HTTP clients per peer")
    parser.add_argument("--deadline", type=float, default=None, help="seconds allowed to converge after healing")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards (for inspection)")
    options = parser.parse_args(argv)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    hosts = options.hosts or (3 if options.short else 5)
    duration = options.duration or (30 if options.short else 240)
    deadline = options.deadline or (30 if options.short else 90)
    if hosts < 2:
        raise LabError("a scenario needs at least 2 hosts")
    faults, clear_times = make_schedule(seed, hosts, duration, options.short)
    command = (f"tools/netlab scenario {'--short ' if options.short else ''}--seed {seed} --hosts {hosts} "
               f"--duration {duration:g} --clients {options.clients} --rate {options.rate:g}")
    log(f"scenario seed {seed}: {hosts} hosts, {duration:g} s of faults, {len(faults)} faults scheduled, "
        f"{len(clear_times)} clears; replay with: {command}")
    began = time.time()
    report: dict[str, Any] = {"seed": seed, "hosts": hosts, "duration": duration, "command": command}
    violations: list[str] = []
    if lab.state.get("created"):
        log(f"a previous lab is still recorded in {lab.state_path}; removing it first")
        lab.down()
    try:
        lab.up(hosts)
        enter_bridge_namespace()
        workload = Workload(lab, seed, hosts, options.rate, options.clients)
        driver = FaultDriver(lab, seed)
        events: list[tuple[float, int, str, Any]] = []
        for n, fault in enumerate(faults):
            events.append((fault.start, n, "apply", fault))
            if fault.start + fault.duration <= duration:  # the rest end at the final heal
                events.append((fault.start + fault.duration, n, "heal", fault))
        for n, (t, h) in enumerate(clear_times):
            events.append((t, 10_000 + n, "clear", h))
        events.sort(key=lambda e: (e[0], e[2] != "heal", e[1]))
        start = time.time()
        workload.start()
        unexpected_exits: list[str] = []
        killed = lambda h: any(f.kind == "kill" and h in f.hosts for f in driver.active)  # noqa: E731
        for t, _, action, item in events:
            while time.time() < start + t:
                time.sleep(min(0.1, start + t - time.time()) if start + t > time.time() else 0)
                for h in range(1, hosts + 1):
                    if not killed(h) and not lab.peer_alive(h) and host_name(h) not in " ".join(unexpected_exits):
                        unexpected_exits.append(f"{host_name(h)} exited on its own (code {lab.exit_code(h)}) "
                                                f"at +{time.time() - start:.1f} s; see {lab.host_dir(h)}/serve.log")
                        log(f"!! {unexpected_exits[-1]}")
            if action == "apply":
                driver.apply(item)
            elif action == "heal":
                if item in driver.active:
                    driver.heal(item)
            else:
                workload.request_clear(item)
                log(f"clear   on {host_name(item)}")
        while time.time() < start + duration:
            time.sleep(0.1)
        workload.finish()
        for fault in list(driver.active):
            driver.heal(fault)
        for h in range(1, hosts + 1):
            if not lab.peer_alive(h):
                if host_name(h) not in " ".join(unexpected_exits):
                    unexpected_exits.append(f"{host_name(h)} exited on its own (code {lab.exit_code(h)}); "
                                            f"see {lab.host_dir(h)}/serve.log")
                lab.restart(h)
        try:
            before = snapshot(hosts)
            disagreements = 0
            for st in ("default", "counters"):
                views = [{e[0]: e for e in before[h][st]} for h in range(1, hosts + 1)]
                keys = set().union(*views)
                disagreements += sum(1 for k in keys if len({v.get(k) for v in views}) > 1)
            report["differences_at_heal"] = disagreements
        except OSError as error:
            report["differences_at_heal"] = f"listing failed: {error}"
        lab.heal("all")
        healed = time.time()
        log(f"healed everything at +{healed - start:.1f} s; waiting for convergence (deadline {deadline:g} s)")
        converged_after = None
        last_diff: list[str] = []
        final = None
        while time.time() < healed + deadline:
            try:
                snap = snapshot(hosts)
            except OSError as error:
                last_diff = [f"listing failed: {error}"]
                time.sleep(0.5)
                continue
            checked_at_ms = int(time.time() * 1000)
            last_diff = []
            for h in range(2, hosts + 1):
                for store in ("default", "counters"):
                    for line in diff(snap[1][store], snap[h][store]):
                        last_diff.append(f"h1 vs {host_name(h)} {store}/{line}")
            if not last_diff:
                converged_after = time.time() - healed
                final = snap[1]
                break
            time.sleep(0.5)
        workload.bracket()
        all_ops = [op for ops in workload.ops.values() for op in ops]
        writes = [op for op in all_ops if op.kind in ("set", "delete", "incr", "clear")]

        def count(kind: str | None, status: str | None) -> int:
            return sum(1 for op in all_ops if (kind is None or op.kind == kind) and (status is None or op.status == status))

        report["ops"] = {kind: {"issued": count(kind, None), "acked": count(kind, ACKED),
                                "refused": count(kind, REFUSED), "unknown": count(kind, UNKNOWN)}
                         for kind in ("set", "delete", "get", "incr", "clear")}
        reasons: dict[str, int] = {}
        for op in all_ops:
            if op.status != ACKED:
                reason = op.error.split(" ")[0] if op.error.startswith("5") or op.error.startswith("4") else op.error
                reason = {"503": "503 UNAVAILABLE"}.get(reason, reason)
                reasons[f"{op.status}: {reason[:50]}"] = reasons.get(f"{op.status}: {reason[:50]}", 0) + 1
        report["refusals"] = reasons
        report["writes"] = {"issued": len(writes), "acked": sum(op.status == ACKED for op in writes)}
        report["faults_applied"] = [f"+{f.applied_at - start:.1f}s..+{(f.healed_at or healed) - start:.1f}s "
                                    f"{f.describe()}" for f in driver.applied]
        report["faults_skipped"] = [f"{f.start:.1f}s {f.describe()}" for f in driver.skipped]
        report["converged_after_seconds"] = round(converged_after, 2) if converged_after is not None else None
        violations += workload.crashes
        violations += unexpected_exits
        if converged_after is None:
            violations.append(f"no convergence within {deadline:g} s of healing; {len(last_diff)} differences, "
                              f"first: " + "; ".join(last_diff[:10]))
            final = snapshot(hosts)[1] if not last_diff or "listing failed" not in last_diff[0] else None
        if final is not None:
            report["final_keys"] = {store: len(items) for store, items in final.items()}
            violations += check(workload, final, checked_at_ms)
        report["violations"] = violations
        (lab.dir / "oplog.jsonl").write_text("".join(json.dumps(op.__dict__) + "\n" for op in all_ops))
        if final is not None:
            (lab.dir / "final.json").write_text(json.dumps(final, indent=1))
        (lab.dir / "report.json").write_text(json.dumps(report, indent=2))
    except BaseException as error:
        violations.append(f"the scenario failed: {type(error).__name__}: {error}")
        report["violations"] = violations
        if not isinstance(error, (LabError, KeyboardInterrupt)):
            traceback.print_exc()
    finally:
        if options.keep and report.get("converged_after_seconds") is not None:
            log(f"--keep: the lab stays up in {lab.dir}; `tools/netlab down` removes it")
        else:
            lab.down()
    print_report(report, time.time() - began)
    return 1 if violations else 0


def print_report(report: dict[str, Any], elapsed: float) -> None:
    print(f"\n== netlab scenario report (seed {report['seed']}, {report['hosts']} hosts, "
          f"{report['duration']:g} s of faults, {elapsed:.0f} s in all)")
    print(f"replay: {report['command']}")
    ops = report.get("ops", {})
    if ops:
        print(f"writes issued {report['writes']['issued']}, acknowledged {report['writes']['acked']}")
        for kind, figures in ops.items():
            print(f"  {kind:7s} issued {figures['issued']:6d}  acked {figures['acked']:6d}  "
                  f"refused {figures['refused']:5d}  unanswered {figures['unknown']:4d}")
    applied = report.get("faults_applied", [])
    print(f"faults applied: {len(applied)}")
    for line in applied:
        print(f"  {line}")
    for line in report.get("faults_skipped", []):
        print(f"  (skipped, clashed) {line}")
    if "refusals" in report:
        print(f"refusals: {report['refusals']}")
    if "differences_at_heal" in report:
        print(f"keys the peers disagreed on just before the final heal: {report['differences_at_heal']}")
    converged = report.get("converged_after_seconds")
    print(f"time to converge after healing: {'%.2f s' % converged if converged is not None else 'NOT CONVERGED'}")
    if "final_keys" in report:
        print(f"final contents: {report['final_keys']}")
    violations = report.get("violations", [])
    print(f"violations: {len(violations)}" + ("" if violations else " (none)"))
    for line in violations[:40]:
        print(f"  ! {line}")
    if len(violations) > 40:
        print(f"  ... {len(violations) - 40} more in report.json")
