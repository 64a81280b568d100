import Foundation
import XCTest
@testable import DingSyncMapping

final class ConversionTests: XCTestCase {
    func testInt() throws {
        let accepted: [(String, Int64)] = [
            ("0", 0), ("-3", -3), ("+7", 7), ("1,200", 1200), ("10.0", 10), ("10.000", 10), ("-0", 0),
            ("007", 7), ("1,234,567", 1_234_567), ("9223372036854775807", .max),
            ("-9223372036854775808", .min), ("9,223,372,036,854,775,807", .max),
        ]
        for (text, want) in accepted {
            XCTAssertEqual(try Conversions.int(text), want, text)
        }
        let rejected = ["10.5", "0.1", "abc", "", " 12", "12 ", "1e3", "1,20", "12,", ",12", "1,2345",
                        "--1", "+-1", "9223372036854775808", "-9223372036854775809", "99999999999999999999",
                        "1.2.3", ".", "-", "0x10", "１２", "12元"]
        for text in rejected {
            XCTAssertThrowsError(try Conversions.int(text), text)
        }
        XCTAssertThrowsError(try Conversions.int("10.5")) { e in
            XCTAssertEqual((e as? ConversionError)?.reason, "not an integer: it has a fractional part")
        }
        XCTAssertThrowsError(try Conversions.int("9223372036854775808")) { e in
            XCTAssertEqual((e as? ConversionError)?.reason, "integer out of range")
        }
    }

    func testDecimal() throws {
        let accepted: [(String, String)] = [
            ("1,200.50", "1200.50"), ("35662.88", "35662.88"), ("1200", "1200"), (".5", "0.5"),
            ("007", "7"), ("-0", "0"), ("-0.00", "0.00"), ("+1.5", "1.5"), ("-.5", "-0.5"), ("0", "0"),
            ("0.10", "0.10"), ("-1,000,000.001", "-1000000.001"), ("000.5", "0.5"), ("12,345", "12345"),
            ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
        ]
        for (text, want) in accepted {
            XCTAssertEqual(try Conversions.decimal(text), want, text)
        }
        let rejected = ["abc", "1e5", "1.2.3", " 12", "12 ", "", "5.", "-", "+", ".", "1,20", "1,2345.6",
                        "12,,345", "1.2,3", "NaN", "Infinity", "¥12", "12元", "1 200",
                        String(repeating: "9", count: 66)]
        for text in rejected {
            XCTAssertThrowsError(try Conversions.decimal(text), text)
        }
    }

    func testDatetimeFormsAndZones() throws {
        XCTAssertEqual(try Conversions.datetime("2026-06-01 08:00:00", timeZone: shanghai), dt(2026, 6, 1, 8))
        XCTAssertEqual(try Conversions.datetime("2026-06-01 08:00:00", timeZone: utc), dt(2026, 6, 1, 0))
        XCTAssertEqual(try Conversions.datetime("2026-06-01 08:05", timeZone: shanghai), dt(2026, 6, 1, 8, 5))
        // A date-only string is Beijing midnight, which is the evening before in UTC.
        XCTAssertEqual(try Conversions.datetime("2026-06-01", timeZone: shanghai), dt(2026, 6, 1))
        XCTAssertEqual(try Conversions.datetime("2026-06-01", timeZone: utc), dt(2026, 5, 31, 16))
        // June: New York is on EDT (UTC-4), 12 hours behind Beijing.
        XCTAssertEqual(try Conversions.datetime("2026-06-01 08:00:00", timeZone: newYork), dt(2026, 5, 31, 20))
        // Epoch ms: an instant. 1608535826000 = 2020-12-21 07:30:26 UTC.
        XCTAssertEqual(try Conversions.datetime("1608535826000", timeZone: utc), dt(2020, 12, 21, 7, 30, 26))
        XCTAssertEqual(try Conversions.datetime("1608535826999", timeZone: shanghai), dt(2020, 12, 21, 15, 30, 26))
        XCTAssertEqual(try Conversions.datetime("10000000000", timeZone: utc), dt(1970, 4, 26, 17, 46, 40))
    }

    func testDatetimeRejects() {
        let rejected = ["2026-13-01 00:00:00", "2026-00-10", "2026-04-31", "2023-02-29", "1900-02-29",
                        "2026-06-01 24:00:00", "2026-06-01 23:60", "2026-06-01 23:59:60", "2026-6-1",
                        "2026/06/01", "2026-06-01T08:00:00", "2026-06-01 08", "2026-06-01 08:00:00.123",
                        " 2026-06-01", "2026-06-01 ", "2026-06", "1234567890", "abc", "0000-01-01",
                        "1608535826000.5", "-1608535826000", "9999999999999999", "99999999999999999999"]
        for text in rejected {
            XCTAssertThrowsError(try Conversions.datetime(text, timeZone: shanghai), text)
            XCTAssertThrowsError(try Conversions.date(text, timeZone: shanghai), text)
        }
        XCTAssertThrowsError(try Conversions.datetime("2023-02-29", timeZone: shanghai)) { e in
            XCTAssertEqual((e as? ConversionError)?.reason, "not a date-time: day 29 out of range for 2023-02 (28 days)")
        }
    }

    func testLeapYears() throws {
        for year in [2000, 2024, 2028, 1600, 2400] {
            XCTAssertEqual(try Conversions.date("\(year)-02-29", timeZone: utc), dt(year, 2, 29), "\(year)")
        }
        for year in [1900, 2023, 2100, 2200] {
            XCTAssertThrowsError(try Conversions.date("\(year)-02-29", timeZone: utc), "\(year)")
        }
        XCTAssertEqual(try Conversions.date("2024-12-31", timeZone: utc), dt(2024, 12, 31))
        // Crossing into a leap day by zone conversion.
        XCTAssertEqual(try Conversions.datetime("2024-03-01 07:59:59", timeZone: utc), dt(2024, 2, 29, 23, 59, 59))
    }

    func testDate() throws {
        // A date as written keeps its date whatever the zone.
        XCTAssertEqual(try Conversions.date("2026-06-01", timeZone: newYork), dt(2026, 6, 1))
        // A datetime is converted first, then cut to its date.
        XCTAssertEqual(try Conversions.date("2026-06-01 07:59:59", timeZone: utc), dt(2026, 5, 31))
        XCTAssertEqual(try Conversions.date("2026-06-01 08:00", timeZone: utc), dt(2026, 6, 1))
        XCTAssertEqual(try Conversions.date("2026-06-01 08:00", timeZone: shanghai), dt(2026, 6, 1))
        XCTAssertEqual(try Conversions.date("1608535826000", timeZone: newYork), dt(2020, 12, 21))
        XCTAssertEqual(try Conversions.date("1608480000000", timeZone: newYork), dt(2020, 12, 20))
        XCTAssertEqual(MappedValue.date(try Conversions.date("2026-06-01 20:00:00", timeZone: shanghai)).text, "2026-06-01")
    }

    func testJSON() throws {
        let accepted = [#"["A","B"]"#, #"{"a":[1,2.5,-3e-2,true,false,null],"b":{"c":"\u00e9\n\"\\"}}"#,
                        "[]", "{}", " [ 1 , 2 ] ", "\"text\"", "0", "-0.5E+10", "true",
                        #"[{"rowValue":[{"label":"品名","value":"螺丝 😀"}]}]"#]
        for text in accepted {
            XCTAssertEqual(try Conversions.json(text), text, text)  // kept exactly, spacing included
        }
        let rejected = ["", "[1,]", "{'a':1}", #"{"a":1,}"#, "[1 2]", "01", "1.", ".5", "+1", "NaN",
                        "[", #"{"a"}"#, #"{"a":}"#, "tru", "nul", "[1]x", #""\x""#, "\"a\tb\"",
                        #""\u12G4""#, "\"open", "abc", "{\"a\":1}}",
                        String(repeating: "[", count: 600) + String(repeating: "]", count: 600)]
        for text in rejected {
            XCTAssertThrowsError(try Conversions.json(text), text)
        }
        XCTAssertNoThrow(try Conversions.json(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    func testConvertDispatch() throws {
        XCTAssertEqual(try Conversions.convert(" x ", to: .string, timeZone: utc), .string(" x "))
        XCTAssertEqual(try Conversions.convert("1,000.50", to: .decimal, timeZone: utc).jsonFragment, "\"1000.50\"")
        XCTAssertEqual(try Conversions.convert("1,000", to: .int, timeZone: utc).jsonFragment, "1000")
        XCTAssertEqual(try Conversions.convert("2026-06-01 08:00:00", to: .datetime, timeZone: utc).jsonFragment,
                       "\"2026-06-01 00:00:00\"")
    }
}
