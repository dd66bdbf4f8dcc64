import Foundation

extension URL {
    /// The URL for error messages and logs: scheme, host, port and path, without user, password,
    /// query or fragment, where secrets tend to be put.
    var redacted: String {
        guard var components = URLComponents(url: self, resolvingAgainstBaseURL: false) else { return "<unparseable URL>" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<unparseable URL>"
    }
}
