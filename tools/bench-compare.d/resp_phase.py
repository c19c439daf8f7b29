#!/usr/bin/env python3
"""The RESP phase of tools/bench-compare: redis-benchmark against a Starling peer, a Starling
cluster and Redis, side by side.

For each of SET, GET and INCR, unpipelined (-P 1) and pipelined (-P 16), with 50 clients,
100-byte values and random keys (-r), it runs redis-benchmark against one Starling peer and
against Redis (appendonly yes, appendfsync everysec), and reads each server's CPU time (user +
system, /proc/PID/stat) around the run: requests/s, CPU microseconds per request, and the
ratios. Then a 3-peer cluster: SET -P 16 through peer 1, counted until every peer holds every
key (DBSIZE equal on all peers, and a last key written after the benchmark visible everywhere),
compared with etcd's acknowledged write rate of the same bench-compare run (its JSON report),
and each receiving peer's CPU per applied entry. Medians of --runs runs.
"""
import argparse, json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cli(port, *words):
    return subprocess.run(["redis-cli", "-p", str(port), *map(str, words)], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def benchmark(port, test, pipeline, requests, keyspace):
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-t", test, "-P", str(pipeline), "-c", "50", "-n", str(requests),
         "-d", "100", "-r", str(keyspace), "-q"],
        capture_output=True, text=True, timeout=600).stdout
    found = re.findall(r"([\d.]+) requests per second", out.replace("\r", "\n"))
    if not found:
        sys.exit(f"resp phase: redis-benchmark printed no rate for {test}: {out[-300:]}")
    return float(found[-1])


class Peer:
    def __init__(self, starling, directory, key, join=None):
        arguments = [starling, "serve", "--data-dir", directory, "--http", "127.0.0.1:0", "--resp", "127.0.0.1:0",
                     "--gossip", "127.0.0.1:0", "--log-level", "warning"]
        if key:
            arguments += ["--cluster-key-file", key]
        if join:
            arguments += ["--join", join]
        self.process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 30
        for line in self.process.stdout:
            found = re.search(r"gossip on (\S+); HTTP on \S+; RESP on 127\.0\.0\.1:(\d+)", line)
            if found:
                self.gossip, self.port = found.group(1), int(found.group(2))
                break
            if time.time() > deadline:
                break
        else:
            sys.exit(f"resp phase: starling serve did not start: {line!r}")
        self.pid = self.process.pid

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--starling", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", type=int, default=3)
    parser.add_argument("--etcd-json", help="bench compare's JSON report, for etcd's write rate")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the request counts")
    options = parser.parse_args()
    keyspace = 100_000
    tests = [("set", 1, 40_000), ("set", 16, 150_000), ("get", 1, 60_000), ("get", 16, 300_000),
             ("incr", 1, 40_000), ("incr", 16, 150_000)]
    processes = []
    try:
        single = Peer(options.starling, os.path.join(options.work, "resp-single"), None)
        processes.append(single)
        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", options.work,
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if cli(redis_port, "ping") == "PONG":
                break
            time.sleep(0.1)
        figures = {}
        for run in range(options.runs):
            for test, pipeline, requests in tests:
                requests = int(requests * options.scale)
                for name, port, pid in (("starling", single.port, single.pid), ("redis", redis_port, redis.pid)):
                    before = cpu_seconds(pid)
                    rate = benchmark(port, test, pipeline, requests, keyspace)
                    used = cpu_seconds(pid) - before
                    figures.setdefault((test, pipeline, name), []).append((rate, used * 1e6 / requests))
        redis.terminate()
        redis.wait(timeout=20)

        print(f"\nRESP: redis-benchmark -c 50 -d 100 -r {keyspace}, median of {options.runs} run(s); "
              "Redis with appendonly yes, appendfsync everysec; CPU = the server's user + system time per request")
        header = ("test", "starling req/s", "redis req/s", "starling/redis", "starling cpu us", "redis cpu us")
        print("  ".join(f"{h:>15}" for h in header))
        for test, pipeline, _ in tests:
            s = figures[(test, pipeline, "starling")]
            r = figures[(test, pipeline, "redis")]
            srate, rrate = statistics.median(x[0] for x in s), statistics.median(x[0] for x in r)
            scpu, rcpu = statistics.median(x[1] for x in s), statistics.median(x[1] for x in r)
            row = (f"{test.upper()} -P {pipeline}", f"{srate:,.0f}", f"{rrate:,.0f}", f"{srate / rrate:.2f}",
                   f"{scpu:.1f}", f"{rcpu:.1f}")
            print("  ".join(f"{c:>15}" for c in row))
        single.stop()

        # The cluster: SET -P 16 through peer 1, until every peer holds every key.
        key = os.path.join(options.work, "resp-cluster.key")
        subprocess.run([options.starling, "keygen", "--force", key], check=True, capture_output=True)
        first = Peer(options.starling, os.path.join(options.work, "resp-c0"), key)
        cluster = [first] + [Peer(options.starling, os.path.join(options.work, f"resp-c{i}"), key, join=first.gossip)
                             for i in range(1, options.peers)]
        processes += cluster
        deadline = time.time() + 60
        while time.time() < deadline and cli(first.port, "info", "replication").count("state=alive") < options.peers - 1:
            time.sleep(0.2)
        rates, receiver_cpu = [], []
        for run in range(options.runs):
            cli(first.port, "flushdb")
            time.sleep(1)
            requests = int(150_000 * options.scale)
            cpu_before = [cpu_seconds(p.pid) for p in cluster]
            applied_before = [int(cli(p.port, "dbsize") or 0) for p in cluster]
            start = time.time()
            benchmark(first.port, "set", 16, requests, keyspace)
            marker = f"bench:done:{run}"
            cli(first.port, "set", marker, "1")
            target = int(cli(first.port, "dbsize"))
            deadline = time.time() + 300
            while time.time() < deadline:
                if all(cli(p.port, "exists", marker) == "1" and int(cli(p.port, "dbsize")) == target for p in cluster):
                    break
                time.sleep(0.02)
            else:
                sys.exit("resp phase: the cluster did not converge within 300 s")
            elapsed = time.time() - start
            rates.append(requests / elapsed)
            # A receiving peer applies each distinct key at least once; CPU per request it received.
            for index, peer in enumerate(cluster[1:], start=1):
                receiver_cpu.append((cpu_seconds(peer.pid) - cpu_before[index]) * 1e6 / requests)
        rate = statistics.median(rates)
        print(f"\n{options.peers}-peer cluster, SET -P 16 -c 50 through peer 1, until every peer holds every key: "
              f"{rate:,.0f} writes/s (median of {options.runs})")
        print(f"receiving peers' CPU per write taken by peer 1: {statistics.median(receiver_cpu):.1f} us "
              "(user + system; writes to the same key within a delta are applied once)")
        if options.etcd_json and os.path.exists(options.etcd_json):
            rows = json.load(open(options.etcd_json))["rows"]
            etcd = max((row["etcd"] for row in rows if row.get("etcd") and re.fullmatch(r"set x\d+ ops/s", row["name"])),
                       default=None)
            if etcd:
                print(f"versus etcd's acknowledged set rate in this run ({etcd:,.0f}/s): {rate / etcd:.2f}x "
                      "(target >= 10x)")
    finally:
        for process in processes:
            process.stop()


if __name__ == "__main__":
    main()
