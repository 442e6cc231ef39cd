import Foundation
import PostgresNIO

/// One cell decoded into a Swift value, as a generic driver hands rows to a naive agent (psycopg's
/// `fetchall()` converts every column too). Types without a decoder here keep their raw bytes.
enum DecodedValue: Sendable {
    case null
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case text(String)
    case date(Date)
    case decimal(Decimal)
    case raw([UInt8])

    init(_ cell: PostgresCell) throws {
        guard var bytes = cell.bytes else {
            self = .null
            return
        }
        switch cell.dataType {
        case .int2: self = .int(Int64(try cell.decode(Int16.self)))
        case .int4: self = .int(Int64(try cell.decode(Int32.self)))
        case .int8: self = .int(try cell.decode(Int64.self))
        case .oid, .xid:
            // postgres-nio has no decoder for oid into an integer type; read the 4 bytes.
            self = .int(Int64(bytes.readInteger(as: UInt32.self) ?? 0))
        case .float4: self = .double(Double(try cell.decode(Float.self)))
        case .float8: self = .double(try cell.decode(Double.self))
        case .bool: self = .bool(try cell.decode(Bool.self))
        case .text, .varchar, .name, .bpchar: self = .text(try cell.decode(String.self))
        case .timestamptz, .timestamp: self = .date(try cell.decode(Date.self))
        case .numeric: self = .decimal(try cell.decode(Decimal.self))
        default: self = .raw(bytes.readBytes(length: bytes.readableBytes) ?? [])
        }
    }
}
