import FuzzSupport
import NIOCore
import NIOEmbedded

/// Drives a channel pipeline as a socket would: connected, `stream` in reads of the given sizes, then EOF.
public enum Pipeline {
    public static func run(_ handlers: [ChannelHandler], _ stream: [UInt8], reads: [Int]) {
        let channel = EmbeddedChannel()
        do {
            try channel.pipeline.syncOperations.addHandlers(handlers)
            channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 7497), promise: nil)
        } catch {
            violated("cannot set up the pipeline: \(error)")
        }
        var offset = 0
        for size in reads {
            do {
                try channel.writeInbound(ByteBuffer(bytes: stream[offset..<(offset + size)]))
            } catch {
                violated("an error reached the end of the pipeline: \(error)")
            }
            offset += size
        }
        do {
            _ = try channel.finish(acceptAlreadyClosed: true)
        } catch {
            violated("the pipeline did not close cleanly: \(error)")
        }
    }
}
