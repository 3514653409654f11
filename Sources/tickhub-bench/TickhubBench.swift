import ArgumentParser
import TickhubProcess

@main
struct TickhubBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickhub-bench",
        abstract: "Tickhub's load tester and micro-benchmarks. Results are JSON on stdout; see bench/README.md.",
        version: BuildInfo.description,
        subcommands: [DecodeBenchmark.self, SimulatorThroughput.self, IBKRRecovery.self, FanoutLoad.self, AlertsBenchmark.self])
}
