import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Bad input is refused with `INVALID` and changes nothing.
@Suite(.showsLogsOnFailure) struct StoreValidationTests {
    @Test func keysMustBeNonEmptyAndWithinTheLimit() async throws {
        try await TestNode.with { _, store, _ in
            let limit = String(repeating: "k", count: 1_024)
            try await store.set(limit, 1)
            #expect(try store.get(limit) == 1)
            let multibyte = String(repeating: "é", count: 513)  // 1,026 bytes
            for key in ["", limit + "k", multibyte] {
                let error = await #expect(throws: StoreError.self) { try await store.set(key, 1) }
                #expect(error?.kind == .invalid && error?.isRetryable == false)
                #expect(throws: StoreError.self) { try store.get(key) }
            }
        }
    }

    @Test func valuesMustBeFiniteAndWithinTheLimit() async throws {
        var settings = Node.Settings()
        settings.limits.maxValueBytes = 64
        try await TestNode.with(settings: settings) { _, store, _ in
            try await store.set("fits", .string(String(repeating: "x", count: 62)))
            await #expect(throws: StoreError.self) {
                try await store.set("big", .string(String(repeating: "x", count: 63)))
            }
            await #expect(throws: StoreError.self) { try await store.set("nan", .number(.nan)) }
            await #expect(throws: StoreError.self) { try await store.set("inf", ["a": .number(.infinity)]) }
            #expect(try store.keys() == ["fits"])
        }
    }

    @Test func ttlsMustBeNonNegativeAndExpirePositive() async throws {
        try await TestNode.with { _, store, _ in
            await #expect(throws: StoreError.self) { try await store.set("k", 1, ttl: -1) }
            try await store.set("k", 1)
            await #expect(throws: StoreError.self) { try await store.expire("k", ttl: 0) }
            await #expect(throws: StoreError.self) { try await store.expire("k", ttl: -5) }
            #expect(try store.ttl("k") == -1)
        }
    }

    @Test func invalidSettingsAreRefusedNamingTheSetting() throws {
        var settings = Node.Settings()
        settings.limits.maxKeyBytes = 0
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let error = #expect(throws: StoreError.self) { try Node.open(directory: directory.path, settings: settings) }
        #expect(error?.message.contains("maxKeyBytes") == true)
        settings = Node.Settings()
        settings.sweepInterval = .milliseconds(-1)
        #expect(throws: StoreError.invalid("sweepInterval must be at least 0 s, not -1 ms")) {
            try Node.open(directory: directory.path, settings: settings)
        }
    }

    @Test func replicationRefusesSettingsOutOfRangeNamingTheNestedSetting() async throws {
        try await TestNode.with { node, _, _ in
            var settings = ReplicationEngine.Settings()
            settings.bind = PeerAddress(host: "127.0.0.1", port: 0)
            settings.replicator.ackTimeout = .milliseconds(10)
            await #expect(throws: StoreError.invalid("replicator.ackTimeout must be at least 20 ms, not 10 ms")) {
                _ = try await UDPReplication.start(node: node, settings: settings, logger: TestNode.quietLogger)
            }
            settings.replicator.ackTimeout = .seconds(1)
            settings.membership.suspicionTimeout = .zero
            await #expect(throws: StoreError.invalid("membership.suspicionTimeout must be at least 1 ms, not 0 s")) {
                _ = try await UDPReplication.start(node: node, settings: settings, logger: TestNode.quietLogger)
            }
        }
    }

    @Test func errorKindsCarryTheSpecNamesAndRetryability() {
        let kinds: [(StoreError.Kind, String, Bool)] = [
            (.invalid, "INVALID", false), (.notFound, "NOT_FOUND", false), (.alreadyExists, "ALREADY_EXISTS", false),
            (.conflict, "CONFLICT", true), (.permissionDenied, "PERMISSION_DENIED", false),
            (.unauthenticated, "UNAUTHENTICATED", false), (.unavailable, "UNAVAILABLE", true),
            (.internal, "INTERNAL", false),
        ]
        for (kind, name, retryable) in kinds {
            #expect(kind.name == name && kind.isRetryable == retryable)
            #expect(StoreError.Kind(name: name) == kind)
        }
        #expect(StoreError.Kind(name: "BOGUS") == nil)
    }
}
