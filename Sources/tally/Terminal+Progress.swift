import Foundation
import TallyStages

extension Terminal {
    /// "events.csv: 1,200,000 events, 41,000/s, 62% read, about 18 s left", overwritten in place.
    static func ingestProgress(_ progress: IngestProgress, since started: Date) {
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        var text = "\(progress.file): \(progress.records.formatted()) events, \(Int(Double(progress.records) / seconds).formatted())/s"
        if progress.fileBytes > 0, progress.bytesRead > 0 {
            let fraction = min(Double(progress.bytesRead) / Double(progress.fileBytes), 1)
            let remaining = seconds * (1 - fraction) / fraction
            text += ", \(Int(fraction * 100))% read, about \(Int(remaining.rounded())) s left"
        }
        Terminal.progress(text)
    }
}
