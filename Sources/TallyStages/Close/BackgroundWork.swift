import Dispatch
import Synchronization

/// Jobs run one after another on a thread of their own, while the caller goes on; `results()`
/// waits for them all and returns what they returned, in order, or throws the first failure.
final class BackgroundWork<Result: Sendable>: Sendable {
    private let queue = DispatchQueue(label: "tally.background-work")
    private let group = DispatchGroup()
    private let outcomes = Mutex<[Swift.Result<Result, any Error>]>([])

    func submit(_ job: @escaping @Sendable () throws -> Result) {
        queue.async(group: group) { [self] in
            let outcome = Swift.Result { try job() }
            outcomes.withLock { $0.append(outcome) }
        }
    }

    func results() throws -> [Result] {
        group.wait()
        return try outcomes.withLock { $0 }.map { try $0.get() }
    }
}
