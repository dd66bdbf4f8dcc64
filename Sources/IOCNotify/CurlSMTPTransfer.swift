import CCurl
import Foundation
import Synchronization

/// What came of one SMTP transfer: curl's result, the server's last reply code and line, and
/// curl's own explanation.
struct SMTPOutcome: Sendable {
    var code: CURLcode
    /// The last SMTP reply code (250, 451, 550, ...), 0 if the server never answered.
    var responseCode: Int
    /// The server's reply that failed the transfer ("550 5.1.1 <x@y>: Recipient address rejected"),
    /// or its last reply ("250 2.0.0 Ok: queued as 4F2C1") when it succeeded.
    var lastReply: String
    /// curl's error buffer, or curl_easy_strerror when that is empty.
    var errorText: String
}

/// Set from another thread when the task that waits for a transfer is cancelled; curl's progress
/// callback sees it and aborts the transfer.
final class TransferCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// One blocking SMTP submission with libcurl's easy interface. `perform` blocks its thread for up
/// to the configured timeout, so it runs on `EmailChannel`'s dispatch queue, never on the Swift
/// concurrency pool.
enum CurlSMTPTransfer {
    /// curl_global_init must run once before the first handle; a static let runs it exactly once.
    static let globalInit: CURLcode = ioc_curl_global_init()

    static func perform(configuration: SMTPConfiguration, recipient: String, message: Data, cancellation: TransferCancellation) -> SMTPOutcome {
        guard globalInit == CURLE_OK else {
            return SMTPOutcome(code: globalInit, responseCode: 0, lastReply: "", errorText: "libcurl could not be initialised: \(describe(globalInit))")
        }
        let context = TransferContext(message: Array(message), cancellation: cancellation)
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        let recipients = curl_slist_append(nil, "<\(recipient)>")
        defer { curl_slist_free_all(recipients) }
        guard let handle = curl_easy_init() else {
            return SMTPOutcome(code: CURLE_FAILED_INIT, responseCode: 0, lastReply: "", errorText: "libcurl could not create a handle")
        }
        // Runs before the defers above: curl still writes to the error buffer and calls the debug
        // callback (QUIT's "221") while it closes the connection, so all of them must outlive it.
        defer { withExtendedLifetime(context) { curl_easy_cleanup(handle) } }

        var setup = CURLE_OK
        func set(_ result: CURLcode) {
            if setup == CURLE_OK { setup = result }
        }
        let timeoutMilliseconds = Int(configuration.timeout.components.seconds * 1000 + configuration.timeout.components.attoseconds / 1_000_000_000_000_000)

        set(ioc_curl_set_string(handle, CURLOPT_URL, configuration.url.absoluteString))
        set(ioc_curl_set_string(handle, CURLOPT_MAIL_FROM, "<\(configuration.from)>"))
        set(ioc_curl_set_slist(handle, CURLOPT_MAIL_RCPT, recipients))
        if let username = configuration.username {
            set(ioc_curl_set_string(handle, CURLOPT_USERNAME, username))
        }
        if let password = configuration.password {
            set(ioc_curl_set_string(handle, CURLOPT_PASSWORD, password))
        }
        // Without requireTLS, STARTTLS is still used whenever the server offers it.
        let tls = configuration.requireTLS ? CURLUSESSL_ALL : CURLUSESSL_TRY
        set(ioc_curl_set_long(handle, CURLOPT_USE_SSL, Int(tls.rawValue)))
        set(ioc_curl_set_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds))
        set(ioc_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeoutMilliseconds))
        // No SIGALRM for DNS timeouts: signals and threads do not mix.
        set(ioc_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(ioc_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))

        set(ioc_curl_set_long(handle, CURLOPT_UPLOAD, 1))
        set(ioc_curl_set_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(context.message.count)))
        set(ioc_curl_set_pointer(handle, CURLOPT_READDATA, contextPointer))
        set(ioc_curl_set_read_callback(handle) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
            let length = min(size * count, context.message.count - context.offset)
            context.message.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + context.offset, byteCount: length)
            }
            context.offset += length
            return length
        })

        // Verbose mode feeds the debug callback, which keeps the server's reply lines (never what
        // IOC sends: AUTH carries the password) for receipts and error messages.
        set(ioc_curl_set_long(handle, CURLOPT_VERBOSE, 1))
        set(ioc_curl_set_pointer(handle, CURLOPT_DEBUGDATA, contextPointer))
        set(ioc_curl_set_debug_callback(handle) { _, type, data, size, userdata in
            guard type == CURLINFO_HEADER_IN, let data, let userdata else { return 0 }
            let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            context.record(reply: text)
            return 0
        })

        set(ioc_curl_set_long(handle, CURLOPT_NOPROGRESS, 0))
        set(ioc_curl_set_pointer(handle, CURLOPT_XFERINFODATA, contextPointer))
        set(ioc_curl_set_xferinfo_callback(handle) { userdata, _, _, _, _ in
            guard let userdata else { return 0 }
            let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
            return context.cancellation.isCancelled ? 1 : 0
        })

        guard setup == CURLE_OK else {
            return SMTPOutcome(code: setup, responseCode: 0, lastReply: "", errorText: "libcurl refused an option: \(describe(setup))")
        }

        let code = withExtendedLifetime(context) { curl_easy_perform(handle) }
        var responseCode = 0
        _ = ioc_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        var errorText = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
        if errorText.isEmpty, code != CURLE_OK { errorText = describe(code) }
        if code != CURLE_OK, let failure = context.firstFailure {
            return SMTPOutcome(code: code, responseCode: Int(failure.prefix(3)) ?? responseCode, lastReply: failure, errorText: errorText)
        }
        return SMTPOutcome(code: code, responseCode: responseCode, lastReply: context.lastReply, errorText: errorText)
    }

    static func describe(_ code: CURLcode) -> String {
        curl_easy_strerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
    }
}

/// Everything curl's C callbacks touch during one transfer. Created, used and dropped on the one
/// thread that runs curl_easy_perform, so it needs no lock.
private final class TransferContext {
    let message: [UInt8]
    var offset = 0
    let cancellation: TransferCancellation
    private var pending = ""
    private(set) var lastReply = ""
    /// The first 4xx or 5xx reply: after it curl may still say QUIT, and "221 Bye" explains nothing.
    private(set) var firstFailure: String?

    init(message: [UInt8], cancellation: TransferCancellation) {
        self.message = message
        self.cancellation = cancellation
    }

    /// curl hands over reply text in pieces that need not end at a line end.
    func record(reply text: String) {
        pending += text
        while let end = pending.range(of: "\r\n") ?? pending.range(of: "\n") {
            let line = String(pending[..<end.lowerBound].trimmingCharacters(in: .whitespaces).prefix(300))
            pending.removeSubrange(..<end.upperBound)
            guard !line.isEmpty else { continue }
            let code = Int(line.prefix(3)) ?? 0
            if code >= 400, firstFailure == nil { firstFailure = line }
            if code != 221 { lastReply = line }
        }
    }
}
