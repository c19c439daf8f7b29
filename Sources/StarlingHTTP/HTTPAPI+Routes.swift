public import Hummingbird
import Starling
import StarlingCore

extension HTTPAPI {
    /// Adds every route of the API to `router`, behind the access policy of ``Settings/policy``
    /// when there is one (it then also guards routes added to `router` afterwards).
    /// - Parameter router: the router to extend.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        addRequestMetrics(to: router)
        if let policy = settings.policy { router.add(middleware: AccessMiddleware(policy: policy)) }
        addMetricsRoute(to: router)
        router.get("/healthz") { _, _ in JSONResponse.ok(["status": "ok"]) }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.response() }
        router.get("/v1/cluster") { _, _ in await respond { await cluster() } }
        router.get("/v1/stores") { request, _ in await respond { try storeList(request) } }
        router.get("/v1/stores/:id/info") { request, _ in
            await respond { try store(request).info().json }
        }
        router.get("/v1/stores/:id/stats") { request, _ in
            await respond { try store(request).stats().json }
        }
        router.get("/v1/stores/:id/entries") { request, _ in await respond { try list(request) } }
        router.get("/v1/stores/:id/keys") { request, _ in await respond { try keys(request) } }
        router.get("/v1/stores/:id/ttl") { request, _ in await respond { try ttl(request) } }
        router.get("/v1/stores/:id/watch") { request, _ in watch(request) }
        router.get("/v1/stores/:id/entries/**") { request, _ in await respond { try getEntry(request) } }
        router.head("/v1/stores/:id/entries/**") { request, _ in await hasEntry(request) }
        router.put("/v1/stores/:id/entries/**") { request, _ in await respond { try await putEntry(request) } }
        router.delete("/v1/stores/:id/entries/**") { request, _ in
            await respond { try await deleteEntry(request) }
        }
        router.post("/v1/stores/:id/expire") { request, _ in await respond { try await expire(request) } }
        router.post("/v1/stores/:id/persist") { request, _ in await respond { try await persist(request) } }
        router.post("/v1/stores/:id/incr") { request, _ in await respond { try await incr(request, sign: 1) } }
        router.post("/v1/stores/:id/decr") { request, _ in await respond { try await incr(request, sign: -1) } }
        router.post("/v1/stores/:id/mget") { request, _ in await respond { try await mget(request) } }
        router.post("/v1/stores/:id/mset") { request, _ in await respond { try await mset(request) } }
        router.post("/v1/stores/:id/clear") { request, _ in
            await respond { ["ok": .bool(try await store(request).clear())] }
        }
    }

    /// Runs `body` and answers its JSON with 200, or its error with the status of its kind.
    func respond(_ body: () async throws -> JSONValue) async -> Response {
        do {
            return JSONResponse.ok(try await body())
        } catch let error as StoreError {
            return JSONResponse.error(error)
        } catch {
            return JSONResponse.error(.internal("unexpected error \(error); please report this"))
        }
    }
}
