import Foundation

/// What is wrong with a contact, rota, escalation policy or paging configuration: where (`field`,
/// a JSON path such as `escalation_policies[0].steps[1].targets[0].rota`) and what to do instead.
public struct PagingValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// The problems found so far, in order.
struct PagingProblems {
    var list: [PagingValidationError] = []

    mutating func add(_ field: String, _ message: String) {
        list.append(PagingValidationError(field: field, message: message))
    }

    /// The problems of a part, with their fields under `prefix` (`contacts[2]`).
    mutating func add(_ prefix: String, _ problems: [PagingValidationError]) {
        list += problems.map { PagingValidationError(field: "\(prefix).\($0.field)", message: $0.message) }
    }

    /// A name people and other entries refer to: not blank, at most 200 characters.
    mutating func name(_ field: String, _ name: String, example: String) {
        if name.isBlank {
            add(field, "must not be empty; \(example)")
        } else if name.count > 200 {
            add(field, "has \(name.count) characters; at most 200 are allowed")
        }
    }

    /// A list of names with every entry set and none twice.
    mutating func distinctNames(_ field: String, _ names: [String], what: String) {
        var seen: Set<String> = []
        for (index, name) in names.enumerated() {
            if name.isBlank {
                add("\(field)[\(index)]", "must not be empty; name a \(what)")
            } else if !seen.insert(name).inserted {
                add("\(field)[\(index)]", "'\(name)' is listed twice; list each \(what) once")
            }
        }
    }

    /// Reports entry `index` of a list when an earlier entry has its name.
    mutating func unique(_ field: String, _ index: Int, _ names: [String]) {
        let name = names[index]
        guard !name.isBlank, let first = names[..<index].firstIndex(of: name) else { return }
        add("\(field)[\(index)].name", "'\(name)' is already the name of \(field)[\(first)]; names must be unique, since other entries refer to them by name")
    }
}

extension String {
    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}

extension KeyedDecodingContainer {
    /// An RFC 3339 date-time string, such as `2026-11-27T08:00:00+07:00`.
    func decodeTimestamp(forKey key: Key) throws -> Timestamp {
        let text = try decode(String.self, forKey: key)
        switch Timestamp.parseRFC3339(text) {
        case .success(let time): return time
        case .failure(let error):
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "'\(text)' is not a time: \(error.message)")
        }
    }
}

extension Timestamp {
    init(_ date: Date) { self.init(seconds: date.timeIntervalSince1970) }

    var date: Date { Date(timeIntervalSince1970: seconds) }
}
