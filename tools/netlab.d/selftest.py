"""Self-test of the scenario checker: replays a finished run's op log and converged contents
(<lab-dir>/oplog.jsonl and final.json), then corrupts the contents in ways a buggy store could
and expects each corruption to be reported. No root needed.

    python3 tools/netlab.d/selftest.py [LAB_DIR]
"""
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scenario  # noqa: E402


def main() -> int:
    lab = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/starling-netlab")
    ops = [scenario.Op(**json.loads(line)) for line in (lab / "oplog.jsonl").read_text().splitlines()]
    final = {store: [tuple(e) for e in items] for store, items in json.loads((lab / "final.json").read_text()).items()}
    hosts = max(op.host for op in ops)
    workload = scenario.Workload(None, 0, hosts, 0, 1)
    workload.ops = {h: [op for op in ops if op.host == h] for h in range(1, hosts + 1)}
    workload.bracket()
    now = max(op.ended for op in ops) * 1000 + 1000
    failures = 0
    baseline = scenario.check(workload, final, int(now))
    print(f"unchanged contents: {len(baseline)} violations (expected 0)")
    failures += bool(baseline)

    def expect(name, mutated):
        nonlocal failures
        found = scenario.check(workload, mutated, int(now))
        print(f"{name}: {len(found)} violations{' -- NOT DETECTED' if not found else ''}; first: {found[:1]}")
        failures += not found

    present = [e for e in final["default"] if e[0].startswith("k/")]
    if present:
        key = present[0][0]
        older = [op for op in ops if op.key == key and op.kind == "set" and op.status == "acked"
                 and op.version < present[0][2]]
        if older:
            mutated = copy.deepcopy(final)
            mutated["default"] = [(k, json.dumps(older[0].value), older[0].version, older[0].expires_at)
                                  if k == key else (k, v, ver, exp) for k, v, ver, exp in final["default"]]
            expect("older acknowledged value kept (lost update)", mutated)
        mutated = copy.deepcopy(final)
        mutated["default"] = [e for e in final["default"] if e[0] != key]
        expect("acknowledged value dropped (lost write)", mutated)
    mutated = copy.deepcopy(final)
    mutated["counters"] = [(k, json.dumps(json.loads(v) - 1), ver, exp) for k, v, ver, exp in final["counters"]]
    expect("counter short by one", mutated)
    deleted = [op for op in ops if op.kind == "delete" and op.status == "acked" and op.deleted
               and op.key.startswith("k/") and op.key not in {e[0] for e in final["default"]}]
    resurrect = [op for op in ops if deleted and op.key == deleted[-1].key and op.kind == "set"
                 and op.status == "acked" and op.version <= deleted[-1].lo]
    if resurrect:
        mutated = copy.deepcopy(final)
        w = resurrect[-1]
        mutated["default"] = sorted(final["default"] + [(w.key, json.dumps(w.value), w.version, None)])
        expect("deleted key resurrected", mutated)
    print("self-test", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
