import NATSLink
import NATSTestSupport
import Relay
import ScaleOut
import Testing

@Suite("Ingest election")
struct IngestElectionTests {
    @Test("placeholder")
    func placeholder() {}
}
