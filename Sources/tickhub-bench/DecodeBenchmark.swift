import ArgumentParser
import Foundation
import NIOCore
import TWSProtocol

/// Decode throughput of a tick-heavy TWS stream: framing plus field decoding, the work a client does per tick.
struct DecodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode", abstract: "Decode throughput of a tick-heavy TWS stream, in messages per second.")

    @Option(help: "Messages in the stream.") var messages = 1_000_000
    @Option(help: "Timed runs; the median is reported.") var runs = 5
    @Option(help: "Bytes handed to the decoder per read, as a socket would.") var readSize = 16_384

    func run() throws {
        let stream = Self.tickStream(count: messages)
        var rates: [Double] = []
        var decoded = 0
        for _ in 0..<runs {
            let start = ContinuousClock.now
            decoded = try Self.decodeAll(stream, readSize: readSize)
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            rates.append(Double(decoded) / seconds)
        }
        let result: [String: Any] = [
            "benchmark": "tws-decode", "messages": decoded, "bytes": stream.readableBytes, "runs": runs,
            "messagesPerSecond": Int(median(rates)), "allRuns": rates.map { Int($0) },
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// What a busy subscription looks like: bid and ask updates, then trades with volume and timestamp.
    static func tickStream(count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count * 32)
        var price = 230.10
        for i in 0..<count {
            let requestID = 1000 + i % 50
            switch i % 6 {
            case 0, 1:
                TickPrice(requestID: requestID, tickType: TickType.bid, price: price, size: 300, attributes: 1)
                    .encode(into: &buffer, serverVersion: 176)
            case 2, 3:
                TickPrice(requestID: requestID, tickType: TickType.ask, price: price + 0.02, size: 200, attributes: 1)
                    .encode(into: &buffer, serverVersion: 176)
            case 4:
                TickSize(requestID: requestID, tickType: TickType.volume, size: Double(1_000_000 + i))
                    .encode(into: &buffer, serverVersion: 176)
            default:
                TickString(requestID: requestID, tickType: TickType.lastTimestamp, value: "1775174157")
                    .encode(into: &buffer, serverVersion: 176)
                price += i % 12 == 5 ? 0.01 : -0.01
            }
        }
        return buffer
    }

    static func decodeAll(_ stream: ByteBuffer, readSize: Int) throws -> Int {
        var source = stream
        var pending = ByteBuffer()
        var count = 0
        while source.readableBytes > 0 {
            var chunk = source.readSlice(length: min(readSize, source.readableBytes))!
            pending.writeBuffer(&chunk)
            while let frame = try TWSFraming.nextFrame(from: &pending) {
                if case .unknown = try ServerMessage.decode(frame, serverVersion: 176) { continue }
                count += 1
            }
            pending.discardReadBytes()
        }
        return count
    }
}
