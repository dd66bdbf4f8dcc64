import Foundation
import IOCNotify
import Testing

/// A real SMTP server: Debian's aiosmtpd (python3-aiosmtpd) with its Maildir handler, run by
/// /usr/bin/python3 (a python3 earlier on PATH may lack the module). Recipients starting with
/// "refused" get 550, "later" get 451; everything else is stored.
final class SMTPSink {
    let port: Int
    let directory: URL
    private let process: Process

    static let handlerModule = """
    from aiosmtpd.handlers import Mailbox


    class Sink(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("refused"):
                return "550 5.1.1 No such user here"
            if address.startswith("later"):
                return "451 4.3.0 Mailbox busy, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"
    """

    /// Prints the stored messages as JSON, decoded by Python's own e-mail parser.
    static let reader = """
    import email, email.policy, json, mailbox, sys
    box = mailbox.Maildir(sys.argv[1], create=False)
    out = []
    for key in sorted(box.keys()):
        m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        out.append({
            "subject": str(m["subject"]), "text": m.get_content(), "to": str(m["to"]), "from": str(m["from"]),
            "message_id": str(m["message-id"]), "mail_from": str(m["x-mailfrom"]), "rcpt_to": str(m["x-rcptto"]),
            "content_type": m.get_content_type(), "charset": m.get_content_charset(), "date": str(m["date"]),
            "auto_submitted": str(m["auto-submitted"]),
            "subject_is_encoded": "=?utf-8?b?" in box.get_bytes(key).decode("ascii", "replace").lower(),
        })
    print(json.dumps(out, ensure_ascii=False))
    """

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ioc-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.handlerModule.write(to: directory.appendingPathComponent("ioc_notify_sink.py"), atomically: true, encoding: .utf8)
        port = try unusedLocalPort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "ioc_notify_sink.Sink", directory.appendingPathComponent("maildir").path]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = directory.path
        process.environment = environment
        let log = directory.appendingPathComponent("aiosmtpd.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    /// Waits until the server accepts connections.
    func ready() async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if isListening(port: port) { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("aiosmtpd.log"), encoding: .utf8)) ?? ""
        throw NotifyTestFailure("aiosmtpd did not listen on 127.0.0.1:\(port) (is python3-aiosmtpd installed?): \(log)")
    }

    /// SIGKILL, since the child inherits the test runner's blocked signals and would not see SIGTERM.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    struct Received: Decodable {
        var subject: String
        var text: String
        var to: String
        var from: String
        var message_id: String
        var mail_from: String
        var rcpt_to: String
        var content_type: String
        var charset: String?
        var date: String
        var auto_submitted: String
        var subject_is_encoded: Bool
    }

    func messages() throws -> [Received] {
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        reader.arguments = ["-c", Self.reader, directory.appendingPathComponent("maildir").path]
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        guard reader.terminationStatus == 0 else { throw NotifyTestFailure("reading the maildir failed") }
        return try JSONDecoder().decode([Received].self, from: data)
    }
}

/// Runs `body` with a fresh SMTP sink that is stopped afterwards, whatever happens.
func withSMTPSink<T>(_ body: (SMTPSink) async throws -> T) async throws -> T {
    let sink = try SMTPSink()
    do {
        try await sink.ready()
        let value = try await body(sink)
        sink.stop()
        return value
    } catch {
        sink.stop()
        throw error
    }
}

@Suite("E-mail channel through libcurl to a real SMTP server (aiosmtpd)")
struct NotifyEmailTests {
    @Test("a Vietnamese message arrives with the same subject and text, From, To and Message-ID")
    func deliversVietnamese() async throws {
        try await withSMTPSink { sink in
            let configuration = try SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "canhbao@ioc.example.gov.vn", timeout: .seconds(10))
            let channel = EmailChannel(configuration: configuration)
            let subject = "[Cảnh báo cấp III] Mực nước sông Trà Khúc tại trạm Trà Khúc vượt báo động III — 3,82 m lúc 14:05"
            let text = """
            Trạm: Trà Khúc (T-RIVER-1), tỉnh Quảng Ngãi
            Mực nước: 3,82 m (báo động III: 3,70 m)
            Thời điểm: 14:05 ngày 26/11/2025

            Đề nghị các đơn vị triển khai phương án ứng phó lũ. Ưu tiên sơ tán người dân vùng trũng thấp ven sông; \
            dòng này dài hơn 76 ký tự để kiểm tra việc ngắt dòng base64.
            """
            let receipt = try await channel.send(sampleNotification(.email, address: "truc.ban@ioc.example.gov.vn", subject: subject, text: text, key: "ioc-77"))
            #expect(receipt.detail.hasPrefix("250"), "\(receipt.detail)")

            let messages = try sink.messages()
            try #require(messages.count == 1)
            let message = messages[0]
            #expect(message.subject == subject)
            #expect(message.text.replacingOccurrences(of: "\r\n", with: "\n") == text)
            #expect(message.from == "canhbao@ioc.example.gov.vn")
            #expect(message.to == "truc.ban@ioc.example.gov.vn")
            #expect(message.mail_from == "canhbao@ioc.example.gov.vn")
            #expect(message.rcpt_to == "truc.ban@ioc.example.gov.vn")
            #expect(message.message_id == "<ioc-77@ioc.example.gov.vn>")
            #expect(message.content_type == "text/plain")
            #expect(message.charset == "utf-8")
            #expect(message.auto_submitted == "auto-generated")
            #expect(message.subject_is_encoded)
            #expect(!message.date.isEmpty)
        }
    }

    @Test("a plain ASCII subject and the same key on a retry give the same Message-ID")
    func asciiAndRetry() async throws {
        try await withSMTPSink { sink in
            let channel = EmailChannel(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "ioc@ioc.test"))
            for _ in 0..<2 {
                _ = try await channel.send(sampleNotification(.email, address: "ops@ioc.test", subject: "Test alert", text: "OK", key: "ioc 9/1"))
            }
            let messages = try sink.messages()
            #expect(messages.count == 2)
            #expect(messages.allSatisfy { $0.subject == "Test alert" && $0.text.hasPrefix("OK") })
            #expect(Set(messages.map(\.message_id)) == ["<ioc=209/1@ioc.test>"])
        }
    }

    @Test("550 for the recipient is not retryable, 451 is, and both quote the server")
    func recipientRefusals() async throws {
        try await withSMTPSink { sink in
            let channel = EmailChannel(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "ioc@ioc.test"))
            let permanent = await #expect(throws: DeliveryError.self) {
                try await channel.send(sampleNotification(.email, address: "refused@ioc.test"))
            }
            #expect(permanent?.retryable == false)
            #expect(permanent?.message.contains("550 5.1.1 No such user here") == true, "\(permanent?.message ?? "")")
            let transient = await #expect(throws: DeliveryError.self) {
                try await channel.send(sampleNotification(.email, address: "later@ioc.test"))
            }
            #expect(transient?.retryable == true)
            #expect(transient?.message.contains("451 4.3.0") == true, "\(transient?.message ?? "")")
            #expect(try sink.messages().isEmpty)
        }
    }

    @Test("TLS required but the server offers no STARTTLS: not retryable, nothing sent")
    func tlsRequired() async throws {
        try await withSMTPSink { sink in
            let channel = EmailChannel(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "ioc@ioc.test", requireTLS: true))
            let error = await #expect(throws: DeliveryError.self) {
                try await channel.send(sampleNotification(.email, address: "ops@ioc.test"))
            }
            #expect(error?.retryable == false)
            #expect(error?.message.contains("STARTTLS") == true, "\(error?.message ?? "")")
            #expect(try sink.messages().isEmpty)
        }
    }

    @Test("a refused connection is retryable")
    func connectionRefused() async throws {
        let port = try unusedLocalPort()
        let channel = EmailChannel(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", from: "ioc@ioc.test", username: "ioc", password: "mật-khẩu-bí-mật", timeout: .seconds(3)))
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: DeliveryError.self) {
            try await channel.send(sampleNotification(.email, address: "ops@ioc.test"))
        }
        // Refused at once, not after the 3 s timeout; the margin allows a busy 2-core CI machine.
        #expect(clock.now - started < .seconds(10))
        #expect(error?.retryable == true)
        #expect(error?.message.hasPrefix("cannot connect to SMTP server smtp://127.0.0.1:\(port)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("mật-khẩu") == false)
        #expect(!channel.configuration.description.contains("mật-khẩu"))
    }

    @Test("a server that never greets is a retryable timeout after about the timeout")
    func silentServer() async throws {
        let silent = try SilentListener()
        let channel = EmailChannel(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(silent.port)", from: "ioc@ioc.test", timeout: .seconds(1)))
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: DeliveryError.self) {
            try await channel.send(sampleNotification(.email, address: "ops@ioc.test"))
        }
        let elapsed = clock.now - started
        #expect(error?.retryable == true)
        #expect(error?.message == "SMTP server smtp://127.0.0.1:\(silent.port) timed out after 1 s")
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(15), "took \(elapsed)")
        withExtendedLifetime(silent) {}
    }

    @Test("cancelling the waiting task aborts the transfer at once")
    func cancellation() async throws {
        let silent = try SilentListener()
        let channel = EmailChannel(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(silent.port)", from: "ioc@ioc.test", timeout: .seconds(20)))
        let clock = ContinuousClock()
        let started = clock.now
        let task = Task {
            try await channel.send(sampleNotification(.email, address: "ops@ioc.test"))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        #expect(clock.now - started < .seconds(12), "well before the 20 s transfer timeout")
        guard case .failure(let error as DeliveryError) = result else {
            Issue.record("a cancelled send did not fail with a DeliveryError: \(result)")
            return
        }
        #expect(error.retryable)
        #expect(error.message == "e-mail to ops@ioc.test was cancelled")
        withExtendedLifetime(silent) {}
    }

    @Test("a malformed address is not retryable", arguments: ["", "no-at-sign", "a@b@c", "x@y\r\nBcc: all@ioc.test", "Tên <a@b.vn>"])
    func malformedAddress(address: String) async throws {
        let channel = EmailChannel(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:9", from: "ioc@ioc.test"))
        let error = await #expect(throws: DeliveryError.self) {
            try await channel.send(sampleNotification(.email, address: address))
        }
        #expect(error?.retryable == false)
        #expect(error?.message.contains("is malformed") == true)
    }
}
