"""redis-py (5.x) against live `starling serve` peers: every command Starling serves, the
refusals of conditional commands, AUTH under an access policy, and replication across a
three-peer cluster. Run by tools/resp-clients/run, which starts the peers, once with RESP2
clients and once with RESP3 ones; plain Python, no pytest: each test is a function whose
asserts say what went wrong, and the last line is `redis-py/RESPn: N passed, N failed`.

    clients_test.py --resp PORT --http PORT --auth-resp PORT --auth-secret SECRET \
        --cluster-resp PORT,PORT,PORT [--protocol 2|3] [--only NAME]

The plain peer hosts `default` (database 0) and `app:cache` (database 1); tests that need a
known key count start with FLUSHDB, so they run one after another in the order written.
"""

import argparse
import json
import socket
import sys
import time
import traceback
import urllib.error
import urllib.request

import redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

LINEARIZABLE = "linearizable"
HOST = "127.0.0.1"

options = None  # the parsed command line
tests = []  # (name, function, known bug or None), in the order written


def test(function):
    tests.append((function.__name__, function, None))
    return function


def known_bug(description):
    """A test of a Starling bug not fixed yet: its failure is reported but does not fail the
    run; its passing does, so the mark is removed once the bug is fixed."""

    def mark(function):
        tests.append((function.__name__, function, description))
        return function

    return mark


def client(port=None, **kwargs):
    kwargs.setdefault("protocol", options.protocol)
    kwargs.setdefault("decode_responses", True)
    kwargs.setdefault("socket_timeout", 10)
    kwargs.setdefault("socket_connect_timeout", 10)
    return redis.Redis(host=HOST, port=port or options.resp, **kwargs)


def raw(port, *words):
    """Sends one command as a RESP array on a new connection and returns the reply's first
    line, as bytes (for the exact error codes redis-py strips off)."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        command = b"*%d\r\n" % len(words)
        for word in words:
            data = word if isinstance(word, bytes) else str(word).encode()
            command += b"$%d\r\n%s\r\n" % (len(data), data)
        sock.sendall(command)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply.split(b"\r\n")[0]


def http_entry(store, key):
    """The entry's JSON over the plain peer's HTTP API, or None when it is absent (404)."""
    url = f"http://{HOST}:{options.http}/v1/stores/{store}/entries/{key}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def raises(kind, call, *, contains=None):
    """Runs `call`, which must raise `kind` (or a subclass), with `contains` in its text; returns
    the error."""
    try:
        result = call()
    except kind as error:
        if contains is not None:
            assert contains in str(error), f"{kind.__name__} {str(error)!r} lacks {contains!r}"
        return error
    raise AssertionError(f"expected {kind.__name__}, got the reply {result!r}")


def eventually(what, probe, seconds=20.0):
    """Polls `probe` until it returns a true value, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s (last probe: {last!r})")


# --- connection commands ----------------------------------------------------------------------


@test
def ping_and_echo():
    r = client()
    assert r.ping() is True, "PING"
    assert r.echo("hi there") == "hi there", "ECHO"
    # redis-py turns any PING reply into a bool; the bulk reply of PING MESSAGE, raw:
    assert raw(options.resp, "PING", "message") == b"$7", "PING MESSAGE replies the message"


@test
def hello_resp3():
    r3 = client(protocol=3)
    hello = r3.execute_command("HELLO", 3)
    assert isinstance(hello, dict), f"HELLO 3 is a map: {hello!r}"
    assert hello["proto"] == 3 and hello["server"] == "redis", f"HELLO 3: {hello!r}"
    assert hello["id"] == r3.client_id(), f"HELLO's id {hello['id']} is the CLIENT ID"
    r3.set("hello:k", "v")
    assert r3.get("hello:k") == "v", "GET over RESP3"
    assert r3.get("hello:missing") is None, "RESP3 null for a missing key"
    assert r3.mget("hello:k", "hello:missing") == ["v", None], "MGET over RESP3"
    assert r3.info("server")["redis_mode"] == "standalone", "INFO over RESP3"
    assert r3.delete("hello:k") == 1
    # RESP2 writes the map as a flat array.
    hello2 = client(protocol=2).execute_command("HELLO", 2)
    assert isinstance(hello2, list) and hello2[:2] == ["server", "redis"], f"HELLO 2: {hello2!r}"


@test
def client_name_and_id():
    r = client(single_connection_client=True)
    assert r.client_getname() is None, "no name before SETNAME"
    assert r.client_setname("resp-clients") is True
    assert r.client_getname() == "resp-clients"
    first = r.client_id()
    assert isinstance(first, int) and first > 0, f"CLIENT ID {first!r}"
    other = client(single_connection_client=True).client_id()
    assert other != first, f"two connections share CLIENT ID {first}"
    raises(ResponseError, lambda: r.client_setname("has space"))
    r.close()


@test
def command_table():
    # RESP2 explicitly: over RESP3, redis-py needs more fields per command (the known bug below).
    r = client(protocol=2)
    count = r.command_count()
    table = r.command()
    assert count == len(table), f"COMMAND COUNT {count} but COMMAND lists {len(table)}"
    for name in ("get", "set", "mget", "scan", "incrby", "expireat", "select"):
        assert name in table, f"COMMAND lacks {name}"
    assert table["get"]["arity"] == 2 and "readonly" in table["get"]["flags"], f"get: {table['get']!r}"
    assert table["mset"]["step_count"] == 2, f"mset: {table['mset']!r}"
    assert client().command_count() == count, "COMMAND COUNT over this run's protocol"


@test
def command_table_resp3():
    table = client(protocol=3).command()
    assert "get" in table and table["get"]["arity"] == 2, f"get: {table.get('get')!r}"


@test
def command_getkeys():
    keys = client(protocol=2).command_getkeys("MSET", "a", "1", "b", "2")
    assert keys == ["a", "b"], f"COMMAND GETKEYS MSET a 1 b 2: {str(keys)[:120]}"


@test
def quit_closes_the_connection():
    r = client()
    assert r.quit() is True, "QUIT"
    # (Not r.ping() next: whether redis-py notices the close first is a race, with Redis too.)
    with socket.create_connection((HOST, options.resp), timeout=10) as sock:
        sock.sendall(b"QUIT\r\n")
        received = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        assert received == b"+OK\r\n", f"QUIT replies +OK then closes: {received!r}"


# --- strings ----------------------------------------------------------------------------------


@test
def get_set_round_trip():
    r = client()
    assert r.set("str:k", "value") is True
    assert r.get("str:k") == "value"
    assert r.set("str:k", "") is True and r.get("str:k") == "", "the empty string"
    text = "naïve – 日本語 🚀"
    assert r.set("str:unicode", text) is True and r.get("str:unicode") == text, "UTF-8 round trip"
    big = "x" * 200_000
    assert r.set("str:big", big) is True and r.get("str:big") == big, "a 200 kB value"
    assert r.get("str:missing") is None
    assert http_entry("default", "str:unicode")["value"] == text, "the value over HTTP is the JSON string"
    r.delete("str:k", "str:unicode", "str:big")


@test
def set_expiry_options():
    r = client()
    now = time.time()
    assert r.set("ttl:ex", "v", ex=100) is True
    assert 99 <= r.ttl("ttl:ex") <= 100, f"SET EX 100: TTL {r.ttl('ttl:ex')}"
    assert r.set("ttl:px", "v", px=100_000) is True
    assert 95_000 <= r.pttl("ttl:px") <= 100_000, f"SET PX 100000: PTTL {r.pttl('ttl:px')}"
    assert r.set("ttl:exat", "v", exat=int(now) + 100) is True
    assert 97 <= r.ttl("ttl:exat") <= 101, f"SET EXAT now+100: TTL {r.ttl('ttl:exat')}"
    assert r.set("ttl:pxat", "v", pxat=int(now * 1000) + 100_000) is True
    assert 95_000 <= r.pttl("ttl:pxat") <= 100_000, f"SET PXAT now+100 s: PTTL {r.pttl('ttl:pxat')}"
    assert r.set("ttl:ex", "w", keepttl=True) is True
    assert r.get("ttl:ex") == "w" and 98 <= r.ttl("ttl:ex") <= 100, f"KEEPTTL keeps it: {r.ttl('ttl:ex')}"
    assert r.set("ttl:ex", "x") is True and r.ttl("ttl:ex") == -1, "a plain SET clears the TTL"
    assert r.ttl("ttl:missing") == -2 and r.pttl("ttl:missing") == -2, "TTL of a missing key is -2"
    raises(ResponseError, lambda: r.set("ttl:bad", "v", ex=0), contains="invalid expire time")
    raises(ResponseError, lambda: r.execute_command("SET", "ttl:bad", "v", "EX", "10", "PX", "5"), contains="syntax")
    assert r.exists("ttl:bad") == 0, "a refused SET stores nothing"
    # A key set to expire goes away.
    assert r.set("ttl:short", "v", px=300) is True
    eventually("a key SET with PX 300 expires", lambda: r.get("ttl:short") is None, seconds=10)
    r.delete("ttl:ex", "ttl:px", "ttl:exat", "ttl:pxat")


@test
def del_unlink_exists_many_keys():
    r = client()
    keys = [f"many:{i}" for i in range(50)]
    assert r.mset({key: str(i) for i, key in enumerate(keys)}) is True
    assert r.exists(*keys) == 50, "EXISTS of 50 keys"
    assert r.exists(keys[0], keys[0], "many:missing") == 2, "EXISTS counts a repeated key twice"
    assert r.delete(*keys[:25], "many:missing") == 25, "DEL of 25 keys and a missing one"
    assert r.unlink(*keys[25:], "many:missing") == 25, "UNLINK of 25 keys and a missing one"
    assert r.exists(*keys) == 0, "all gone"
    assert r.delete("many:missing") == 0


@test
def mget_mset():
    r = client()
    assert r.mset({"m:a": "1", "m:b": "two", "m:c": ""}) is True
    assert r.mget("m:a", "m:missing", "m:b", "m:c") == ["1", None, "two", ""]
    assert r.mget(["m:a", "m:a"]) == ["1", "1"]
    raises(ResponseError, lambda: r.execute_command("MSET", "m:a", "1", "m:b"), contains="wrong number")
    r.delete("m:a", "m:b", "m:c")


@test
def incr_decr():
    r = client()
    r.delete("n:k")
    assert r.incr("n:k") == 1, "INCR of a missing key"
    assert r.incrby("n:k", 41) == 42
    assert r.decr("n:k") == 41
    assert r.decrby("n:k", 50) == -9
    assert r.incr("n:k", -1) == -10, "INCRBY with a negative amount"
    assert r.get("n:k") == "-10", "the counter is the decimal string"
    r.set("n:ten", "10")
    assert r.incr("n:ten") == 11, "INCR after SET 10"
    r.set("n:text", "abc")
    raises(ResponseError, lambda: r.incr("n:text"), contains="not an integer")
    r.set("n:max", str(2**63 - 1))
    raises(ResponseError, lambda: r.incr("n:max"), contains="overflow")
    raises(ResponseError, lambda: r.incrby("n:k", "x"), contains="not an integer")
    r.delete("n:k", "n:ten", "n:text", "n:max")


# --- expiry -----------------------------------------------------------------------------------


@test
def expire_family_and_persist():
    r = client()
    r.set("exp:k", "v")
    assert r.ttl("exp:k") == -1, "no TTL yet"
    assert r.expire("exp:k", 100) is True and 99 <= r.ttl("exp:k") <= 100, "EXPIRE"
    assert r.pexpire("exp:k", 50_000) is True and 45_000 <= r.pttl("exp:k") <= 50_000, "PEXPIRE"
    at = int(time.time()) + 200
    assert r.expireat("exp:k", at) is True and 197 <= r.ttl("exp:k") <= 201, f"EXPIREAT: {r.ttl('exp:k')}"
    at_ms = int(time.time() * 1000) + 300_000
    assert r.pexpireat("exp:k", at_ms) is True and 295_000 <= r.pttl("exp:k") <= 300_000, "PEXPIREAT"
    assert r.persist("exp:k") is True and r.ttl("exp:k") == -1, "PERSIST removes the TTL"
    assert r.persist("exp:k") is False, "PERSIST of a key without TTL is 0"
    assert r.expire("exp:missing", 100) is False, "EXPIRE of a missing key is 0"
    assert r.persist("exp:missing") is False
    # A time in the past deletes the key, as in Redis.
    assert r.expireat("exp:k", int(time.time()) - 10) is True and r.exists("exp:k") == 0, "EXPIREAT in the past"
    r.set("exp:k2", "v")
    assert r.pexpire("exp:k2", -1) is True and r.get("exp:k2") is None, "PEXPIRE -1 deletes"
    r.set("exp:k3", "v")
    raises(ResponseError, lambda: r.expire("exp:k3", 100, nx=True), contains=LINEARIZABLE)
    r.delete("exp:k3")


# --- listings and databases -------------------------------------------------------------------


@test
def keys_scan_dbsize_flushdb():
    r = client()
    assert r.flushdb() is True
    assert r.dbsize() == 0, "DBSIZE after FLUSHDB"
    assert r.keys("*") == [], "KEYS * after FLUSHDB"
    wanted = {f"scan:{i:03d}" for i in range(250)}
    others = {f"other:{i}" for i in range(30)}
    r.mset({key: "v" for key in wanted | others})
    assert r.dbsize() == 280, f"DBSIZE {r.dbsize()}"
    assert sorted(r.keys("scan:*")) == sorted(wanted), "KEYS scan:*"
    assert sorted(r.keys("scan:01?")) == [f"scan:01{i}" for i in range(10)], "KEYS with ?"
    assert r.keys("nothing:*") == []
    # SCAN by hand: the cursor is an int, 0 at the end; every key once.
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, page = r.scan(cursor, match="scan:*", count=20)
        calls += 1
        assert isinstance(cursor, int), f"the cursor is an int: {cursor!r}"
        assert len(page) <= 20, f"a page of {len(page)} with COUNT 20"
        seen += page
        if cursor == 0:
            break
        assert calls < 100, "SCAN did not end"
    assert len(seen) == len(set(seen)) and set(seen) == wanted, f"SCAN saw {len(set(seen))} of {len(wanted)}"
    assert calls >= 13, f"COUNT 20 pages 250 keys in {calls} calls"
    # scan_iter, with a pattern that is not a prefix (pages may come back empty).
    assert set(r.scan_iter(match="*:01?", count=25)) == {f"scan:01{i}" for i in range(10)}, "scan_iter *:01?"
    assert set(r.scan_iter(count=50)) == wanted | others, "scan_iter of everything"
    assert set(r.scan_iter(match="other:*", _type="string")) == others, "SCAN TYPE string"
    assert list(r.scan_iter(_type="list")) == [], "SCAN TYPE list: nothing"
    raises(ResponseError, lambda: r.scan(987654), contains="invalid cursor")
    info = r.info("keyspace")
    assert info.get("db0", {}).get("keys") == 280, f"INFO keyspace: {info!r}"
    assert r.flushdb() is True and r.dbsize() == 0 and r.exists("scan:000") == 0, "FLUSHDB"
    assert r.info("keyspace").get("db0") is None, "no db0 line for an empty store"


@test
def info_sections():
    r = client()
    server = r.info("server")
    assert server["redis_version"].startswith("7."), f"redis_version {server.get('redis_version')!r}"
    assert server["tcp_port"] == options.resp, f"tcp_port {server.get('tcp_port')!r}"
    assert server["starling_backend"] == "kv.crdt", f"INFO server: {server!r}"
    replication = r.info("replication")
    assert replication["role"] == "master", f"INFO replication: {replication!r}"
    r.set("info:k", "v", ex=100)
    keyspace = r.info("keyspace")
    assert keyspace["db0"]["keys"] == r.dbsize() and keyspace["db0"]["expires"] >= 1, f"INFO keyspace: {keyspace!r}"
    everything = r.info()
    for field in ("redis_version", "role", "connected_clients", "db0"):
        assert field in everything, f"INFO lacks {field}: {sorted(everything)}"
    assert r.info("clients")["connected_clients"] >= 1
    r.delete("info:k")


@test
def select_reaches_the_second_store():
    r0, r1 = client(db=0), client(db=1)
    r1.flushdb()
    assert r1.set("sel:k", "in app:cache") is True
    assert r1.get("sel:k") == "in app:cache"
    assert r0.get("sel:k") is None, "database 0 is another store"
    assert http_entry("app:cache", "sel:k")["value"] == "in app:cache", "db 1 is app:cache over HTTP"
    assert http_entry("default", "sel:k") is None, "and not default"
    assert r1.dbsize() == 1 and r1.info("keyspace")["db1"]["keys"] == 1, "INFO keyspace db1"
    raises(ResponseError, lambda: client(db=2).ping(), contains="out of range")
    r = client(single_connection_client=True)
    assert r.select(1) is True and r.get("sel:k") == "in app:cache", "SELECT 1 on a connection"
    assert r.select(0) is True and r.get("sel:k") is None, "SELECT 0"
    r.close()
    r1.flushdb()


# --- what Starling refuses --------------------------------------------------------------------


def multi_then_discard(r):
    """MULTI alone: refused, and (as in Redis) the connection is in a transaction until DISCARD
    (OK: nothing ran) or EXEC (EXECABORT); the MULTI's error is raised."""
    try:
        connection = r.connection_pool.get_connection()  # redis-py 5.3 on
    except TypeError:
        connection = r.connection_pool.get_connection("MULTI")  # before 5.3 it takes a command name
    try:
        connection.send_command("MULTI")
        try:
            connection.read_response()
        except ResponseError as refused:
            connection.send_command("PING")
            try:
                connection.read_response()
                raise AssertionError("a command after a refused MULTI ran")
            except ResponseError as queued:
                assert LINEARIZABLE in str(queued), f"a command after MULTI: {queued}"
            connection.send_command("DISCARD")
            discarded = connection.read_response()
            assert discarded in (b"OK", "OK", True), f"DISCARD after a refused MULTI: {discarded!r}"
            raise refused
        raise AssertionError("MULTI answered OK")
    finally:
        r.connection_pool.release(connection)


@test
def conditional_commands_are_refused():
    r = client()
    r.delete("cond:k")
    refused = {
        "SET NX": lambda: r.set("cond:k", "v", nx=True),
        "SET XX": lambda: r.set("cond:k", "v", xx=True),
        "SET GET": lambda: r.set("cond:k", "v", get=True),
        "SETNX": lambda: r.setnx("cond:k", "v"),
        "GETSET": lambda: r.getset("cond:k", "v"),
        "GETDEL": lambda: r.getdel("cond:k"),
        "MSETNX": lambda: r.msetnx({"cond:k": "v"}),
        # (Redis.watch outside a pipeline is a no-op in redis-py: send WATCH and MULTI as they are.)
        "WATCH": lambda: r.execute_command("WATCH", "cond:k"),
        "MULTI": lambda: multi_then_discard(r),
        "EVAL": lambda: r.eval("return 1", 0),
        "INCRBYFLOAT": lambda: r.incrbyfloat("cond:k", 1.5),
    }
    for name, call in refused.items():
        error = raises(ResponseError, call)
        assert LINEARIZABLE in str(error), f"{name}: {error}"
    assert r.exists("cond:k") == 0, "nothing was stored"

    def watch_then_multi():
        with r.pipeline(transaction=True) as pipe:
            pipe.watch("cond:k")
            pipe.multi()
            pipe.set("cond:k", "v")
            return pipe.execute()

    raises(ResponseError, watch_then_multi, contains=LINEARIZABLE)

    def multi_exec():
        pipe = r.pipeline(transaction=True)
        pipe.set("cond:multi", "v")
        return pipe.execute()

    raises(ResponseError, multi_exec, contains=LINEARIZABLE)
    raises(ResponseError, lambda: r.execute_command("FROBNICATE", "a"), contains="unknown command")


@test
def refused_transaction_writes_nothing():
    r = client()
    r.delete("tx:k")
    pipe = r.pipeline(transaction=True)
    pipe.set("tx:k", "v")
    raises(ResponseError, pipe.execute, contains=LINEARIZABLE)
    assert r.get("tx:k") is None, f"the refused transaction's SET was applied: tx:k = {r.get('tx:k')!r}"


@test
def non_utf8_is_refused():
    rb = client(decode_responses=False)
    rb.delete("b")
    raises(ResponseError, lambda: rb.set("b", b"\xff\xfe"), contains="UTF-8")
    assert rb.exists("b") == 0, "a refused value stores nothing"
    raises(ResponseError, lambda: rb.mset({"b": "ok", "b2": b"\xc3"}), contains="UTF-8")
    assert rb.exists("b", "b2") == 0, "MSET with one bad value stores nothing"
    raises(ResponseError, lambda: rb.set(b"\xff", "v"), contains="UTF-8")


@test
def pipeline_of_a_thousand():
    r = client()
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"pipe:py:{i}", f"v{i}")
    replies = pipe.execute()
    assert replies == [True] * 1000, f"{sum(1 for x in replies if x is not True)} SETs did not reply OK"
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.get(f"pipe:py:{i}")
    values = pipe.execute()
    wrong = [i for i, value in enumerate(values) if value != f"v{i}"]
    assert not wrong, f"{len(wrong)} GETs out of order or wrong, the first at {wrong[:1]}: {values[wrong[0]]!r}"
    # Mixed replies, errors in the middle, keep their order.
    pipe = r.pipeline(transaction=False)
    pipe.incr("pipe:py:n").setnx("pipe:py:n", "1").incr("pipe:py:n").get("pipe:py:missing")
    mixed = pipe.execute(raise_on_error=False)
    assert mixed[0] == 1 and isinstance(mixed[1], ResponseError) and mixed[2] == 2 and mixed[3] is None, mixed
    r.delete(*[f"pipe:py:{i}" for i in range(1000)], "pipe:py:n")


# --- AUTH under an access policy --------------------------------------------------------------


@test
def auth_required_first():
    # redis-py 5 sends CLIENT SETINFO on connect, refused with NOAUTH as Redis does before AUTH.
    raises(AuthenticationError, lambda: client(options.auth_resp).get("app/k"))
    raises(AuthenticationError, lambda: client(options.auth_resp, lib_name=None, lib_version=None).get("app/k"))
    reply = raw(options.auth_resp, "GET", "app/k")
    assert reply.startswith(b"-NOAUTH"), f"the reply before AUTH: {reply!r}"
    assert raw(options.auth_resp, "PING") == b"+PONG", "Starling answers PING before AUTH"


@test
def auth_wrong_password():
    raises(AuthenticationError, lambda: client(options.auth_resp, password="not-the-secret").ping())
    with socket.create_connection((HOST, options.auth_resp), timeout=10) as sock:
        sock.sendall(b"AUTH not-the-secret\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"-WRONGPASS"), f"AUTH with a wrong secret: {reply!r}"
    raises(AuthenticationError, lambda: client(options.auth_resp).execute_command("HELLO", 3, "AUTH", "x", "bad"))


@test
def auth_token_allows_its_keys_only():
    r = client(options.auth_resp, password=options.auth_secret)
    assert r.ping() is True
    assert r.set("app/k", "v") is True and r.get("app/k") == "v", "a key the token allows"
    raises(NoPermissionError, lambda: r.get("secret/k"))
    raises(NoPermissionError, lambda: r.set("secret/k", "v"))
    reply = raw(options.auth_resp, "GET", "secret/k")
    assert reply.startswith(b"-NOAUTH"), f"a fresh connection is not authenticated: {reply!r}"
    # MSET with one forbidden key writes nothing.
    r.delete("app/m1", "app/m2")
    raises(NoPermissionError, lambda: r.mset({"app/m1": "1", "secret/m": "2", "app/m2": "3"}))
    assert r.mget("app/m1", "app/m2") == [None, None], "a refused MSET wrote nothing"
    raises(NoPermissionError, lambda: r.delete("app/k", "secret/k"))
    assert r.get("app/k") == "v", "a refused DEL deleted nothing"
    # Listings show only what the token may list; databases it cannot reach are refused.
    assert set(r.keys("*")) <= {"app/k", "app/x"}, f"KEYS * under the token: {r.keys('*')}"
    raises(NoPermissionError, lambda: r.flushdb())
    r3 = client(options.auth_resp, password=options.auth_secret, protocol=3)
    assert r3.get("app/k") == "v", "HELLO 3 AUTH"


# --- replication ------------------------------------------------------------------------------


@test
def cluster_replicates_between_peers():
    one, two, three = (client(port) for port in options.cluster_resp)
    stamp = f"{time.time():.6f}"  # fresh keys each run (the suite runs over RESP2, then RESP3)
    key, back, counter = f"cluster:k:{stamp}", f"cluster:back:{stamp}", f"cluster:n:{stamp}"
    assert one.set(key, stamp) is True
    eventually("a SET through peer 1 read through peer 3", lambda: three.get(key) == stamp)
    assert three.set(back, stamp, ex=300) is True
    eventually("a SET through peer 3 read through peer 2", lambda: two.get(back) == stamp)
    eventually("its TTL replicates", lambda: 0 < two.ttl(back) <= 300)
    assert one.incr(counter) == 1
    eventually("INCR through peer 1 read through peer 2", lambda: two.get(counter) == "1")
    assert one.delete(key) == 1
    eventually("DEL through peer 1 seen by peer 3", lambda: three.exists(key) == 0)


def main():
    global options
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resp", type=int, required=True, help="the plain peer's RESP port")
    parser.add_argument("--http", type=int, required=True, help="the plain peer's HTTP port")
    parser.add_argument("--auth-resp", type=int, required=True, help="the policy peer's RESP port")
    parser.add_argument("--auth-secret", required=True, help="a token of the policy, allowed app/* in default")
    parser.add_argument(
        "--cluster-resp",
        type=lambda text: [int(port) for port in text.split(",")],
        required=True,
        help="the RESP ports of three clustered peers",
    )
    parser.add_argument("--protocol", type=int, choices=(2, 3), default=2, help="RESP2 (default) or RESP3 clients")
    parser.add_argument("--only", help="run only the tests whose name contains this")
    options = parser.parse_args()
    assert len(options.cluster_resp) == 3, "--cluster-resp takes three ports"

    label = f"redis-py/RESP{options.protocol}"
    passed = failed = 0
    known = []
    for name, function, bug in tests:
        if options.only and options.only not in name:
            continue
        started = time.monotonic()
        try:
            function()
        except Exception as error:  # an assert, or a client error the test did not expect
            if bug:
                known.append(name)
                print(f"known bug {label}: {name}: {type(error).__name__}: {str(error)[:160]}", file=sys.stderr)
                continue
            failed += 1
            print(f"FAIL {label}: {name}: {type(error).__name__}: {error}", file=sys.stderr)
            traceback.print_exc(limit=-3, file=sys.stderr)
            continue
        if bug:
            failed += 1
            print(f"FAIL {label}: {name} passes: the known bug is fixed, remove its mark", file=sys.stderr)
            continue
        passed += 1
        print(f"ok {label}: {name} ({time.monotonic() - started:.2f} s)", file=sys.stderr)
    if known:
        print(f"{label}: {len(known)} known Starling bugs, not counted (see their marks): {', '.join(known)}")
    print(f"{label}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
