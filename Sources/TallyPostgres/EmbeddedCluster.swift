import Foundation

/// The PostgreSQL cluster Tally keeps in its home directory when no database URL is given.
///
/// It uses the binaries of Debian's `postgresql` package, listens on a Unix socket inside the home
/// directory and never on TCP. `initdb` refuses to run as root, so when Tally runs as root the
/// cluster's files belong to, and its commands run as, the `postgres` system user.
public struct EmbeddedCluster: Sendable {
    public enum Status: String, Sendable { case notCreated = "not created", stopped, running }

    public let home: URL
    public var dataDirectory: URL { home.appendingPathComponent("pgdata") }
    public var socketDirectory: URL { home.appendingPathComponent("run") }
    public var logFile: URL { home.appendingPathComponent("postgres.log") }
    public static let databaseName = "tally"
    public static let userName = "tally"

    public init(home: String) {
        let absolute = URL(fileURLWithPath: home, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        self.home = absolute.standardizedFileURL
    }

    /// The libpq connection string for the `tally` database of this cluster.
    public var connectionString: String { connectionString(database: Self.databaseName) }

    /// The libpq connection string for one database of this cluster.
    public func connectionString(database: String) -> String {
        "host=\(Self.keywordValue(socketDirectory.path)) port=5432 dbname=\(Self.keywordValue(database)) user=\(Self.userName) connect_timeout=10"
    }

    /// A string of postgresql.conf, without its quotes: backslashes and quotes escaped.
    static func configValue(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
    }

    /// A value of a libpq keyword/value connection string, single-quoted, with `\` and `'`
    /// escaped: a home folder may hold spaces and quotes.
    static func keywordValue(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    public func status() throws(ClusterError) -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else {
            return .notCreated
        }
        let result = try run("pg_ctl", ["status", "-D", dataDirectory.path])
        return result.status == 0 ? .running : .stopped
    }

    /// Creates the cluster if needed, starts it if stopped, and makes sure the `tally` database exists.
    /// Returns true when it had to start the server.
    @discardableResult
    public func start() throws(ClusterError) -> Bool {
        var state = try status()
        if state == .notCreated {
            try create()
            state = .stopped
        }
        try secure(running: state == .running)
        var started = false
        if state == .stopped {
            let result = try run("pg_ctl", ["start", "-w", "-t", "60", "-D", dataDirectory.path, "-l", logFile.path])
            if result.status != 0, try status() != .running {
                throw ClusterError("pg_ctl could not start the cluster in \(dataDirectory.path): \(result.output)\nsee \(logFile.path)")
            }
            started = result.status == 0
        }
        try createDatabaseIfMissing()
        return started
    }

    /// Stops the server (fast shutdown: open transactions are rolled back). Returns false if it was not running.
    @discardableResult
    public func stop() throws(ClusterError) -> Bool {
        guard try status() == .running else { return false }
        let result = try run("pg_ctl", ["stop", "-w", "-t", "60", "-m", "fast", "-D", dataDirectory.path])
        guard result.status == 0 else { throw ClusterError("pg_ctl could not stop the cluster: \(result.output)") }
        return true
    }

    private func create() throws(ClusterError) {
        let files = FileManager.default
        do {
            try files.createDirectory(at: home, withIntermediateDirectories: true)
            try files.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
            // Others may pass through the home folder (the postgres user must, when Tally is root),
            // but not list it.
            try files.setAttributes([.posixPermissions: Self.isRoot ? 0o711 : 0o700], ofItemAtPath: home.path)
            try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
            _ = files.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
            if Self.isRoot {
                try files.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
                try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory.path)
                for path in [dataDirectory.path, socketDirectory.path, logFile.path] {
                    try files.setAttributes([.ownerAccountName: Self.serviceUser], ofItemAtPath: path)
                }
            }
        } catch {
            throw ClusterError("cannot prepare \(home.path): \(error.localizedDescription)")
        }
        if Self.isRoot {
            let probe = try run("test", ["-w", socketDirectory.path])
            guard probe.status == 0 else {
                throw ClusterError("""
                    the postgres system user cannot reach \(home.path) (a parent directory is not \
                    searchable by other users); use --home in a directory it can reach, e.g. --home /var/lib/tally
                    """)
            }
        }
        let result = try run("initdb", [
            "-D", dataDirectory.path, "-U", Self.userName, "--auth-local=peer", "--auth-host=reject", "--encoding=UTF8", "--no-locale",
        ])
        guard result.status == 0 else { throw ClusterError("initdb failed: \(result.output)") }
        let settings = """

            # Tally's embedded cluster: Unix socket only, tuned for bulk loads, durable commits.
            listen_addresses = ''
            unix_socket_directories = '\(Self.configValue(socketDirectory.path))'
            unix_socket_permissions = 0700
            port = 5432
            shared_buffers = 256MB
            work_mem = 64MB
            maintenance_work_mem = 256MB
            max_wal_size = 4GB
            checkpoint_timeout = 15min
            wal_level = minimal
            max_wal_senders = 0
            synchronous_commit = on
            fsync = on

            """
        try append(settings, to: "postgresql.conf")
    }

    // MARK: - Who may connect

    /// Closes the cluster to every local account but the one running Tally (and root): the socket
    /// folder is the cluster owner's alone, and the server accepts only local connections from
    /// the accounts of the `tally` map (peer authentication). Applied on every start, so a cluster
    /// created by an earlier Tally (which trusted every local account) is closed too.
    private func secure(running: Bool) throws(ClusterError) {
        var accounts = [Self.isRoot ? Self.serviceUser : Self.currentUserName(), "root"]
        accounts = accounts.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        let hba = """
            # Tally's embedded cluster: local connections only, from the accounts of the "tally" map.
            local all all peer map=tally

            """
        let ident = "# The accounts that connect to Tally's embedded cluster, as its user.\n"
            + accounts.map { "tally \($0) \(Self.userName)" }.joined(separator: "\n") + "\n"
        let hbaChanged = try replace("pg_hba.conf", with: hba)
        let identChanged = try replace("pg_ident.conf", with: ident)
        do {
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: logFile.path)
        } catch {
            throw ClusterError("cannot close \(socketDirectory.path) to other users: \(error.localizedDescription)")
        }
        if hbaChanged || identChanged, running {
            let result = try run("pg_ctl", ["reload", "-D", dataDirectory.path])
            guard result.status == 0 else { throw ClusterError("pg_ctl could not reload the cluster's access rules: \(result.output)") }
        }
    }

    /// Replaces a configuration file of the data folder unless it already says `contents`;
    /// returns whether it wrote. As root, the file is written by the postgres user.
    private func replace(_ name: String, with contents: String) throws(ClusterError) -> Bool {
        let path = dataDirectory.appendingPathComponent(name).path
        if FileManager.default.contents(atPath: path) == Data(contents.utf8) { return false }
        let result = try run("tee", [path], input: contents)
        guard result.status == 0 else { throw ClusterError("cannot write \(path): \(result.output)") }
        return true
    }

    private func append(_ text: String, to name: String) throws(ClusterError) {
        let path = dataDirectory.appendingPathComponent(name).path
        let result = try run("tee", ["-a", path], input: text)
        guard result.status == 0 else { throw ClusterError("cannot write \(path): \(result.output)") }
    }

    private static func currentUserName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "root" }
        return String(cString: name)
    }

    private func createDatabaseIfMissing() throws(ClusterError) {
        do {
            let admin = try PostgresConnection(connectionString: connectionString(database: "postgres"))
            try admin.createDatabase(Self.databaseName, ifMissing: true)
        } catch {
            throw ClusterError("cannot create database \(Self.databaseName): \(error)")
        }
    }

    // MARK: - Running PostgreSQL's programs

    private static let serviceUser = "postgres"
    private static var isRoot: Bool { geteuid() == 0 }

    private struct ProgramResult {
        let status: Int32
        let output: String
    }

    /// Runs one of PostgreSQL's programs (or `test`, or `tee` fed `input`), as the `postgres`
    /// user when Tally is root.
    private func run(_ program: String, _ arguments: [String], input: String? = nil) throws(ClusterError) -> ProgramResult {
        let executable = switch program {
        case "test", "tee": "/usr/bin/" + program
        default: try Self.binDirectory() + "/" + program
        }
        let command = Self.isRoot
            ? ["/usr/sbin/runuser", "-u", Self.serviceUser, "--", executable] + arguments
            : [executable] + arguments
        return try Self.spawn(command, input: input)
    }

    /// posix_spawn and waitpid, with output captured in a file. Foundation's Process is not used:
    /// it would hand the server that `pg_ctl start` leaves running our output pipe, and on Linux
    /// its wait can miss the exit of a child whose own child lives on.
    private static func spawn(_ command: [String], input: String? = nil) throws(ClusterError) -> ProgramResult {
        let stem = FileManager.default.temporaryDirectory
            .appendingPathComponent("tally-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let outputPath = stem + ".out", inputPath = stem + ".in"
        defer { unlink(outputPath); unlink(inputPath) }
        if let input {
            guard FileManager.default.createFile(atPath: inputPath, contents: Data(input.utf8), attributes: [.posixPermissions: 0o600])
            else { throw ClusterError("cannot write a temporary file in \(FileManager.default.temporaryDirectory.path)") }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input == nil ? "/dev/null" : inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, arguments, environ)
        guard spawned == 0 else {
            throw ClusterError("cannot run \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw ClusterError("waiting for \(command[0]) failed: \(String(cString: strerror(errno)))") }
        }
        let exited = status & 0x7F == 0
        let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return ProgramResult(status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), output: text)
    }

    /// The folder of PostgreSQL's server programs, as `pg_config --bindir` names it.
    static func binDirectory() throws(ClusterError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pg_config", "--bindir"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ClusterError("cannot run pg_config: install Debian's postgresql and libpq-dev packages")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let directory = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0,
              FileManager.default.isExecutableFile(atPath: directory + "/pg_ctl")
        else {
            throw ClusterError("PostgreSQL's server programs were not found (pg_config --bindir gave \"\(directory)\"): install Debian's postgresql package")
        }
        return directory
    }
}

/// The embedded cluster could not be created, started or stopped.
public struct ClusterError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
