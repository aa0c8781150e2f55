// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "understory-sync",
    // macOS 15: Synchronization's Mutex (used by every target that holds shared state).
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "understory-sync", targets: ["understory-sync"]),
        .executable(name: "understory-sim", targets: ["understory-sim"]),
        .library(name: "URLEncoding", targets: ["URLEncoding"]),
        .library(name: "CivilTime", targets: ["CivilTime"]),
        .library(name: "TimeSource", targets: ["TimeSource"]),
        .library(name: "PostgresClient", targets: ["PostgresClient"]),
        .library(name: "UnderstoryAPI", targets: ["UnderstoryAPI"]),
        .library(name: "UnderstorySimulator", targets: ["UnderstorySimulator"]),
        .library(name: "SyncEngine", targets: ["SyncEngine"]),
        .library(name: "SyncServer", targets: ["SyncServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libpq's C API, found through pkg-config (apt: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // RFC 3986 percent-encoding, the one copy: a leaf with no dependencies, used by every module that encodes or decodes.
        .target(name: "URLEncoding"),
        // Days since 1970 ↔ proleptic Gregorian dates, the one copy: a leaf with no dependencies, used by every module that reads or writes a date.
        .target(name: "CivilTime"),
        // The clock protocol (monotonic now, wall now, cancellable sleep) and the system clock, the one copy: a leaf with no dependencies, used by every module that reads the time or waits.
        .target(name: "TimeSource"),
        // A thin, safe wrapper over libpq. Knows nothing of Understory.
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ",
                "CivilTime",
                "URLEncoding",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // OAuth2 token source, HTTP, paging, retries and models of the Understory API. Knows nothing of PostgreSQL.
        .target(
            name: "UnderstoryAPI",
            dependencies: [
                "CivilTime",
                "TimeSource",
                "URLEncoding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // An in-process fake of the Understory API (auth + /v1) for tests, the demo and benchmarks.
        .target(
            name: "UnderstorySimulator",
            dependencies: [
                "CivilTime",
                "TimeSource",
                "URLEncoding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Joins the API client and PostgreSQL: plans, watermarks, loaders, run log, locks.
        .target(
            name: "SyncEngine",
            dependencies: [
                "CivilTime",
                "PostgresClient",
                "TimeSource",
                "UnderstoryAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Migrations")]
        ),
        // The long-running HTTP side: webhook receiver, inbox worker, /healthz and /metrics.
        .target(
            name: "SyncServer",
            dependencies: [
                "SyncEngine",
                "PostgresClient",
                "TimeSource",
                "UnderstoryAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "understory-sync",
            dependencies: [
                "SyncEngine",
                "SyncServer",
                "PostgresClient",
                "UnderstoryAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "understory-sim",
            dependencies: [
                "UnderstorySimulator", "URLEncoding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks (release build): scripts/bench runs them and prints ratios to ceilings measured in the same run.
        .executableTarget(
            name: "understory-bench",
            dependencies: [
                "PostgresClient", "SyncEngine", "UnderstoryAPI", "UnderstorySimulator", "URLEncoding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "URLEncodingTests", dependencies: ["URLEncoding"]),
        .testTarget(name: "CivilTimeTests", dependencies: ["CivilTime"]),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: [
                "PostgresClient", "SyncTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "UnderstoryAPITests",
            dependencies: [
                "UnderstoryAPI", "UnderstorySimulator", "SyncTestSupport", "URLEncoding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "UnderstorySimulatorTests",
            dependencies: [
                "UnderstorySimulator", "SyncTestSupport", "URLEncoding",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Shared by every test target that needs it: per-test databases, the simulator's client configuration and HTTP client, the quiet logger, started programs, comparison with the simulator's truth.
        .target(
            name: "SyncTestSupport",
            dependencies: [
                "PostgresClient", "TimeSource", "UnderstoryAPI", "UnderstorySimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "Tests/SyncTestSupport"
        ),
        .testTarget(
            name: "SyncEngineTests",
            dependencies: [
                "SyncEngine", "PostgresClient", "UnderstoryAPI", "UnderstorySimulator", "SyncTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SyncServerTests",
            dependencies: [
                "SyncServer", "SyncEngine", "PostgresClient", "TimeSource", "UnderstoryAPI", "UnderstorySimulator", "SyncTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        // Command lines parsed in-process (usage errors, the root's exit-status mapping): no binary spawned.
        .testTarget(
            name: "CommandParsingTests",
            dependencies: [
                "understory-sync", "SyncEngine", "UnderstoryAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "PostgresClient", "UnderstorySimulator", "SyncTestSupport", "SyncEngine", "UnderstoryAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)
