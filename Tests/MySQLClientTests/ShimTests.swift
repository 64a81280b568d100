import Foundation
import XCTest

/// The CMySQL shim on its own, as plain C against whichever client headers mysqlclient.pc
/// points at: Swift's importer tolerates things a C compiler rejects (an undeclared function
/// in a static inline body only fails when called), so the compiler is the honest check.
final class ShimTests: XCTestCase {
    func testShimCompilesAsCAgainstTheInstalledHeaders() throws {
        let cc = try shell("cc -fsyntax-only -Werror=implicit-function-declaration $(pkg-config --cflags mysqlclient) -x c Sources/CMySQL/shim.h",
                           in: repoRoot)
        XCTAssertEqual(cc.status, 0, cc.err)
    }

    /// The same check the Oracle script runs (every wrapper called, no MYSQL_OPT_RECONNECT),
    /// here against the installed headers, so the script itself stays in working order.
    func testEveryWrapperCompilesThroughTheHeaderCheckScript() throws {
        let dir = try XCTUnwrap(mysqlIncludeDirs().first, "pkg-config gave no include directory for mysqlclient")
        let run = try shell("scripts/check-oracle-headers.sh '\(dir)' 2>&1", in: repoRoot)
        XCTAssertEqual(run.status, 0, run.out)
        XCTAssertTrue(run.out.contains("shim.h compiles against"), run.out)
    }
}
