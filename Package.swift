// swift-tools-version:6.0
import PackageDescription

// The file tree is the architecture:
//   CCurl, CMySQL          – system-library shims over libcurl and libmysqlclient (MariaDB or Oracle)
//   HTTPClient, MySQLClient – one small Swift owner class per C handle, one error funnel each
//   DingSyncMapping         – the instance model and the template/type engine (pure, no I/O)
//   DingSync                – config, DingTalk client, the sync pipeline, command bodies
//   DingTalkSimulator       – a faithful loopback DingTalk for tests, the demo and benchmarks
//   dingsync, dingsim       – thin executables over the libraries
let package = Package(
    name: "dingsync",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dingsync", targets: ["dingsync"]),
        .executable(name: "dingsim", targets: ["dingsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        // mysqlclient.pc: Oracle's libmysqlclient, or MariaDB Connector/C's compat package.
        .systemLibrary(name: "CMySQL", pkgConfig: "mysqlclient",
                       providers: [.apt(["default-libmysqlclient-dev"]), .yum(["mysql-devel"]), .brew(["mysql-client"])]),
        .target(name: "HTTPClient", dependencies: ["CCurl", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "MySQLClient", dependencies: ["CMySQL"]),
        .target(name: "DingSyncMapping"),
        .target(name: "DingSync", dependencies: [
            "HTTPClient", "MySQLClient", "DingSyncMapping", .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "DingTalkSimulator", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(name: "dingsync", dependencies: [
            "DingSync", "DingSyncMapping",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "dingsim", dependencies: ["DingTalkSimulator"]),
        .executableTarget(name: "dingbench", dependencies: ["DingSync", "MySQLClient", "DingSyncMapping", "DingTalkSimulator",
                                                      .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "DingSyncMappingTests", dependencies: ["DingSyncMapping"],
                    resources: [.copy("Fixtures")]),
        // The TLS-only MariaDB both MySQL and DingSync tests start (test support, not shipped).
        .target(name: "TLSTestServer", path: "Tests/TLSTestServer"),
        .testTarget(name: "MySQLClientTests", dependencies: ["MySQLClient", "TLSTestServer"]),
        .testTarget(name: "DingTalkSimulatorTests", dependencies: ["DingTalkSimulator", "HTTPClient"]),
        .testTarget(name: "DingSyncTests", dependencies: ["DingSync", "DingTalkSimulator", "MySQLClient", "HTTPClient", "TLSTestServer"]),
    ]
)
