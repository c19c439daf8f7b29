import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StarlingModel

/// One answer of the server: its status code and body bytes.
struct HTTPAnswer: Sendable {
    var status: Int
    var body: [UInt8]
}

extension StarlingClient {
    /// Sends one request and returns the answer, whatever its status.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query, already percent-encoded, starting with `/`.
    ///   - body: the JSON body, or nil for none.
    /// - Throws: `UNAVAILABLE` when the endpoint cannot be reached or does not answer in time;
    ///   `INTERNAL` for an answer larger than ``Settings/maxResponseBytes``.
    func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws(StoreError) -> HTTPAnswer {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.encoded()))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: TimeAmount(settings.requestTimeout))
        } catch {
            throw ClientFailure.unreachable(endpoint, error, isWrite: method != .GET && method != .HEAD)
        }
        do {
            let buffer = try await response.body.collect(upTo: settings.maxResponseBytes)
            return HTTPAnswer(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        } catch is NIOTooManyBytesError {
            throw .internal("the answer of \(endpoint)\(path) is larger than \(settings.maxResponseBytes) bytes")
        } catch {
            throw ClientFailure.unreachable(endpoint, error, isWrite: method != .GET && method != .HEAD)
        }
    }

    /// Sends one request and returns the JSON body of a 2xx answer.
    /// - Throws: the error the server answered (``ClientFailure/error(status:body:endpoint:)``),
    ///   `UNAVAILABLE` when unreachable, `INTERNAL` for a body that is not JSON.
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws(StoreError) -> JSONValue {
        let answer = try await send(method, path, body: body)
        guard (200..<300).contains(answer.status) else {
            throw ClientFailure.error(status: answer.status, body: answer.body, endpoint: endpoint)
        }
        do {
            return try JSONValue(parsing: answer.body)
        } catch {
            throw .internal("the answer of \(endpoint)\(path) is not JSON: \(error.message) at byte \(error.offset)")
        }
    }

    /// Like ``call(_:_:body:)`` but answers nil for 404 `NOT_FOUND` of an absent key; a 404 for
    /// an unknown store (which the API answers alike) still throws.
    func callUnlessAbsent(_ method: HTTPMethod, _ path: String) async throws(StoreError) -> JSONValue? {
        do {
            return try await call(method, path)
        } catch  where error.kind == .notFound {
            try await checkStoreExists()
            return nil
        }
    }

    /// Throws the `NOT_FOUND` of an unknown store; returns for a hosted one and when the check
    /// itself fails otherwise (the key's absence then stands).
    func checkStoreExists() async throws(StoreError) {
        do {
            _ = try await call(.GET, storePath("info"))
        } catch  where error.kind == .notFound {
            throw error
        } catch {
            return
        }
    }

    /// `/v1/stores/{id}/{rest}` with the store id percent-encoded.
    func storePath(_ rest: String) -> String {
        "/v1/stores/\(PercentEncoding.pathSegment(storeID))/\(rest)"
    }

    /// `/v1/stores/{id}/entries/{key}` with the key percent-encoded (keeping `/`).
    /// - Throws: `INVALID` for an empty key, which has no path of its own.
    func entryPath(_ key: String) throws(StoreError) -> String {
        guard !key.isEmpty else { throw .invalid("the key is empty") }
        return storePath("entries/" + PercentEncoding.keyPath(key))
    }
}

extension JSONFields {
    /// The fields of a server's answer: one of the wrong shape means the endpoint is not the server
    /// this client speaks to, `INTERNAL`, naming what was missing.
    init(answer: JSONValue) throws(StoreError) {
        try self.init(answer, what: "the answer", failureKind: .internal)
    }
}
