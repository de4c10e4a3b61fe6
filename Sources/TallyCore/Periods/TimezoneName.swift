import Foundation

/// Which timezone names a catalog may use: IANA names of the tz database (`America/New_York`,
/// `Asia/Kolkata`, `Etc/GMT+5`, `UTC`), the same for every system that reads them.
///
/// Offset spellings such as `GMT+5`, `UTC+5` or `GMT+0530` are refused: Foundation reads
/// `GMT+5` as five hours east of Greenwich, PostgreSQL (POSIX) as five hours west, so the same
/// event would fall in different months. So are the tz database's special entries (`posix/…`,
/// `right/…` with leap seconds, `localtime`, `posixrules`, `Factory`).
public enum TimezoneName {
    /// Why `name` cannot be a billing timezone ("must be …"), or nil when it can.
    public static func problem(with name: String) -> String? {
        if name.range(of: #"^(GMT|UTC|UT)[+-]"#, options: .regularExpression) != nil, name != "GMT+0", name != "GMT-0" {
            return "must be an IANA timezone name, not an offset, which systems read with opposite signs: for UTC+5 use \"Etc/GMT-5\" or a city such as \"Asia/Karachi\""
        }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/")
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.allSatisfy({ allowed.contains($0) }), parts.allSatisfy({ !$0.isEmpty }),
              parts[0].first?.isLetter == true
        else {
            return "must be an IANA timezone name such as \"America/New_York\""
        }
        if ["posix", "right"].contains(parts[0]) || ["localtime", "posixrules", "Factory"].contains(name) {
            return "must be the IANA timezone name of a place such as \"Europe/Paris\", not a special entry of the tz database"
        }
        guard TimeZone(identifier: name) != nil else {
            return "must be a timezone of the tz database, such as \"Europe/Paris\", \"America/New_York\" or \"UTC\""
        }
        return nil
    }
}
