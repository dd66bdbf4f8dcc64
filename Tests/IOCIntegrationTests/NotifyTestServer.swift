import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import IOCNotify
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A request as the notify test server received it.
struct ReceivedRequest: Sendable {
    var method: String
    var path: String
    /// By lowercase name.
    var headers: [String: String]
    var body: Data

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

/// What the notify test server answers, after `delay`.
struct CannedAnswer: Sendable {
    var status: Int
    var body: String = "{}"
    var headers: [String: String] = [:]
    var delay: Duration = .zero
}

/// Everything the notify test server received, in order.
final class ReceivedRequests: Sendable {
    private let requests = Mutex<[ReceivedRequest]>([])
    func append(_ request: ReceivedRequest) { requests.withLock { $0.append(request) } }
    var all: [ReceivedRequest] { requests.withLock { $0 } }
}

/// Runs `body` with a real Hummingbird server on 127.0.0.1 and a port the system picked, which
/// records every POST and answers with `answer`. `body` gets the server's base URL ("http://127.0.0.1:PORT").
func withNotifyTestServer<T: Sendable>(
    answer: @escaping @Sendable (ReceivedRequest) -> CannedAnswer,
    _ body: (String, ReceivedRequests) async throws -> T
) async throws -> T {
    let received = ReceivedRequests()
    let router = Router()
    router.post("**") { request, _ -> Response in
        let buffer = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = field.value
        }
        let recorded = ReceivedRequest(method: request.method.rawValue, path: request.uri.path, headers: headers, body: Data(buffer.readableBytesView))
        received.append(recorded)
        let canned = answer(recorded)
        if canned.delay > .zero {
            try await Task.sleep(for: canned.delay)
        }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in canned.headers {
            fields[HTTPField.Name(name)!] = value
        }
        return Response(status: .init(code: canned.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: canned.body)))
    }
    var logger = Logger(label: "notify-test-server")
    logger.logLevel = .critical
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        logger: logger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            group.cancelAll()
            throw NotifyTestFailure("the test HTTP server did not report its port")
        }
        do {
            let value = try await body("http://127.0.0.1:\(port)", received)
            group.cancelAll()
            return value
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Runs `body` with an HTTP client set up as IOC should use one for notifications: no redirects.
func withNotifyHTTPClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    do {
        let value = try await body(client)
        try await client.shutdown()
        return value
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on at the moment of the call.
func unusedLocalPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw NotifyTestFailure("socket() failed: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
        }
    }
    guard bound else { throw NotifyTestFailure("bind() failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A socket on 127.0.0.1 that listens but never accepts nor says anything: the kernel completes
/// the TCP handshake, so a client connects and then waits for a greeting that never comes.
final class SilentListener {
    let port: Int
    private let descriptor: Int32

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw NotifyTestFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = self.descriptor
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 8) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard listening else {
            close(descriptor)
            throw NotifyTestFailure("cannot listen on 127.0.0.1: errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
func isListening(port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

struct NotifyTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A notification as the outbox would hand it over, Vietnamese text by default.
func sampleNotification(_ channel: ChannelKind, address: String, secret: String? = nil, subject: String = "Cảnh báo mực nước", text: String = "Trạm T-RIVER-1: mực nước 3,8 m, vượt báo động III.", payload: String = #"{"alert":"T-RIVER-1","level":"III"}"#, key: String = "ioc-42") -> OutgoingNotification {
    OutgoingNotification(idempotencyKey: key, channel: channel, address: address, secret: secret, subject: subject, text: text, payload: Data(payload.utf8))
}
