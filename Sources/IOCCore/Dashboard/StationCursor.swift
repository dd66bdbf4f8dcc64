import Foundation

/// The keyset cursor of the station list: the code of the last station of a page, opaque to
/// clients (base64url without padding), so that the next page starts strictly after it whatever
/// was added or removed in between.
public struct StationCursor: Sendable, Equatable {
    public var afterCode: String

    public init(afterCode: String) {
        self.afterCode = afterCode
    }

    public var encoded: String {
        Data(afterCode.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Nil for text that is not a cursor this API handed out.
    public init?(encoded text: String) {
        guard !text.isEmpty, text.count <= 1024,
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if base64.count % 4 == 1 { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let code = String(data: data, encoding: .utf8), !code.isEmpty else { return nil }
        self.afterCode = code
    }
}
