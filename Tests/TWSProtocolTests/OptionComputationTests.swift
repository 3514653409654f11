import NIOCore
import Testing
import TWSProtocol

/// tickOptionComputation (21): both layouts, the "not computed" markers, and what TWS really sent.
@Suite("Option computation")
struct OptionComputationTests {
    static let model = TickOptionComputation(
        requestID: 7, tickType: TickType.modelOptionComputation, tickAttrib: 0, impliedVolatility: 0.1587,
        delta: 0.4669, optionPrice: 29.61, pvDividend: 0, gamma: 0.00438, vega: 2.274, theta: -0.0729,
        underlyingPrice: 560.41)

    static let notComputed = TickOptionComputation(
        requestID: 7, tickType: TickType.bidOptionComputation, tickAttrib: 1, impliedVolatility: nil, delta: nil,
        optionPrice: 0.05, pvDividend: nil, gamma: nil, vega: nil, theta: nil, underlyingPrice: 560.41)

    static func decode(_ payload: ByteBuffer, at serverVersion: Int) throws -> TickOptionComputation? {
        guard case let .tickOptionComputation(m) = try ServerMessage.decode(payload, serverVersion: serverVersion) else {
            return nil
        }
        return m
    }

    @Test(arguments: [155, 156, 157, 176, 200])
    func roundTripsAtEachLayout(serverVersion: Int) throws {
        for message in [Self.model, Self.notComputed] {
            let payload = Wire.payload(of: message, serverVersion: serverVersion)
            var expected = message
            // Before 156 the attribute does not travel: it reads as 0.
            if serverVersion < ServerVersion.priceBasedVolatility { expected.tickAttrib = 0 }
            #expect(try Self.decode(payload, at: serverVersion) == expected)
        }
    }

    @Test func fromPriceBasedVolatilityTheAttributeReplacesTheVersion() {
        #expect(Wire.pipes(Wire.payload(of: Self.model, serverVersion: 176))
            == "21|7|13|0|0.1587|0.4669|29.61|0.0|0.00438|2.274|-0.0729|560.41|")
        #expect(Wire.pipes(Wire.payload(of: Self.model, serverVersion: 155))
            == "21|6|7|13|0.1587|0.4669|29.61|0.0|0.00438|2.274|-0.0729|560.41|")
    }

    @Test func absentValuesGoOutAsTheMarkersClientsParse() {
        // ib_async float()s every field: an empty one would stop its decoder.
        #expect(Wire.pipes(Wire.payload(of: Self.notComputed, serverVersion: 176))
            == "21|7|10|1|-1.0|-2.0|0.05|-1.0|-2.0|-2.0|-2.0|560.41|")
    }

    @Test func markersAndTheMaxDoubleSentinelReadAsNil() throws {
        // As TWS 10.x sent it (the ibkr-go recording, server version 200).
        let recorded = try #require(try Self.decode(Wire.payload("21|5|10|0|-1|-2|-1|0.0|-2|-2|-2|-1|"), at: 200))
        #expect(recorded == TickOptionComputation(
            requestID: 5, tickType: 10, tickAttrib: 0, impliedVolatility: nil, delta: nil, optionPrice: nil,
            pvDividend: 0, gamma: nil, vega: nil, theta: nil, underlyingPrice: nil))
        let unset = try #require(try Self.decode(
            Wire.payload("21|5|13|0|1.7976931348623157E308|0.5|||-2|-2|-2|100.0|"), at: 176))
        #expect(unset.impliedVolatility == nil && unset.optionPrice == nil && unset.pvDividend == nil)
        #expect(unset.delta == 0.5 && unset.underlyingPrice == 100)
    }

    @Test func recordedCustomComputationDecodes() throws {
        let m = try #require(try Self.decode(Wire.payload(
            "21|6|53|0|0.3|0.5579497967180902|2.6596901785543805|-1|0.0700889483259586|0.07475592510994344|-0.7568548883674484|293.23|"),
            at: 200))
        #expect(m.requestID == 6 && m.tickType == 53 && m.impliedVolatility == 0.3)
        #expect(m.delta == 0.5579497967180902 && m.pvDividend == nil && m.theta == -0.7568548883674484)
        #expect(m.underlyingPrice == 293.23)
    }

    @Test func aTruncatedComputationIsAnError() {
        #expect(throws: TWSProtocolError.self) {
            _ = try ServerMessage.decode(Wire.payload("21|5|13|0|0.2|0.5|"), serverVersion: 176)
        }
    }
}
