import CLwsShim
import Testing
@testable import LwsHost

/// The allocator lws is given (clws_header_pool.c), called as lws calls it: header buffers from their own region,
/// everything else from the C library.
@Suite(.serialized) struct HeaderPoolTests {
    static let size = Int(LwsRequestReader.headerBufferBytes)

    init() {
        #expect(clws_header_pool_install(Self.size, LwsRequestReader.headerBufferSlots, LwsRequestReader.headerBuffersKept) != 0)
    }

    func lend() -> UnsafeMutableRawPointer? { clws_header_pool_realloc(nil, Self.size, "ah data") }
    func free(_ pointer: UnsafeMutableRawPointer?) { _ = clws_header_pool_realloc(pointer, 0, "lws_free") }

    @Test func headerBuffersComeFromTheRegionAndAreReusedOnceFree() throws {
        let first = try #require(lend())
        #expect(clws_header_pool_owns(first) != 0)
        // The whole buffer is usable: lws writes headers up to its end.
        first.initializeMemory(as: UInt8.self, repeating: 0x5a, count: Self.size)
        let lent = clws_header_pool_figures().lent
        free(first)
        #expect(clws_header_pool_figures().lent == lent - 1)
        let again = try #require(lend())
        #expect(again == first, "the buffer freed last, its pages still in place, is lent first")
        free(again)
    }

    @Test func otherAllocationsAreTheCLibrarys() throws {
        let connection = try #require(clws_header_pool_realloc(nil, 1_200, "wsi"))
        #expect(clws_header_pool_owns(connection) == 0)
        let grown = try #require(clws_header_pool_realloc(connection, 5_000, "wsi"))
        #expect(clws_header_pool_owns(grown) == 0)
        free(grown)
        // A header buffer of another size than the region's slots is not the region's either.
        let other = try #require(clws_header_pool_realloc(nil, 1_024, "ah data"))
        #expect(clws_header_pool_owns(other) == 0)
        free(other)
    }

    @Test func freeBuffersBeyondTheKeptFewGiveTheirPagesBack() throws {
        let kept = LwsRequestReader.headerBuffersKept
        let released = clws_header_pool_figures().released
        let buffers = try (0..<(kept + 5)).map { _ in try #require(lend()) }
        #expect(Set(buffers).count == buffers.count)
        for buffer in buffers {
            buffer.storeBytes(of: 1, as: UInt64.self)
            free(buffer)
        }
        #expect(clws_header_pool_figures().released == released + 5)
        // The kept ones come back as they were; the released ones as fresh zeroed pages, not garbage or a fault.
        let reused = try (0..<(kept + 5)).map { _ in try #require(lend()) }
        #expect(reused.allSatisfy { clws_header_pool_owns($0) != 0 })
        #expect(reused.filter { $0.load(as: UInt64.self) == 0 }.count == 5)
        #expect(reused.filter { $0.load(as: UInt64.self) == 1 }.count == kept)
        reused.forEach(free)
    }
}
