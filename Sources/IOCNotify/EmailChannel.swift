import CCurl
import Dispatch
import Foundation
import Logging

/// Sends the notification as a plain-text e-mail (UTF-8 subject and body) through an SMTP server,
/// with libcurl doing the SMTP, STARTTLS and authentication.
///
/// curl's easy interface blocks, so each transfer runs on a dedicated dispatch queue and the caller
/// awaits it through a continuation: the Swift concurrency pool is never blocked. The transfer is
/// bounded by the configured timeout, and cancelling the waiting task aborts it.
///
/// Retryable: connection failures, timeouts, TLS trouble, dropped connections and 4xx SMTP replies
/// (the server's "try again later"). Not retryable: 5xx replies (the recipient, sender or message is
/// refused for good), a refused login (535: the same credentials will be refused again, and
/// retrying each message would hammer the server and may lock the account), and a server without
/// STARTTLS when TLS is required (the configuration must change, not the moment).
public struct EmailChannel: NotificationChannel {
    public var kind: ChannelKind { .email }
    public let configuration: SMTPConfiguration
    private let logger: Logger

    /// Transfers run here, concurrently: each blocks one thread for at most the timeout.
    private static let queue = DispatchQueue(label: "ioc.notify.smtp", qos: .utility, attributes: .concurrent)

    public init(configuration: SMTPConfiguration, logger: Logger = Logger(label: "ioc.notify.email")) {
        self.configuration = configuration
        self.logger = logger
    }

    public func send(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt {
        let recipient = notification.address.trimmingCharacters(in: .whitespaces)
        guard EmailAddress.isValid(recipient) else {
            throw DeliveryError(retryable: false, "e-mail address \"\(notification.address.prefix(200))\" is malformed (expected name@domain)")
        }
        let message = MailMessage(from: configuration.from, to: recipient, subject: notification.subject, text: notification.text, idempotencyKey: notification.idempotencyKey)
        let configuration = self.configuration
        let bytes = message.bytes
        let cancellation = TransferCancellation()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<SMTPOutcome, Never>) in
                Self.queue.async {
                    continuation.resume(returning: CurlSMTPTransfer.perform(configuration: configuration, recipient: recipient, message: bytes, cancellation: cancellation))
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        let result = Self.interpret(outcome, configuration: configuration, recipient: recipient)
        switch result {
        case .success(let receipt):
            logger.debug("e-mail delivered", metadata: ["idempotency_key": "\(notification.idempotencyKey)", "message-id": "\(message.messageID)"])
            return receipt
        case .failure(let error):
            logger.debug("e-mail not delivered", metadata: ["idempotency_key": "\(notification.idempotencyKey)", "retryable": "\(error.retryable)"])
            throw error
        }
    }

    static func interpret(_ outcome: SMTPOutcome, configuration: SMTPConfiguration, recipient: String) -> Result<DeliveryReceipt, DeliveryError> {
        let server = "SMTP server \(configuration.url.redacted)"
        let reply = outcome.lastReply.isEmpty ? "" : " (last reply: \(outcome.lastReply))"
        switch outcome.code {
        case CURLE_OK:
            return .success(DeliveryReceipt(detail: outcome.lastReply.isEmpty ? "\(outcome.responseCode)" : outcome.lastReply))
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return .failure(DeliveryError(retryable: true, "cannot connect to \(server): \(outcome.errorText)"))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(DeliveryError(retryable: true, "\(server) timed out after \(configuration.timeout.spoken)\(reply)"))
        case CURLE_ABORTED_BY_CALLBACK:
            return .failure(DeliveryError(retryable: true, "e-mail to \(recipient) was cancelled"))
        case CURLE_LOGIN_DENIED:
            return .failure(DeliveryError(retryable: false, "\(server) refused the login of \(configuration.username ?? "(no user)")\(reply): check IOC_SMTP_USERNAME and IOC_SMTP_PASSWORD"))
        case CURLE_USE_SSL_FAILED:
            return .failure(DeliveryError(retryable: false, "\(server) does not offer STARTTLS and TLS is required: use smtps://, a server with STARTTLS, or IOC_SMTP_REQUIRE_TLS=false"))
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .failure(DeliveryError(retryable: false, "\(server) cannot be used: \(outcome.errorText)"))
        default:
            let said = outcome.lastReply.isEmpty ? outcome.errorText : outcome.lastReply
            switch outcome.responseCode {
            case 500..<600:
                return .failure(DeliveryError(retryable: false, "\(server) refused the e-mail to \(recipient): \(said)"))
            case 400..<500:
                return .failure(DeliveryError(retryable: true, "\(server) deferred the e-mail to \(recipient): \(said)"))
            default:
                return .failure(DeliveryError(retryable: true, "e-mail to \(recipient) through \(server) failed: \(outcome.errorText)\(reply)"))
            }
        }
    }
}
