// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Starling",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StarlingModel", targets: ["StarlingModel"]),
        .library(name: "StarlingCore", targets: ["StarlingCore"]),
        .library(name: "Starling", targets: ["Starling"]),
        .library(name: "StarlingAccess", targets: ["StarlingAccess"]),
        .library(name: "StarlingRESP", targets: ["StarlingRESP"]),
        .library(name: "StarlingHTTP", targets: ["StarlingHTTP"]),
        .library(name: "StarlingClient", targets: ["StarlingClient"]),
        .executable(name: "starling", targets: ["StarlingCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        // System SQLite (apt `libsqlite3-dev`); `tools/install-deps.sh` installs it.
        .systemLibrary(
            name: "CStarlingSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The spec's types and their JSON, written once for the server, the client and the CLI:
        // JSONValue, StoreError, Entry, ListPage, PutOptions, StoreInfo, StoreStats, ClusterStatus.
        // No dependencies at all, so a remote client links no storage.
        .target(name: "StarlingModel"),
        // Pure core: clocks, registers, merge rules, membership, the wire codec. No I/O, no wall
        // clock, no global randomness.
        .target(
            name: "StarlingCore",
            dependencies: ["StarlingModel", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The embeddable store: public API, SQLite storage, services.
        .target(
            name: "Starling",
            dependencies: [
                "StarlingCore",
                "CStarlingSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Access policies (bearer tokens and their rules), read from TOML: what HTTP and RESP enforce.
        .target(
            name: "StarlingAccess",
            dependencies: [
                "StarlingCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The Redis protocol (RESP2/RESP3) listener of `starling serve`, on SwiftNIO: codec,
        // commands, access control.
        .target(
            name: "StarlingRESP",
            dependencies: [
                "Starling",
                "StarlingCore",
                "StarlingAccess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP API of `starling serve` (API.md, "HTTP API"), as a Hummingbird router.
        .target(
            name: "StarlingHTTP",
            dependencies: [
                "Starling",
                "StarlingCore",
                "StarlingAccess",
                "StarlingRESP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // The API's OpenAPI document, served at GET /openapi.json (compiled in, so a copied
            // binary serves it too).
            resources: [.embedInCode("OpenAPI/openapi.json")]
        ),
        // A client of the HTTP API: what the `starling` client commands and black-box tests use.
        .target(
            name: "StarlingClient",
            dependencies: [
                "StarlingModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The product CLI: `serve`, the client commands, `cluster`, `keygen`. No benchmark code,
        // and SQLite only through `Starling`.
        .executableTarget(
            name: "StarlingCLI",
            dependencies: [
                "Starling",
                "StarlingCore",
                "StarlingAccess",
                "StarlingRESP",
                "StarlingHTTP",
                "StarlingClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test support, never shipped: manual clock, seeded randomness, temporary directories, fixtures.
        .target(
            name: "StarlingTestKit",
            dependencies: [
                "StarlingCore",
                "Starling",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "StarlingModelTests", dependencies: ["StarlingModel"]),
        .testTarget(
            name: "StarlingCoreTests",
            dependencies: [
                "StarlingCore",
                "StarlingTestKit",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "StarlingTests",
            dependencies: [
                "Starling",
                "StarlingCore",
                "StarlingTestKit",
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "StarlingConvergenceTests",
            dependencies: [
                "Starling",
                "StarlingCore",
                "StarlingTestKit",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "StarlingCLITests",
            dependencies: [
                "StarlingCLI",
                "StarlingRESP",
                "StarlingClient",
                "StarlingHTTP",
                "Starling",
                "StarlingCore",
                "StarlingTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Black-box tests: real `starling serve` processes driven through their HTTP API.
        .testTarget(
            name: "StarlingSystemTests",
            dependencies: [
                "StarlingTestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "StarlingRESPTests",
            dependencies: [
                "StarlingRESP",
                "StarlingAccess",
                "Starling",
                "StarlingCore",
                "StarlingTestKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "StarlingHTTPTests",
            dependencies: [
                "StarlingHTTP",
                "StarlingAccess",
                // Listed because StarlingServer.Configuration holds its types: a change to their
                // layout then rebuilds these tests (incremental builds missed it once).
                "StarlingRESP",
                "Starling",
                "StarlingCore",
                "StarlingTestKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Benchmarks (`starling-bench`) and their tests, only with STARLING_BENCH=1 (as Hummingbird gates
// its benchmarks): the product never builds them. `tools/bench-compare`, the studies and CI set it.
if Context.environment["STARLING_BENCH"] == "1" {
    package.products.append(.executable(name: "starling-bench", targets: ["StarlingBench"]))
    package.targets += [
        .executableTarget(
            name: "StarlingBench",
            dependencies: [
                "Starling",
                "StarlingCore",
                "StarlingTestKit",
                "CStarlingSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "StarlingBenchTests",
            dependencies: [
                "StarlingBench",
                "Starling",
                "StarlingCore",
                "StarlingHTTP",
                "StarlingTestKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
}

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
