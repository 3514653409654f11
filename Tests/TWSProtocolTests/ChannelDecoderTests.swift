import NIOCore
import NIOEmbedded
import Testing
import TickhubCore
import TWSProtocol

/// The NIO decoders, driven through an `EmbeddedChannel` as a socket would drive them.
@Suite("Channel decoders")
struct ChannelDecoderTests {
    static func helloBytes(_ text: String) -> [UInt8] {
        Array("API\0".utf8) + withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian, Array.init) + Array(text.utf8)
    }

    static func readFrames(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let frame = try channel.readInbound(as: ByteBuffer.self) { out.append(Wire.bytes(frame)) }
        return out
    }

    @Test func frameDecoderSplitsAndJoins() throws {
        let (bytes, payloads) = FramingTests.sampleStream(count: 200)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSFrameDecoder()))
        var random = SeededGenerator(seed: 42)
        var offset = 0
        var frames: [[UInt8]] = []
        while offset < bytes.count {
            let n = min(Int.random(in: 1...300, using: &random), bytes.count - offset)
            try channel.writeInbound(Wire.buffer(bytes[offset..<(offset + n)]))
            offset += n
            frames += try Self.readFrames(channel)
        }
        #expect(frames == payloads)
        #expect(try channel.finish().isClean)
    }

    @Test func frameDecoderDeliversManyFramesFromOneRead() throws {
        let (bytes, payloads) = FramingTests.sampleStream(count: 50)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSFrameDecoder()))
        try channel.writeInbound(Wire.buffer(bytes))
        #expect(try Self.readFrames(channel) == payloads)
        #expect(try channel.finish().isClean)
    }

    @Test func frameDecoderRefusesOversizedFrames() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSFrameDecoder(maximumFrameLength: 64)))
        #expect(throws: TWSProtocolError.frameTooLarge(length: 65, limit: 64)) {
            try channel.writeInbound(Wire.buffer([0, 0, 0, 65, 0x31, 0]))
        }
        _ = try? channel.finish()
    }

    @Test func serverDecoderReadsHelloThenFrames() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSServerDecoder()))
        var bytes = Self.helloBytes("v157..178")
        bytes += Wire.bytes(StartAPI(clientID: 1).frame(serverVersion: 176))
        bytes += Wire.bytes(RequestPositions().frame(serverVersion: 176))
        try channel.writeInbound(Wire.buffer(bytes))

        guard case let .hello(hello) = try channel.readInbound(as: TWSServerInbound.self) else {
            Issue.record("first inbound is not the hello")
            return
        }
        #expect(hello == ClientHello(versions: 157...178))
        var frames: [ClientMessage] = []
        while let inbound = try channel.readInbound(as: TWSServerInbound.self) {
            guard case let .frame(frame) = inbound else { Issue.record("a second hello"); continue }
            frames.append(try ClientMessage.decode(frame, serverVersion: 176))
        }
        #expect(frames == [.startAPI(StartAPI(clientID: 1)), .requestPositions(RequestPositions())])
        #expect(try channel.finish().isClean)
    }

    @Test func serverDecoderWithHelloSplitAcrossReads() throws {
        let bytes = Self.helloBytes("v157..178") + Wire.bytes(StartAPI(clientID: 3).frame(serverVersion: 176))
        // Every split point, including inside "API\0", inside the length and inside the version text.
        for cut in 1..<bytes.count {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSServerDecoder()))
            try channel.writeInbound(Wire.buffer(bytes[..<cut]))
            try channel.writeInbound(Wire.buffer(bytes[cut...]))
            guard case let .hello(hello) = try channel.readInbound(as: TWSServerInbound.self) else {
                Issue.record("no hello when split at \(cut)")
                continue
            }
            #expect(hello.versions == 157...178)
            guard case let .frame(frame) = try channel.readInbound(as: TWSServerInbound.self) else {
                Issue.record("no frame when split at \(cut)")
                continue
            }
            #expect(try ClientMessage.decode(frame, serverVersion: 176) == .startAPI(StartAPI(clientID: 3)))
            #expect(try channel.readInbound(as: TWSServerInbound.self) == nil)
            #expect(try channel.finish().isClean)
        }
    }

    @Test func serverDecoderOneByteAtATime() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSServerDecoder()))
        let (stream, payloads) = FramingTests.sampleStream(count: 30)
        let bytes = Self.helloBytes("v100..177 +PACEAPI") + stream
        var hellos: [ClientHello] = []
        var frames: [[UInt8]] = []
        for byte in bytes {
            try channel.writeInbound(Wire.buffer([byte]))
            while let inbound = try channel.readInbound(as: TWSServerInbound.self) {
                switch inbound {
                case let .hello(h): hellos.append(h)
                case let .frame(f): frames.append(Wire.bytes(f))
                }
            }
        }
        #expect(hellos == [ClientHello(versions: 100...177, options: "+PACEAPI")])
        #expect(frames == payloads)
        #expect(try channel.finish().isClean)
    }

    @Test func serverDecoderAcceptsATrailingSpace() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSServerDecoder()))
        try channel.writeInbound(Wire.buffer(Self.helloBytes("v176..176 ")))
        guard case let .hello(hello) = try channel.readInbound(as: TWSServerInbound.self) else {
            Issue.record("no hello")
            return
        }
        #expect(hello.versions == 176...176)
        #expect(hello.options == "")
        #expect(try channel.finish().isClean)
    }

    @Test func serverDecoderRefusesAnythingButAHello() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TWSServerDecoder()))
        #expect(throws: TWSProtocolError.self) {
            try channel.writeInbound(Wire.buffer(Array("GET / HTTP/1.1\r\n\r\n".utf8)))
        }
        #expect(try channel.readInbound(as: TWSServerInbound.self) == nil)
        _ = try? channel.finish()
    }
}

extension TWSServerInbound: Equatable {
    public static func == (lhs: TWSServerInbound, rhs: TWSServerInbound) -> Bool {
        switch (lhs, rhs) {
        case let (.hello(a), .hello(b)): a == b
        case let (.frame(a), .frame(b)): a == b
        default: false
        }
    }
}
