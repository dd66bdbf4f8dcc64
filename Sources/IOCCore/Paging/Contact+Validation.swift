import Foundation

extension Contact {
    /// Throws the first of `problems`, the one a person fixes first.
    public func validate() throws(PagingValidationError) {
        if let first = problems.first { throw first }
    }

    /// Every problem of the contact, in the order of its fields; empty when it is valid.
    public var problems: [PagingValidationError] {
        var found = PagingProblems()
        found.name("name", name, example: "give the person's or the team's name, like Nguyễn Văn An")
        if channels.isEmpty {
            found.add("channels", #"must list at least one way to reach the contact, like {"type":"sms","phone":"+84901234567"}"#)
        }
        for (index, channel) in channels.enumerated() {
            let path = "channels[\(index)]"
            if let first = channels[..<index].firstIndex(of: channel) {
                found.add(path, "repeats channels[\(first)]; list each channel once, or every message arrives twice")
                continue
            }
            switch channel {
            case .webhook(let url, let secret):
                if !Self.isWebURL(url) {
                    found.add("\(path).url", "'\(url)' is not a web address; expected http:// or https:// and a host, like https://ops.phuyen.gov.vn/hooks/ioc")
                }
                if secret.count < 16 {
                    found.add("\(path).secret", "has \(secret.count) characters; use at least 16 random characters (the key the receiver checks the HMAC-SHA256 signature with)")
                }
            case .email(let address):
                if !Self.isEmailAddress(address) {
                    found.add("\(path).address", "'\(address)' is not an e-mail address; expected one like trucban@phuyen.gov.vn")
                }
            case .sms(let phone):
                if !Self.isPhoneNumber(phone) {
                    found.add("\(path).phone", "'\(phone)' is not a phone number; write digits only, in E.164 like +84901234567 or as a Vietnamese number like 0901234567")
                }
            case .telegram(let chatID):
                if !Self.isTelegramChat(chatID) {
                    found.add("\(path).chat_id", "'\(chatID)' is not a Telegram chat; use the numeric chat id (like 123456, or -100… for a group) or a public @username of 5 to 32 letters, digits or _")
                }
            }
        }
        return found.list
    }

    static func isWebURL(_ text: String) -> Bool {
        guard !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }),
              let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { return false }
        return true
    }

    /// local@domain.tld: one @, no spaces, a domain of dot-separated labels of letters, digits
    /// and hyphens.
    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
              !parts[0].contains(where: { $0.isWhitespace || $0.isNewline || "<>()[],;:\"".contains($0) })
        else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0 == "-" || $0.isLetter || $0.isASCIIDigit }
            }
            && labels.last!.allSatisfy(\.isLetter)
    }

    /// E.164 (`+`, then 8 to 15 digits not starting with 0) or a Vietnamese national number
    /// (`0`, then 9 digits).
    static func isPhoneNumber(_ text: String) -> Bool {
        if text.first == "+" {
            let digits = text.dropFirst()
            return (8...15).contains(digits.count) && digits.first != "0" && digits.allSatisfy(\.isASCIIDigit)
        }
        return text.count == 10 && text.first == "0" && text.allSatisfy(\.isASCIIDigit)
    }

    /// A chat id (an integer, negative for groups and channels) or `@username`: 5 to 32 letters,
    /// digits or underscores, starting with a letter.
    static func isTelegramChat(_ text: String) -> Bool {
        if text.first == "@" {
            let name = text.dropFirst()
            return (5...32).contains(name.count) && name.first!.isASCIILetter
                && name.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" }
        }
        let digits = text.first == "-" ? text.dropFirst() : Substring(text)
        return (1...19).contains(digits.count) && digits.allSatisfy(\.isASCIIDigit)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}
