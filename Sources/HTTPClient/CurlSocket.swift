import CCurl
import Foundation

/// A raw byte stream to a server, TCP or TLS, opened by libcurl in CONNECT_ONLY mode: curl
/// does the connect, the TLS handshake and the certificate checks against the system's CAs
/// (exactly as for every HTTPS call of the tool), then hands the stream over to
/// `curl_easy_send`/`curl_easy_recv`. The WebSocket client speaks its protocol on top, so
/// the tool needs no second TLS stack. Not Sendable on purpose: one thread owns a socket.
public final class CurlSocket {
    private let handle: UnsafeMutableRawPointer
    private let fd: curl_socket_t
    private let url: String

    /// `url` is `http://host:port/…` or `https://host:port/…` (only the origin is used).
    public init(url: String, connectTimeoutMs: Int = 5_000) throws(HTTPError) {
        guard curlReady, let h = curl_easy_init() else {
            throw HTTPError(kind: .other, code: -1, message: "libcurl could not be initialised", url: url)
        }
        handle = h
        self.url = url
        var detail = ""
        var errbuf = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errbuf.withUnsafeMutableBufferPointer { eb in
            let setup = [
                dingsync_curl_setopt_string(h, CURLOPT_URL, url),
                dingsync_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, eb.baseAddress),
                dingsync_curl_setopt_long(h, CURLOPT_CONNECT_ONLY, 1),
                dingsync_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1),
                dingsync_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMs),
                dingsync_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1),
                dingsync_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2),
                dingsync_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1),
            ]
            if let bad = setup.first(where: { $0 != CURLE_OK }) { return bad }
            let rc = curl_easy_perform(h)
            // The error buffer is only valid inside this closure: copy what it says now.
            if rc != CURLE_OK, eb[0] != 0 { detail = String(cString: eb.baseAddress!) }
            return rc
        }
        guard code == CURLE_OK else {
            curl_easy_cleanup(h)
            throw Self.error(code, detail: detail, url: url)
        }
        var socket: curl_socket_t = -1
        guard dingsync_curl_getinfo_socket(h, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK, socket >= 0 else {
            curl_easy_cleanup(h)
            throw HTTPError(kind: .other, code: -1, message: "libcurl gave no socket for the connection", url: url)
        }
        fd = socket
    }

    deinit { curl_easy_cleanup(handle) }

    /// Writes every byte, waiting for the socket to drain at most `timeoutMs` in all.
    public func write(_ bytes: [UInt8], timeoutMs: Int) throws(HTTPError) {
        var offset = 0
        let deadline = Self.nowMs() + Int64(timeoutMs)
        while offset < bytes.count {
            var sent = 0
            let rc = bytes.withUnsafeBytes { raw in curl_easy_send(handle, raw.baseAddress! + offset, bytes.count - offset, &sent) }
            if rc == CURLE_OK {
                offset += sent
                continue
            }
            guard rc == CURLE_AGAIN else { throw Self.error(rc, detail: "", url: url) }
            let left = deadline - Self.nowMs()
            guard left > 0, try wait(for: Int16(POLLOUT), timeoutMs: Int(left)) else {
                throw HTTPError(kind: .timeout, code: Int(CURLE_OPERATION_TIMEDOUT.rawValue), message: "the socket did not drain", url: url)
            }
        }
    }

    /// What the server sent, up to `max` bytes; nil when nothing came within `timeoutMs`.
    /// A server that closed the connection is an error (kind `transfer`).
    public func read(max: Int = 65_536, timeoutMs: Int) throws(HTTPError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        // TLS may already hold decrypted bytes the socket no longer shows: ask curl first.
        for attempt in 0..<2 {
            var got = 0
            let rc = buffer.withUnsafeMutableBytes { raw in curl_easy_recv(handle, raw.baseAddress!, max, &got) }
            if rc == CURLE_OK {
                guard got > 0 else {
                    throw HTTPError(kind: .transfer, code: Int(CURLE_RECV_ERROR.rawValue), message: "the server closed the connection", url: url)
                }
                return Array(buffer.prefix(got))
            }
            guard rc == CURLE_AGAIN else { throw Self.error(rc, detail: "", url: url) }
            if attempt == 0, !(try wait(for: Int16(POLLIN), timeoutMs: timeoutMs)) { return nil }
        }
        return nil
    }

    private func wait(for events: Int16, timeoutMs: Int) throws(HTTPError) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        let n = poll(&p, 1, Int32(clamping: timeoutMs))
        if n < 0, errno != EINTR {
            throw HTTPError(kind: .transfer, code: Int(errno), message: "poll failed: \(String(cString: strerror(errno)))", url: url)
        }
        return n > 0
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func error(_ code: CURLcode, detail: String, url: String) -> HTTPError {
        let message = CurlHTTPClient.stripQueries(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        return HTTPError(kind: CurlHTTPClient.kind(of: code), code: Int(code.rawValue), message: message, url: url)
    }
}
