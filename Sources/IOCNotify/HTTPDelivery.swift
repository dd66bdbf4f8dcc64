import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// One POST with a deadline, shared by the webhook, SMS and Telegram channels. Transport failures
/// come back as a `DeliveryError` that names the endpoint (as `target`, already redacted) and says
/// what happened; what a status code means is left to each channel.
struct HTTPDelivery: Sendable {
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// The most of an answer's body that is read: enough for an error description, not a download.
    static let maximumAnswerBytes = 64 * 1024

    let client: HTTPClient
    let timeout: Duration
    let logger: Logger

    /// Sends `body` and reads the answer, all within `timeout`.
    func post(url: String, headers: HTTPHeaders, body: Data, target: String) async throws(DeliveryError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = headers
        request.headers.replaceOrAdd(name: "User-Agent", value: "ioc")
        request.body = .bytes(body)
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        do {
            let response = try await client.execute(request, deadline: deadline, logger: logger)
            // The rest of a long answer is read and dropped, so the connection can be reused.
            var body = Data()
            for try await chunk in response.body where body.count < Self.maximumAnswerBytes {
                body.append(contentsOf: chunk.readableBytesView.prefix(Self.maximumAnswerBytes - body.count))
            }
            return Answer(status: Int(response.status.code), headers: response.headers, body: body)
        } catch {
            throw Self.describe(error, target: target, timeout: timeout)
        }
    }

    /// Puts an AsyncHTTPClient or NIO failure into words. Everything here is retryable except a URL
    /// that cannot work at all: the endpoint may come back, the same URL will stay malformed.
    static func describe(_ error: any Error, target: String, timeout: Duration) -> DeliveryError {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return DeliveryError(retryable: true, "\(target) timed out after \(timeout.spoken)")
            case .connectTimeout, .tlsHandshakeTimeout:
                return DeliveryError(retryable: true, "cannot connect to \(target): no connection within \(timeout.spoken)")
            case .getConnectionFromPoolTimeout:
                return DeliveryError(retryable: true, "\(target) timed out after \(timeout.spoken) waiting for a free connection")
            case .remoteConnectionClosed:
                return DeliveryError(retryable: true, "\(target) closed the connection without answering")
            case .cancelled:
                return DeliveryError(retryable: true, "delivery to \(target) was cancelled")
            case .invalidURL, .emptyHost, .emptyScheme:
                return DeliveryError(retryable: false, "\(target) is not a usable http(s) URL")
            default:
                return DeliveryError(retryable: true, "\(target) failed: \(error)")
            }
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return DeliveryError(retryable: true, "cannot connect to \(target): cannot resolve \(error.host)")
            }
            let reasons = error.connectionErrors.map { failure in
                (failure.error as? IOError).map { Self.reason(errno: $0.errnoCode) } ?? "\(failure.error)"
            }
            let reason = Array(Set(reasons)).sorted().joined(separator: "; ")
            return DeliveryError(retryable: true, "cannot connect to \(target)" + (reason.isEmpty ? "" : ": \(reason)"))
        case let error as IOError where [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT].contains(error.errnoCode):
            return DeliveryError(retryable: true, "cannot connect to \(target): \(Self.reason(errno: error.errnoCode))")
        case let error as IOError:
            return DeliveryError(retryable: true, "\(target) failed: \(Self.reason(errno: error.errnoCode))")
        case let error as ChannelError:
            if case .connectTimeout = error {
                return DeliveryError(retryable: true, "cannot connect to \(target): no connection within \(timeout.spoken)")
            }
            return DeliveryError(retryable: true, "\(target) failed: \(error)")
        case is CancellationError:
            return DeliveryError(retryable: true, "delivery to \(target) was cancelled")
        default:
            return DeliveryError(retryable: true, "\(target) failed: \(error)")
        }
    }

    /// "connection refused" rather than "Connection refused (errno: 111)".
    static func reason(errno code: CInt) -> String {
        String(cString: strerror(code)).lowercased()
    }

    /// Whether a status says delivered, try again later, or never.
    enum Verdict {
        case delivered, retryable, permanent
    }

    /// 2xx delivered; 408 (request timeout), 425 (too early), 429 (too many requests) and 5xx are
    /// the endpoint's trouble and worth retrying; any other answer will be the same next time.
    static func verdict(status: Int) -> Verdict {
        switch status {
        case 200..<300: .delivered
        case 408, 425, 429, 500..<600: .retryable
        default: .permanent
        }
    }

    /// The error for an answer that is not 2xx: "webhook https://… answered HTTP 503 (Retry-After: 30): <body>".
    static func rejection(_ answer: Answer, target: String) -> DeliveryError {
        var message = "\(target) answered HTTP \(answer.status)"
        if let retryAfter = answer.headers.first(name: "Retry-After") {
            message += " (Retry-After: \(retryAfter))"
        }
        let excerpt = excerpt(answer.body)
        if !excerpt.isEmpty { message += ": \(excerpt)" }
        return DeliveryError(retryable: verdict(status: answer.status) == .retryable, message)
    }

    /// The start of a body as one line, for an error message.
    static func excerpt(_ body: Data, limit: Int = 200) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
            .split(whereSeparator: { $0.isWhitespace || $0.isNewline })
            .joined(separator: " ")
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    /// An http or https URL with a host, or nil.
    static func httpURL(_ string: String) -> URL? {
        guard let url = URL(string: string), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else { return nil }
        return url
    }
}

extension Duration {
    /// "5 s", "0.5 s": for messages a person reads.
    var spoken: String {
        let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }
}
