import Hummingbird
import NIOCore
import ServiceLifecycle
import Starling
import StarlingAccess
import StarlingCore

extension HTTPAPI {
    /// `GET /v1/stores/{id}/watch?prefix=&after=`: the store's change feed as server-sent events.
    ///
    /// Each change is `id: <seq>`, `event: change`, `data: <event object>`; a `Last-Event-ID`
    /// header (a reconnecting `EventSource`) takes precedence over `after`. An idle stream sends
    /// `: keep-alive` every ``Settings/watchKeepAlive``. A bad parameter, an unknown store or a
    /// position the feed can no longer answer is a JSON error before the stream starts, and so is
    /// a stream past ``Settings/maxWatchers`` (503 `UNAVAILABLE`, retryable); a failure
    /// after it started is one `event: error` with the error object, then the end of the stream.
    /// The stream ends when the client goes away, the node closes, or the server shuts down.
    func watch(_ request: Request) -> Response {
        let feed: ChangeFeed
        let visible: @Sendable (String) -> Bool
        do {
            let store = try store(request)
            visible = try visibleKeys(request, .keyList, store: store.id)
            let query = request.uri.queryParameters
            let after = try Self.watchPosition(
                lastEventID: request.headers[Self.lastEventID], after: query["after"].map(String.init))
            feed = try store.watch(prefix: query["prefix"].map(String.init) ?? "", after: after)
        } catch {
            return JSONResponse.error(error)
        }
        guard let slot = watchers.take() else {
            return JSONResponse.error(
                .unavailable(
                    "this server already has \(watchers.limit) watch streams open, the most it allows (max_watchers); "
                        + "retry later"))
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let keepAlive = settings.watchKeepAlive
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { [slot] writer in
                // The slot is given back when the body ends or the response is dropped unsent.
                _ = slot
                try await Self.stream(feed, keepAlive: keepAlive, visible: visible, to: &writer)
            })
    }

    /// The header a reconnecting `EventSource` sends with the id of the last event it received.
    static let lastEventID = HTTPFields.Element.Name("Last-Event-ID")!

    /// The position to resume after: `Last-Event-ID` if present, else `after`; nil (from now) when
    /// both are absent or empty.
    /// - Throws: `INVALID` naming the parameter that is not a sequence number.
    static func watchPosition(lastEventID: String?, after: String?) throws(StoreError) -> Int64? {
        for (name, text) in [("the Last-Event-ID header", lastEventID), ("after", after)] {
            guard let text, !text.isEmpty else { continue }
            guard let seq = Int64(text), seq >= 0 else {
                throw .invalid("\(name) must be a sequence number (an integer of 0 or more), not \"\(text)\"")
            }
            return seq
        }
        return nil
    }

    /// Writes the feed as server-sent events until it ends, the client goes away, or the server
    /// shuts down gracefully, then finishes the body. Changes of keys `visible` refuses (the
    /// access policy's listing rule) are left out; a `clear`, which names no key, never is.
    static func stream(
        _ feed: ChangeFeed, keepAlive: Duration, visible: @escaping @Sendable (String) -> Bool,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        var iterator = feed.makeAsyncIterator()
        let stop = iterator.stopper
        // The opening comment sends the headers at once; the feed is registered by now.
        try await writer.write(ByteBuffer(string: ": watching store \(feed.store.id) after seq \(feed.startSeq)\n\n"))
        var failure: StoreError?
        try await withTaskCancellationOrGracefulShutdownHandler {
            while true {
                let step: ChangeFeed.Iterator.Step
                do throws(StoreError) {
                    step = try await iterator.step(idleTimeout: keepAlive)
                } catch {
                    failure = error
                    return
                }
                var frames = ByteBuffer()
                switch step {
                case .end:
                    return
                case .idle:
                    frames.writeString(": keep-alive\n\n")
                case .event(let event):
                    if event.key.isEmpty || visible(event.key) { writeFrame(event, to: &frames) }
                    // Coalesce the changes already read into one write.
                    while iterator.hasBufferedEvent, frames.readableBytes < 65_536,
                        case .event(let next) = try await iterator.step(idleTimeout: keepAlive)
                    {
                        if next.key.isEmpty || visible(next.key) { writeFrame(next, to: &frames) }
                    }
                }
                if frames.readableBytes > 0 { try await writer.write(frames) }
            }
        } onCancelOrGracefulShutdown: {
            stop()
        }
        if let failure {
            var frame = ByteBuffer(string: "event: error\ndata: ")
            let object: JSONValue = [
                "error": [
                    "kind": .string(failure.kind.name), "message": .string(failure.message),
                    "retryable": .bool(failure.isRetryable),
                ]
            ]
            frame.writeBytes(object.encoded())
            frame.writeString("\n\n")
            try await writer.write(frame)
        }
        try await writer.finish(nil)
    }

    /// Appends one `change` event: `id`, `event` and `data` lines and the blank line that ends it.
    static func writeFrame(_ event: ChangeFeed.Event, to buffer: inout ByteBuffer) {
        buffer.writeString("id: \(event.seq)\nevent: change\ndata: ")
        buffer.writeBytes(changeEventObject(event).encoded())
        buffer.writeString("\n\n")
    }
}

/// The event object of a watch stream: `{"seq", "key", "kind", "value"?, "version", "expires_at"}`.
/// `value` is present only when the key holds one (`set`, `incr`), since `null` is a value too.
func changeEventObject(_ event: ChangeFeed.Event) -> JSONValue {
    var object: [String: JSONValue] = [
        "seq": .integer(event.seq),
        "key": .string(event.key),
        "kind": .string(event.kind.rawValue),
        "version": .string(event.version),
        "expires_at": event.expiresAt.map { .integer($0) } ?? .null,
    ]
    if let value = event.value { object["value"] = value }
    return .object(object)
}
