// swift-tools-version:6.0
import PackageDescription

// Targets by responsibility; dependencies run one way (docs/ARCHITECTURE.md):
// tally (CLI) → TallyStages → {TallyStore, TallyReaders, TallyOutputs} → {TallyPostgres, TallyCore}.
let package = Package(
    name: "Tally",
    products: [
        .executable(name: "tally", targets: ["tally"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibCSV", providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The pure core: billing rules and documents, values in and values out.
        .target(name: "TallyCore"),
        // PostgreSQL through libpq (the only importer of CLibPQ), and the embedded cluster.
        .target(name: "TallyPostgres", dependencies: ["TallyCore", "CLibPQ"]),
        // Every SQL statement of the product, behind typed methods; the schema's migrations.
        .target(name: "TallyStore", dependencies: ["TallyPostgres", "TallyCore"]),
        // Export files in: CSV through libcsv, NDJSON, gzip through zlib.
        .target(name: "TallyReaders", dependencies: ["TallyCore", "CLibCSV", "CZlib"]),
        // Files out: invoice documents, summaries, rejects, run reports. No database.
        .target(name: "TallyOutputs", dependencies: ["TallyCore"]),
        // The jobs: catalog apply, ingest, close, reprocess, usage, the nightly run.
        .target(name: "TallyStages", dependencies: ["TallyCore", "TallyStore", "TallyReaders", "TallyOutputs"]),
        // `tally bench`, apart from the product.
        .target(name: "TallyBench", dependencies: ["TallyStages", "TallyPostgres", "TallyCore"]),
        .executableTarget(name: "tally", dependencies: [
            "TallyStages", "TallyBench", "TallyCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Test support shared by the suites that need a PostgreSQL server.
        .target(name: "TallyTestSupport", dependencies: ["TallyPostgres"], path: "Tests/Support"),
        .testTarget(name: "TallyCoreTests", dependencies: ["TallyCore"]),
        .testTarget(name: "TallyPostgresTests", dependencies: ["TallyPostgres", "TallyTestSupport"]),
        .testTarget(name: "TallyStoreTests", dependencies: ["TallyStore", "TallyTestSupport"]),
        .testTarget(name: "TallyStagesTests", dependencies: ["TallyStages", "TallyStore", "TallyTestSupport"]),
        .testTarget(name: "TallyCLITests", dependencies: ["tally"]),
    ]
)
