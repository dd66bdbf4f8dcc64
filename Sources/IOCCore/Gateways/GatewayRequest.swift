/// A gateway to register: its code is its MQTT user name and the prefix it may publish under
/// (`ioc/v1/{code}/#`).
public struct GatewayRequest: Sendable, Codable, Equatable {
    public var code: String
    /// The administrative unit code the gateway belongs to.
    public var unit: String
    public var name: String?

    public init(code: String, unit: String, name: String? = nil) {
        self.code = code
        self.unit = unit
        self.name = name
    }

    public func validate() throws(GatewayValidationError) {
        try Self.validate(code: code)
        guard !unit.isEmpty, unit.count <= 64 else {
            throw GatewayValidationError(field: "unit", message: "unit must be an administrative unit code (1 to 64 characters)")
        }
        if let name, name.count > 200 {
            throw GatewayValidationError(field: "name", message: "name is at most 200 characters")
        }
    }

    /// Letters, digits, `.`, `_`, `-`; 1 to 64 characters; not `ioc` (the IOC's own account). MQTT
    /// wildcards (`+`, `#`) and `/` would widen the gateway's topic prefix, `$` would reach the
    /// broker's own topics.
    public static func validate(code: String) throws(GatewayValidationError) {
        guard !code.isEmpty, code.utf8.count <= 64 else {
            throw GatewayValidationError(field: "code", message: "a gateway code has 1 to 64 characters, got \(code.utf8.count)")
        }
        guard code.utf8.allSatisfy(isCodeByte) else {
            throw GatewayValidationError(field: "code", message: "gateway code \(code) may contain only letters, digits, '.', '_' and '-'")
        }
        guard code != "ioc" else {
            throw GatewayValidationError(field: "code", message: "ioc is the IOC's own broker account, not a gateway code")
        }
    }

    private static func isCodeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

public struct GatewayValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}

/// A new broker password: 24 random bytes from the system's generator, as 48 hex digits (safe in
/// URLs, shells and JSON without escaping).
public enum GatewayPassword {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48)
        for _ in 0..<24 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
