/// The spanning tree a peer's changes travel along: each peer replicates its change feed only to
/// its neighbours in it (its parent and children), so an entry crosses each edge once and every
/// peer receives it about once, whatever the cluster size (Replication.md, "Dissemination").
///
/// The tree is a treap (a Cartesian tree) over the members: a binary search tree by node id and
/// a heap by a fixed hash of the id. It is a pure function of the member set, so every peer that
/// sees the same members builds the same tree without a word exchanged; a member joining or
/// leaving changes a constant number of edges on average (the rotations of one treap insertion),
/// so the other members' streams keep their progress; and its expected depth is about
/// 2 ln n, so a change crosses O(log n) hops. Every peer has at most three neighbours.
public struct DisseminationTree: Sendable, Hashable {
    /// The members, sorted by id.
    public let members: [NodeID]
    /// Per member (by position in ``members``), the position of its parent; -1 for the root.
    private let parents: [Int]
    /// Per member, the positions of its neighbours (parent first, then children in id order).
    private let adjacency: [NodeID: [Int]]

    /// Builds the tree over `members` (duplicates count once).
    public init(members: some Sequence<NodeID>) {
        let sorted = Array(Set(members)).sorted()
        var parents = [Int](repeating: -1, count: sorted.count)
        // The classic stack construction: the stack holds the right spine, priorities falling.
        var spine: [Int] = []
        for index in sorted.indices {
            let priority = Self.priority(of: sorted[index])
            var lastPopped = -1
            while let top = spine.last, Self.priority(of: sorted[top]) < priority {
                lastPopped = spine.removeLast()
            }
            if lastPopped >= 0 { parents[lastPopped] = index }
            if let top = spine.last { parents[index] = top }
            spine.append(index)
        }
        var adjacency: [NodeID: [Int]] = [:]
        adjacency.reserveCapacity(sorted.count)
        for (index, parent) in parents.enumerated() where parent >= 0 {
            adjacency[sorted[parent], default: []].append(index)
        }
        for (index, parent) in parents.enumerated() {
            var around = adjacency[sorted[index]] ?? []
            around.sort()
            if parent >= 0 { around.insert(parent, at: 0) }
            adjacency[sorted[index]] = around
        }
        self.members = sorted
        self.parents = parents
        self.adjacency = adjacency
    }

    /// The heap priority of a member: SplitMix64's finaliser of its id, a bijection, so two
    /// members never tie.
    static func priority(of member: NodeID) -> UInt64 {
        var z = member.rawValue &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The neighbours of `member` (its parent, then its children), or none if it is not a member.
    public func neighbours(of member: NodeID) -> [NodeID] {
        (adjacency[member] ?? []).map { members[$0] }
    }

    /// The root: the member of highest priority; nil for an empty tree.
    public var root: NodeID? { parents.firstIndex(of: -1).map { members[$0] } }

    /// The number of edges from the root to the deepest member: the tree's height.
    public var height: Int {
        var depths = [Int](repeating: -1, count: members.count)
        func depth(_ index: Int) -> Int {
            if depths[index] >= 0 { return depths[index] }
            // Iterative walk up to a member of known depth, then back down.
            var path: [Int] = []
            var current = index
            while current >= 0, depths[current] < 0 {
                path.append(current)
                current = parents[current]
            }
            var known = current >= 0 ? depths[current] : -1
            for member in path.reversed() {
                known += 1
                depths[member] = known
            }
            return depths[index]
        }
        return members.indices.map(depth).max() ?? 0
    }

    /// The most edges from `member` to any other member: how many hops its writes take to reach
    /// the farthest peer. 0 for a member alone or not in the tree.
    public func eccentricity(of member: NodeID) -> Int {
        guard adjacency[member] != nil else { return 0 }
        var distance: [NodeID: Int] = [member: 0]
        var frontier = [member]
        var farthest = 0
        while !frontier.isEmpty {
            var next: [NodeID] = []
            for current in frontier {
                let hops = distance[current, default: 0] + 1
                for neighbour in neighbours(of: current) where distance[neighbour] == nil {
                    distance[neighbour] = hops
                    farthest = max(farthest, hops)
                    next.append(neighbour)
                }
            }
            frontier = next
        }
        return farthest
    }

    /// A fingerprint of a set of members: the exclusive or of a hash of each. Equal sets have
    /// equal fingerprints, and a member counted twice cancels out, so a report that covers some
    /// member twice and another not at all does not pass for one covering each once.
    public static func fingerprint(of members: some Sequence<NodeID>) -> UInt64 {
        members.reduce(0) { $0 ^ priority(of: $1) }
    }
}
