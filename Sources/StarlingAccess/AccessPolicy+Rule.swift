public import StarlingCore

extension AccessPolicy {
    /// Something a request does to a store or its keys (APIContract.md, "Access control").
    public enum Action: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// See that a store exists: `GET /v1/stores` lists only the stores a token may `store.get`.
        case storeGet = "store.get"
        /// Read a store's `info` and `stats`.
        case storeInfo = "store.info"
        /// Read values: `get`, `entry`, `mget`.
        case keyGet = "store.key.get"
        /// Write values: `put`/`set`, `mset`, `expire`, `persist`, `incr`, `decr`.
        case keySet = "store.key.set"
        /// Delete keys: `delete`, and `clear` with a rule whose key glob matches every key.
        case keyDelete = "store.key.delete"
        /// Ask whether a key is live: `has` (HEAD).
        case keyHas = "store.key.has"
        /// Enumerate keys and their metadata: `list`, `keys`, `ttl`.
        case keyList = "store.key.list"

        /// Whether the action concerns keys (and so rules' key globs apply to it).
        public var isKeyAction: Bool { self != .storeGet && self != .storeInfo }

        /// The action's name, such as `store.key.get`.
        public var description: String { rawValue }
    }

    /// What an action is applied to, from one key up to every store.
    public enum Resource: Sendable, Hashable, CustomStringConvertible {
        /// The store with this id (`store.get`, `store.info`).
        case store(String)
        /// One key of a store.
        case key(store: String, key: String)
        /// Every key of a store, present and future (`clear`): only a rule whose key globs
        /// include one matching everything (such as `*`) allows it.
        case everyKey(store: String)
        /// Some key of a store: allowed when a rule allows the action on the store for any of
        /// its key globs. Used before a listing that is then filtered key by key.
        case someKey(store: String)
        /// Some store: allowed when any rule lists the action. Used before `GET /v1/stores`,
        /// which is then filtered store by store.
        case someStore

        public var description: String {
            switch self {
            case .store(let store): "store \"\(store)\""
            case .key(let store, let key): "key \"\(key)\" of store \"\(store)\""
            case .everyKey(let store): "every key of store \"\(store)\""
            case .someKey(let store): "the keys of store \"\(store)\""
            case .someStore: "any store"
            }
        }
    }

    /// One grant: the listed actions on stores matching ``stores`` and keys matching ``keys``.
    public struct Rule: Sendable, Hashable {
        /// The actions allowed.
        public var actions: Set<Action>
        /// Store-id globs; the rule applies to a store matching any of them.
        public var stores: [GlobPattern]
        /// Key globs; a key action applies to a key matching any of them. Ignored for
        /// `store.get` and `store.info`.
        public var keys: [GlobPattern]

        /// Creates a rule.
        /// - Parameters:
        ///   - actions: the actions allowed.
        ///   - stores: store-id globs.
        ///   - keys: key globs. Default nil: `*`, every key.
        public init(actions: Set<Action>, stores: [GlobPattern], keys: [GlobPattern]? = nil) {
            self.actions = actions
            self.stores = stores
            self.keys = keys ?? [GlobPattern.everything]
        }

        /// Whether the rule allows `action` on `resource`.
        /// - Parameters:
        ///   - action: what the request does.
        ///   - resource: what it does it to.
        /// - Returns: true if the rule lists the action and its globs match the resource.
        public func allows(_ action: Action, on resource: Resource) -> Bool {
            guard actions.contains(action) else { return false }
            switch resource {
            case .someStore:
                return true
            case .store(let store), .someKey(let store):
                return matchesStore(store)
            case .key(let store, let key):
                return matchesStore(store) && (!action.isKeyAction || keys.contains { $0.matches(key) })
            case .everyKey(let store):
                return matchesStore(store) && (!action.isKeyAction || keys.contains { $0.matchesEverything })
            }
        }

        private func matchesStore(_ store: String) -> Bool {
            stores.contains { $0.matches(store) }
        }
    }
}

extension GlobPattern {
    /// `*`: matches every key and store id.
    static let everything: GlobPattern = {
        do {
            return try GlobPattern("*")
        } catch {
            preconditionFailure("\"*\" is a valid glob: \(error)")
        }
    }()
}
