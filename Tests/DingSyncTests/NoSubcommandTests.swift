import XCTest

final class NoSubcommandTests: XCTestCase {
    /// A cron line that lost its subcommand must fail loudly, not exit 0 having synced nothing.
    func testBareDingsyncPrintsHelpOnStderrAndExits64() throws {
        let r = try runDingsync([])
        XCTAssertEqual(r.code, 64)
        XCTAssertTrue(r.stderr.contains("USAGE: dingsync"), r.stderr)
        XCTAssertTrue(r.stderr.contains("backfill"), "the help lists the subcommands: \(r.stderr)")
        XCTAssertEqual(r.stdout, "", "help goes to stderr, stdout stays for data")
    }
}
