import Testing

@testable import ScaleOut

@Suite struct EpochGateTests {
    @Test func onlyTheNewestEpochSeenIsLetThrough() {
        var gate = EpochGate()
        do { let got = gate.admit(headers: EpochGate.headers(3)); #expect(got) }
        do { let got = gate.admit(3); #expect(got) }
        do { let got = gate.admit(2); #expect(!got, "a deposed leader's message came through") }
        do { let got = gate.admit(headers: ["Tickhub-Epoch": "5"]); #expect(got) }
        do { let got = gate.admit(headers: EpochGate.headers(3)); #expect(!got) }
        do { let got = gate.admit(headers: [:]); #expect(!got, "a message without an epoch came through") }
        do { let got = gate.admit(headers: ["Tickhub-Epoch": "x5"]); #expect(!got) }
        #expect(gate.newest == 5)
        #expect(EpochGate.epoch(in: ["Tickhub-Epoch": "18446744073709551615"]) == .max)
    }
}
