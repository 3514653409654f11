import CReadWatch
import Testing

/// The frame-header walk behind the 1002 close (clws_frames_*), fed by hand: no socket, no tap.
@Suite(.serialized) struct FrameWatchTests {
    static let fd: Int32 = 900_001

    static func frame(_ payload: Int, masked: Bool = true, opcode: UInt8 = 0x1) -> [UInt8] {
        let bit: UInt8 = masked ? 0x80 : 0
        var bytes: [UInt8] = [0x80 | opcode]
        switch payload {
        case ..<126: bytes.append(bit | UInt8(payload))
        case ..<65_536: bytes += [bit | 126, UInt8(payload >> 8), UInt8(payload & 0xff)]
        default: bytes += [bit | 127] + (0..<8).reversed().map { UInt8((payload >> ($0 * 8)) & 0xff) }
        }
        if masked { bytes += [1, 2, 3, 4] }
        // Payload bytes that look like headers of unmasked frames: only the lengths may decide what is a header.
        return bytes + [UInt8](repeating: 0x01, count: payload)
    }

    static func scan(_ bytes: [UInt8], pieces: Int) {
        let size = max(1, bytes.count / pieces)
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + size)
            Array(bytes[at..<end]).withUnsafeBufferPointer { clws_frames_scan(fd, $0.baseAddress, $0.count) }
            at = end
        }
    }

    @Test(arguments: [1, 3, 7, 1_000_000])
    func maskedFramesOfEveryLengthPassWhateverTheReads(pieces: Int) {
        clws_frames_watch(Self.fd)
        defer { clws_frames_unwatch(Self.fd) }
        let stream = Self.frame(5) + Self.frame(0) + Self.frame(300) + Self.frame(70_000) + Self.frame(0, opcode: 0x9) + Self.frame(125)
        Self.scan(stream, pieces: pieces)
        #expect(clws_frames_unmasked(Self.fd) == 0)
        Self.scan(Self.frame(10, masked: false), pieces: pieces)
        #expect(clws_frames_unmasked(Self.fd) != 0)
    }

    @Test func anUnwatchedDescriptorIsNeverFlaggedAndWatchingAgainStartsClean() {
        Self.scan(Self.frame(3, masked: false), pieces: 1)
        #expect(clws_frames_unmasked(Self.fd) == 0)
        clws_frames_watch(Self.fd)
        Self.scan(Self.frame(3, masked: false), pieces: 1)
        #expect(clws_frames_unmasked(Self.fd) != 0)
        clws_frames_watch(Self.fd)
        #expect(clws_frames_unmasked(Self.fd) == 0)
        clws_frames_unwatch(Self.fd)
        #expect(clws_frames_unmasked(-1) == 0 && clws_frames_unmasked(Int32.max) == 0)
    }
}
