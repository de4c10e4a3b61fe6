import Foundation

/// Runs a producer on a thread of its own, which hands values to the calling thread through a
/// bounded queue, so that reading an export (one core) overlaps with loading it (the other core:
/// the caller and PostgreSQL).
///
/// The producer's captured state belongs to its thread until `next()` returns nil or `stop()`
/// returns; both wait for the producer to end, under the queue's lock, so the caller may read that
/// state afterwards.
final class ReadAhead<Element>: @unchecked Sendable {
    /// What `send` throws in the producer once the caller has stopped consuming.
    struct Stopped: Error {}

    private let condition = NSCondition()
    private let capacity: Int
    private var queue: [Element] = []
    private var ended = false
    private var stopped = false
    private var failure: (any Error)?

    /// Starts `produce` at once; it calls `send` with each value, which waits while `capacity`
    /// values are queued.
    init(capacity: Int, _ produce: @escaping (_ send: (Element) throws -> Void) throws -> Void) {
        self.capacity = capacity
        nonisolated(unsafe) let produce = produce
        let thread = Thread { [self] in
            do {
                try produce(send)
            } catch {
                condition.withLock { failure = error }
            }
            condition.withLock {
                ended = true
                condition.broadcast()
            }
        }
        thread.name = "tally-read-ahead"
        thread.stackSize = 8 << 20  // as the main thread's: parsing and validation recurse into nested JSON
        thread.start()
    }

    private func send(_ value: Element) throws {
        try condition.withLock {
            while queue.count >= capacity, !stopped { condition.wait() }
            if stopped { throw Stopped() }
            queue.append(value)
            condition.broadcast()
        }
    }

    /// The next value; nil once the producer has ended, rethrowing what it failed with.
    func next() throws -> Element? {
        try condition.withLock {
            while queue.isEmpty, !ended { condition.wait() }
            if !queue.isEmpty {
                condition.broadcast()
                return queue.removeFirst()
            }
            if let failure { throw failure }
            return nil
        }
    }

    /// Makes the producer's next `send` throw, drops what is queued, and waits for the producer to end.
    func stop() {
        condition.withLock {
            stopped = true
            queue.removeAll()
            condition.broadcast()
            while !ended { condition.wait() }
        }
    }
}
