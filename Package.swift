// swift-tools-version:6.2
import PackageDescription

/// Every target of ours builds in Swift 6 mode with strict concurrency and warnings as errors.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "ioc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ioc", targets: ["ioc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Pure domain: readings, units, payload decoding and validation. No I/O.
        .target(name: "IOCCore", swiftSettings: strict),

        // Debian's libmosquitto, seen only by IOCIngest.
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),

        // PostgreSQL: migrations, registry, the reading writer, partitions, dead letters, API tokens.
        .target(
            name: "IOCStorage",
            dependencies: [
                "IOCCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SHA-256 of API tokens; AES-GCM of contacts' personal data (DataCipher).
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Migrations")],
            swiftSettings: strict
        ),

        // MQTT in (libmosquitto), decoding, and the pipeline that feeds the writer.
        .target(
            name: "IOCIngest",
            dependencies: [
                "IOCCore", "IOCStorage", "CMosquitto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: strict
        ),

        // Debian's libcurl, for e-mail over SMTP (seen only by IOCNotify).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Notification channels: webhook (HMAC-SHA256), e-mail (SMTP through libcurl), SMS gateway,
        // Telegram Bot API. No database, no rules: given a message and an address, deliver it.
        .target(
            name: "IOCNotify",
            dependencies: [
                "IOCCore", "CCurl",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The alert pipeline: rule shards on serial queues fed after commit, alerts and their
        // events in PostgreSQL, the notification outbox and its dispatcher, escalation.
        .target(
            name: "IOCAlerting",
            dependencies: [
                "IOCCore", "IOCStorage", "IOCNotify",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Derived metrics: VN_AQI, rain windows and risk, flood alarm level, rate of rise,
        // reservoir useful capacity, congestion, computed after commit and stored as readings.
        .target(
            name: "IOCDerived",
            dependencies: [
                "IOCCore", "IOCStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // HTTP: health, readiness, Prometheus metrics, the REST API, the WebSocket live feed.
        .target(
            name: "IOCAPI",
            dependencies: [
                "IOCCore", "IOCStorage", "IOCAlerting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The `ioc` command: serve, migrate, import, simulate, bench.
        .executableTarget(
            name: "ioc",
            dependencies: [
                "IOCCore", "IOCStorage", "IOCIngest", "IOCAPI", "IOCAlerting", "IOCNotify", "IOCDerived",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The live-feed benchmark's clients.
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "IOCCoreTests", dependencies: ["IOCCore"], swiftSettings: strict),
        .testTarget(
            name: "IOCIntegrationTests",
            dependencies: [
                "IOCCore", "IOCStorage", "IOCIngest", "IOCAPI", "IOCAlerting", "IOCNotify", "IOCDerived",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
