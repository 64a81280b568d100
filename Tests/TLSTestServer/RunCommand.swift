import Foundation

/// Runs a program to its end: its exit status, stdout and stderr. For the test targets' helper
/// scripts and tools (the TLS server's script, pkg-config, cc), so that each does not spawn
/// processes its own way.
public func runCommand(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       in directory: URL? = nil) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.currentDirectoryURL = directory
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
