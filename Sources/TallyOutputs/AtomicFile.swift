import Foundation

/// Files replaced whole: written beside their final name and renamed into place, so a reader
/// never sees half a file, and a crash leaves either the old file or the new one (plus, at worst,
/// a temporary file the next write removes).
public enum AtomicFile {
    /// Replaces `path` with `contents` unless it already holds exactly that; returns whether it
    /// wrote. The folder must exist.
    @discardableResult
    public static func replace(_ path: String, with contents: String) throws -> Bool {
        let data = Data(contents.utf8)
        if let existing = FileManager.default.contents(atPath: path), existing == data { return false }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).tmp")
        guard let file = fopen(temporary, "w") else { throw OutputError(path: temporary, message: String(cString: strerror(errno))) }
        let ok = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        guard fclose(file) == 0, ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw OutputError(path: path, message: String(cString: strerror(errno)))
        }
        return true
    }

    /// Removes the `.<name>.<pid>.tmp` files a run killed in the middle of `replace` left behind.
    /// Runs hold the store's run lock, so no temporary file here belongs to a live run.
    public static func removeLeftoverTemporaries(in directory: String) throws(OutputError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw OutputError(path: directory, message: "cannot list the folder: \(String(cString: strerror(errno)))")
        }
        for name in names
        where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard unlink(path) == 0 || errno == ENOENT else {
                throw OutputError(path: path, message: "cannot remove a leftover temporary file: \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// Output folders, created as `mkdir -p` would, closed to other users (0750, less the umask), with
/// errors that name the folder and say why in words.
public enum OutputFolder {
    public static func create(_ path: String) throws(OutputError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw OutputError(path: path, message: "is a file, not a folder") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try create(parent) }
        guard mkdir(path, 0o750) == 0 || errno == EEXIST else {
            throw OutputError(path: path, message: "cannot create the folder: \(String(cString: strerror(errno)))")
        }
    }
}

/// An output file could not be written.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "cannot write \(path): \(message)" }
}
