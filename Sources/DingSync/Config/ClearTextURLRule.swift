import Foundation

/// Tokens, app secrets and robot signatures travel in URLs and bodies, so plain `http://` is
/// accepted only where nothing leaves the machine (a local simulator on loopback).
enum ClearTextURLRule {
    /// The problem with `url` as an endpoint, or nil when it is acceptable.
    static func problem(_ url: String) -> String? {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") { return nil }
        guard lower.hasPrefix("http://") else { return "must start with https:// (or http:// for a loopback host)" }
        let host = URLComponents(string: url)?.host ?? ""
        if isLoopback(host) { return nil }
        return "http:// is allowed only for a loopback host (127.0.0.0/8, ::1, localhost), found \(host.isEmpty ? "no host" : host): use https://"
    }

    static func isLoopback(_ rawHost: String) -> Bool {
        let host = rawHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }
}
