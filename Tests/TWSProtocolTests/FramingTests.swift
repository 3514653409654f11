import NIOCore
import Testing
import TickhubCore
import TWSProtocol

/// Length-prefixed framing, including frames that arrive in arbitrary pieces.
@Suite("Framing")
struct FramingTests {
    /// A varied stream: small, empty-field and large (contract details) frames, at server version 176.
    static func sampleStream(count: Int) -> (bytes: [UInt8], payloads: [[UInt8]]) {
        var buffer = ByteBuffer()
        var payloads: [[UInt8]] = []
        for i in 0..<count {
            let message: any TWSMessage
            switch i % 6 {
            case 0: message = TickPrice(requestID: i, tickType: 1, price: Double(i) + 0.25, size: 100)
            case 1: message = TickSize(requestID: i, tickType: 8, size: nil)
            case 2: message = AccountValue(key: "NetLiquidation", value: "\(i).00", currency: "USD", account: "DU1")
            case 3: message = CompletedOrdersEnd()
            case 4: message = ErrorMessage(requestID: -1, code: 2104, message: String(repeating: "x", count: i % 300))
            default: message = RoundTripTests.contractDetails(at: 176)
            }
            payloads.append(Wire.bytes(Wire.payload(of: message, serverVersion: 176)))
            message.encode(into: &buffer, serverVersion: 176)
        }
        return (Wire.bytes(buffer), payloads)
    }

    @Test func oneCompleteFrame() throws {
        var buffer = Wire.framed(Wire.payload("9|1|217|"))
        let frame = try #require(try TWSFraming.nextFrame(from: &buffer))
        #expect(Wire.pipes(frame) == "9|1|217|")
        #expect(buffer.readableBytes == 0)
        #expect(try TWSFraming.nextFrame(from: &buffer) == nil)
    }

    @Test func incompleteHeaderOrBodyNeedsMoreAndConsumesNothing() throws {
        let whole = Wire.bytes(Wire.framed(Wire.payload("49|1|1752606307|")))
        for cut in 0..<whole.count {
            var partial = Wire.buffer(whole[..<cut])
            #expect(try TWSFraming.nextFrame(from: &partial) == nil)
            #expect(partial.readableBytes == cut)
        }
    }

    @Test func emptyFrame() throws {
        var buffer = Wire.buffer([0, 0, 0, 0, 0, 0, 0, 3] + Array("62\u{0}".utf8))
        let empty = try #require(try TWSFraming.nextFrame(from: &buffer))
        #expect(empty.readableBytes == 0)
        #expect(TWSFraming.fieldCount(of: empty) == 0)
        #expect(TWSFraming.fields(of: empty) == [])
        let next = try #require(try TWSFraming.nextFrame(from: &buffer))
        #expect(TWSFraming.fields(of: next) == ["62"])
    }

    @Test func fieldsKeepEmptyFields() {
        let payload = Wire.payload("4|2|-1|2104|OK||")
        #expect(TWSFraming.fieldCount(of: payload) == 6)
        #expect(TWSFraming.fields(of: payload) == ["4", "2", "-1", "2104", "OK", ""])
    }

    @Test func writeFramePatchesTheLength() {
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        TWSFraming.writeFrame(into: &buffer) { $0.writeString("abc\u{0}") }
        TWSFraming.writeFrame(into: &buffer) { _ in }
        #expect(Wire.bytes(buffer) == [1, 2, 3, 0, 0, 0, 4, 0x61, 0x62, 0x63, 0, 0, 0, 0, 0])
    }

    @Test func manyFramesInOneRead() throws {
        let (bytes, payloads) = Self.sampleStream(count: 600)
        let (frames, leftover) = try Wire.frames(in: bytes)
        #expect(leftover == 0)
        #expect(frames.count == 600)
        #expect(frames.map(Wire.bytes) == payloads)
    }

    @Test func oneByteAtATime() throws {
        let (bytes, payloads) = Self.sampleStream(count: 120)
        let result = try Wire.reassemble(bytes) { _ in 1 }
        #expect(result.leftover == 0)
        #expect(result.frames == payloads)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func randomChunkSizes(seed: UInt64) throws {
        let (bytes, payloads) = Self.sampleStream(count: 300)
        var random = SeededGenerator(seed: seed)
        let maxChunk = [3, 17, 64, 500, 4096, 20000][Int(seed - 1)]
        let result = try Wire.reassemble(bytes) { _ in Int.random(in: 1...maxChunk, using: &random) }
        #expect(result.leftover == 0)
        #expect(result.frames == payloads)
    }

    @Test func aTruncatedStreamLeavesTheLastFramePending() throws {
        let (bytes, payloads) = Self.sampleStream(count: 10)
        let result = try Wire.reassemble(Array(bytes.dropLast(3))) { _ in 5 }
        #expect(result.frames == Array(payloads.dropLast()))
        #expect(result.leftover == 4 + payloads.last!.count - 3)
    }
}
