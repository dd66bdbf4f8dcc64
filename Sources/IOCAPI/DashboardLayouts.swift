import Foundation

/// The wall-display layouts: one JSON file per layout, `NAME.json` in a directory
/// (`dashboards/` in the working directory unless configured). Names are checked before any file
/// is touched, so a request can never reach outside the directory.
public struct DashboardLayouts: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public struct Summary: Sendable, Equatable {
        public var name: String
        public var titleVI: String?
        public var titleEN: String?
    }

    /// Lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 64.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64, isNameByte(first), first != UInt8(ascii: "-"), first != UInt8(ascii: "_") else {
            return false
        }
        return name.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// Every layout with a valid name, ordered by name; files that are not JSON objects are skipped.
    public func list() -> [Summary] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.sorted().compactMap { file in
            guard file.hasSuffix(".json") else { return nil }
            let name = String(file.dropLast(5))
            guard Self.isValidName(name), let data = try? layout(name),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return Summary(name: name, titleVI: object["title_vi"] as? String, titleEN: object["title_en"] as? String)
        }
    }

    /// The layout's JSON text; nil when there is no such file or the name is not a valid one.
    public func layout(_ name: String) throws -> Data? {
        guard Self.isValidName(name) else { return nil }
        let url = directory.appendingPathComponent(name + ".json", isDirectory: false)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Data(contentsOf: url)
    }
}
