import Foundation

/// An RFC 5322 message with a UTF-8 subject and a UTF-8 plain-text body, as the bytes handed to
/// the SMTP server after DATA (curl does the dot-stuffing).
struct MailMessage: Sendable {
    var from: String
    var to: String
    var subject: String
    var text: String
    /// Stable across retries so that mail clients show one message, however often it is sent.
    var messageID: String
    var date: Date

    init(from: String, to: String, subject: String, text: String, idempotencyKey: String, date: Date = Date()) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.messageID = Self.messageID(idempotencyKey: idempotencyKey, domain: EmailAddress.domain(of: from))
        self.date = date
    }

    /// The whole message, CRLF line ends. Headers are ASCII (the subject as RFC 2047 encoded
    /// words); the body is base64 so that no relay can mangle Vietnamese text or long lines.
    var bytes: Data {
        // MIME's canonical form of text has CRLF line ends, also inside base64 (RFC 2045, 6.8).
        let canonical = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let body = Data(canonical.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let lines = [
            "Date: \(Self.rfc5322Date(date))",
            "From: \(from)",
            "To: \(to)",
            "Subject: \(Self.encodedHeaderText(subject))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            // RFC 3834: automatic, so vacation responders do not answer it.
            "Auto-Submitted: auto-generated",
            "",
            body,
        ]
        return Data((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// `<ioc-42@ioc.example.gov.vn>`: the key with anything outside RFC 5322 atext written as =XX.
    static func messageID(idempotencyKey: String, domain: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/?^_`{|}~".utf8)
        var left = ""
        for byte in idempotencyKey.utf8 {
            if allowed.contains(byte) {
                left.append(Character(Unicode.Scalar(byte)))
            } else {
                left += "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        if left.isEmpty { left = UUID().uuidString }
        let right = domain.utf8.allSatisfy({ allowed.contains($0) || $0 == UInt8(ascii: ".") }) && !domain.isEmpty ? domain : "ioc.invalid"
        return "<\(left)@\(right)>"
    }

    /// Printable ASCII that fits on a line stays as it is; anything else becomes RFC 2047 "B"
    /// encoded words of at most 75 characters, folded onto continuation lines, never splitting a
    /// code point between two words.
    static func encodedHeaderText(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        if flat.utf8.count <= 70, flat.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }), !flat.contains("=?") {
            return flat
        }
        // 45 bytes of UTF-8 are 60 base64 characters; with "=?UTF-8?B?" and "?=" that is 72.
        let maximumChunk = 45
        var chunks: [[UInt8]] = []
        var chunk: [UInt8] = []
        for scalar in flat.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maximumChunk, !chunk.isEmpty {
                chunks.append(chunk)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || chunks.isEmpty { chunks.append(chunk) }
        return chunks.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// "Tue, 26 Nov 2024 07:05:09 +0000".
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
