import CCurl
import Foundation

/// curl_global_init must run once before any handle exists, and is not thread-safe itself:
/// a Swift global's lazy initialiser gives exactly that.
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
var curlReady: Bool { curlGlobalInit == CURLE_OK }

/// Accumulates one response; the C callbacks reach it through their userdata pointer.
private final class ResponseSink {
    var body = Data()
    var headers: [String: String] = [:]
}

private let writeBody: dingsync_curl_data_cb = { ptr, size, count, userdata in
    let n = size * count
    guard let ptr, let userdata else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    sink.body.append(UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: n)
    return n
}

private let writeHeader: dingsync_curl_data_cb = { ptr, size, count, userdata in
    let n = size * count
    guard let ptr, let userdata else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        sink.headers.removeAll()  // a new response (after 100-continue or a redirect) starts over
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        sink.headers[name] = value
    }
    return n
}

/// An HTTP client over one curl easy handle. Reusing the handle keeps connections alive
/// between calls. Not Sendable on purpose: one client per thread.
public final class CurlHTTPClient: HTTPTransport {
    private let handle: UnsafeMutableRawPointer
    private let connectTimeoutMs: Int
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    public init(connectTimeoutMs: Int = 5_000) throws(HTTPError) {
        guard curlReady, let h = curl_easy_init() else {
            throw HTTPError(kind: .other, code: -1, message: "libcurl could not be initialised", url: "")
        }
        handle = h
        self.connectTimeoutMs = connectTimeoutMs
    }

    deinit { curl_easy_cleanup(handle) }

    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        curl_easy_reset(handle)  // keeps the connection cache, clears the previous request's options
        let sink = ResponseSink()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // An empty Expect stops curl from waiting for 100-continue on larger POST bodies.
        headerList = curl_slist_append(headerList, "Expect:")
        defer { curl_slist_free_all(headerList) }

        let body = request.body ?? Data()
        let code: CURLcode = body.withUnsafeBytes { raw -> CURLcode in
            let userdata = Unmanaged.passUnretained(sink).toOpaque()
            return errorBuffer.withUnsafeMutableBufferPointer { errbuf -> CURLcode in
                errbuf[0] = 0
                var setup: [CURLcode] = [
                    dingsync_curl_setopt_string(handle, CURLOPT_URL, request.url),
                    dingsync_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errbuf.baseAddress),
                    dingsync_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
                    dingsync_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMs),
                    dingsync_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.timeoutMs),
                    dingsync_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1),
                    dingsync_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2),
                    dingsync_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1),
                    dingsync_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, ""),
                    dingsync_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList),
                    dingsync_curl_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, writeBody),
                    dingsync_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, userdata),
                    dingsync_curl_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, writeHeader),
                    dingsync_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, userdata),
                ]
                if request.method == .post {
                    setup.append(dingsync_curl_setopt_long(handle, CURLOPT_POST, 1))
                    setup.append(dingsync_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, raw.count))
                    // COPYPOSTFIELDS copies, so the body need not outlive this closure.
                    setup.append(dingsync_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start))))
                }
                if let bad = setup.first(where: { $0 != CURLE_OK }) { return bad }
                return curl_easy_perform(handle)
            }
        }
        guard code == CURLE_OK else { throw error(code, request) }
        var status = 0
        dingsync_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// The one place a CURLcode becomes a Swift error.
    private func error(_ code: CURLcode, _ request: HTTPRequest) -> HTTPError {
        let detail = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        message = Self.stripQueries(message)
        return HTTPError(kind: Self.kind(of: code), code: Int(code.rawValue), message: message, url: request.url)
    }

    /// The one classification of a CURLcode, shared with `CurlSocket`.
    static func kind(of code: CURLcode) -> HTTPError.Kind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .connect
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM: return .tls
        case CURLE_SSL_CONNECT_ERROR: return .connect
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING,
             CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING:
            return .transfer
        default: return .other
        }
    }

    /// curl sometimes quotes the URL it was given; never let a query string through.
    static func stripQueries(_ s: String) -> String {
        guard s.contains("?") else { return s }
        return s.split(separator: " ", omittingEmptySubsequences: false).map { word in
            guard let q = word.firstIndex(of: "?") else { return String(word) }
            return String(word[..<q]) + "?…"
        }.joined(separator: " ")
    }
}
