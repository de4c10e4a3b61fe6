import ArgumentParser
import Foundation
import TallyCore
import TallyStages

/// Tally's exit statuses (README, "Commands").
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let rejected: Int32 = 3
    static let locked: Int32 = 4
}

/// Human output goes to stderr; stdout is kept for `--json` and for reports that are a command's result.
enum Terminal {
    static let isInteractive = isatty(STDERR_FILENO) == 1

    static func say(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        say("tally: error: " + text)
    }

    /// Overwrites the current terminal line; does nothing when stderr is not a terminal.
    static func progress(_ text: String) {
        guard isInteractive else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    static func clearProgress() {
        guard isInteractive else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// A report that is the command's result (`tally wallet show`): on stdout, as `--json` would be,
    /// so that it can be redirected to a file.
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func printJSON(_ value: JSONValue) {
        FileHandle.standardOutput.write(Data((value.prettyPrinted + "\n").utf8))
    }

    /// A file error in words: the file, and the system's reason (Foundation's own description is
    /// a domain and a code).
    static func describe(_ error: CocoaError) -> String {
        let path = error.filePath ?? (error.userInfo[NSFilePathErrorKey] as? String) ?? "a file"
        if let underlying = error.underlying as? POSIXError {
            return "\(path): \(String(cString: strerror(underlying.code.rawValue)))"
        }
        if let underlying = error.underlying as NSError?, underlying.domain == NSPOSIXErrorDomain {
            return "\(path): \(String(cString: strerror(Int32(underlying.code))))"
        }
        return "\(path): \(error.localizedDescription)"
    }

    /// Runs a command body, turning Tally's errors into a message and the matching exit status.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as Interrupted {
            Terminal.clearProgress()
            Terminal.error(error.description)
            throw ExitCode(ExitStatus.failure)
        } catch where Interruption.pending != nil {
            // A statement the stop cancelled, or anything that failed because of it.
            Terminal.clearProgress()
            Terminal.error(Interruption.pending.map(\.description) ?? "\(error)")
            throw ExitCode(ExitStatus.failure)
        } catch let error as RunLockHeld {
            Terminal.error(error.description)
            throw ExitCode(ExitStatus.locked)
        } catch let error as DatabaseUnreachable {
            Terminal.error(error.description)
            throw ExitCode(ExitStatus.usage)
        } catch let error as BackfillNeeded {
            Terminal.error(error.description)
            throw ExitCode(ExitStatus.usage)
        } catch let error as CatalogErrors {
            Terminal.say(error.description)
            Terminal.error("catalog not applied: \(error.errors.count) error(s); nothing was changed")
            throw ExitCode(ExitStatus.failure)
        } catch let error as CocoaError {
            Terminal.error(Self.describe(error))
            throw ExitCode(ExitStatus.failure)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}
