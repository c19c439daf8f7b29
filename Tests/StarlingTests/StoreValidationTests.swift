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
