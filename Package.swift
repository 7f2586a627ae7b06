// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "seeder",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "seeder", targets: ["seeder"]),
        .library(name: "SeederCore", targets: ["SeederCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // System libraries: each is a module map over the library Debian ships (see .ci/run for the packages).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBZip2", path: "Sources/CBZip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "SeederCore",
            dependencies: [
                "CSQLite", "CLibXML2", "CZlib", "CBZip2", "COpenBLAS", "CLibPQ",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "seeder",
            dependencies: [
                "SeederCore", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The only stand-in for remote embedding services: real HTTP on loopback that can misbehave on purpose.
        .target(
            name: "FakeEmbeddingServer",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/FakeEmbeddingServer"
        ),
        .executableTarget(
            name: "fake-embedding-server",
            dependencies: ["FakeEmbeddingServer"],
            path: "Tests/FakeEmbeddingServerMain"
        ),
        .testTarget(name: "SeederCoreTests", dependencies: ["SeederCore", "FakeEmbeddingServer"], exclude: ["Fixtures"]),
        .testTarget(name: "SeederIntegrationTests", dependencies: ["SeederCore", "seeder", "FakeEmbeddingServer", "fake-embedding-server"]),
    ]
)
