// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Starling",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StarlingCore", targets: ["StarlingCore"]),
        .library(name: "Starling", targets: ["Starling"]),
        .executable(name: "starling", targets: ["StarlingCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // System SQLite (apt `libsqlite3-dev`); `tools/install-deps.sh` installs it.
        .systemLibrary(
            name: "CStarlingSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Pure core: clocks, entries, merge rules. No I/O, no wall clock, no global randomness.
        .target(name: "StarlingCore"),
        // The embeddable store: public API, SQLite storage, services.
        .target(
            name: "Starling",
            dependencies: [
                "StarlingCore",
                "CStarlingSQLite",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "StarlingCLI",
            dependencies: [
                "Starling",
                "CStarlingSQLite",
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
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
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
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
