import NIOCore
import Testing
import TWSProtocol

/// The client's unframed hello, the server's two-field reply, and version negotiation.
@Suite("Handshake")
struct HandshakeTests {
    static func decode(_ bytes: [UInt8]) throws -> (hello: ClientHello?, left: Int) {
        var buffer = Wire.buffer(bytes)
        let hello = try ClientHello.decode(from: &buffer)
        return (hello, buffer.readableBytes)
    }

    @Test func defaultHelloIsIbAsyncs() {
        #expect(ClientHello().versions == 157...178)
        #expect(ServerVersion.clientRange == 157...178)
        #expect(ClientHello().options == "")
    }

    @Test func encodeDecode() throws {
        for hello in [ClientHello(), ClientHello(versions: 100...200, options: "+PACEAPI"), ClientHello(versions: 176...176)] {
            var buffer = ByteBuffer()
            hello.encode(into: &buffer)
            buffer.writeBytes([0, 0, 0, 5])  // the start of the next frame stays put
            #expect(try ClientHello.decode(from: &buffer) == hello)
            #expect(Wire.bytes(buffer) == [0, 0, 0, 5])
        }
    }

    @Test func incompleteHelloNeedsMoreAndConsumesNothing() throws {
        let bytes = ChannelDecoderTests.helloBytes("v157..178")
        for cut in 0..<bytes.count {
            let (hello, left) = try Self.decode(Array(bytes[..<cut]))
            #expect(hello == nil)
            #expect(left == cut)
        }
        #expect(try Self.decode(bytes).hello == ClientHello(versions: 157...178))
    }

    @Test func variantsClientsSend() throws {
        let cases: [(String, ClientHello)] = [
            ("v157..178", ClientHello(versions: 157...178)),
            ("v176..176 ", ClientHello(versions: 176...176)),
            ("v100..177 +PACEAPI", ClientHello(versions: 100...177, options: "+PACEAPI")),
            ("v176", ClientHello(versions: 176...176)),
            ("  v157..178  +PACEAPI  ", ClientHello(versions: 157...178, options: "+PACEAPI")),
        ]
        for (text, expected) in cases {
            #expect(try Self.decode(ChannelDecoderTests.helloBytes(text)).hello == expected, "\(text)")
        }
    }

    @Test func badHellos() throws {
        // Not starting with API\0: refused as soon as the first differing byte arrives.
        #expect(throws: TWSProtocolError.self) { try Self.decode(Array("GET / HTTP/1.1\r\n".utf8)) }
        #expect(throws: TWSProtocolError.self) { try Self.decode(Array("AX".utf8)) }
        #expect(throws: TWSProtocolError.self) { try Self.decode([0, 0, 0, 8] + Array("71\u{0}2\u{0}1\u{0}\u{0}".utf8)) }
        // A version string far longer than any hello.
        #expect(throws: TWSProtocolError.self) { try Self.decode(Array("API\0".utf8) + [0, 0, 0x10, 0]) }
        // Malformed version text.
        for text in ["157..178", "vabc", "v178..157", "v", "v0..5", "v1..2..3", "", "x176"] {
            #expect(throws: TWSProtocolError.self, "\(text)") {
                try Self.decode(ChannelDecoderTests.helloBytes(text))
            }
        }
        do {
            _ = try Self.decode(Array("HELLO".utf8))
            Issue.record("HELLO was accepted")
        } catch let error as TWSProtocolError {
            guard case .badHello = error else { Issue.record("expected badHello, got \(error)"); return }
        }
    }

    @Test func serverHelloEncodeDecode() throws {
        let hello = ServerHello(serverVersion: 176, connectionTime: "20231021 13:28:15 EST")
        var buffer = ByteBuffer()
        hello.encode(into: &buffer)
        #expect(Wire.bytes(buffer) == [0, 0, 0, 0x1A] + Array("176\u{0}20231021 13:28:15 EST\u{0}".utf8))
        let frame = try #require(try TWSFraming.nextFrame(from: &buffer))
        #expect(ServerHello(frame: frame) == hello)
        // A long Java zone name is kept as is.
        #expect(ServerHello(frame: Wire.payload("200|20260405 21:49:26 Central European Summer Time|"))
            == ServerHello(serverVersion: 200, connectionTime: "20260405 21:49:26 Central European Summer Time"))
    }

    @Test func serverHelloIsExactlyTwoFields() {
        #expect(ServerHello(frame: Wire.payload("15|1|DU5509097|")) == nil)
        #expect(ServerHello(frame: Wire.payload("176|")) == nil)
        #expect(ServerHello(frame: Wire.payload("abc|20231021 13:28:15 EST|")) == nil)
    }

    @Test func negotiate() {
        #expect(ServerHello.negotiate(client: 157...178, serverMaximum: 176) == 176)
        #expect(ServerHello.negotiate(client: 157...178, serverMaximum: 200) == 178)
        #expect(ServerHello.negotiate(client: 157...178, serverMaximum: 178) == 178)
        #expect(ServerHello.negotiate(client: 157...178, serverMaximum: 157) == 157)
        #expect(ServerHello.negotiate(client: 157...178, serverMaximum: 156) == nil)
        #expect(ServerHello.negotiate(client: 157...178, serverMaximum: 150) == nil)
    }
}
