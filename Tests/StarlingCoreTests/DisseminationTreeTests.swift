import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct DisseminationTreeTests {
    static func members(_ count: Int, seed: UInt64) -> [NodeID] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in NodeID.random(using: &random) }
    }

    static func edges(_ tree: DisseminationTree) -> Set<[UInt64]> {
        var edges: Set<[UInt64]> = []
        for member in tree.members {
            for neighbour in tree.neighbours(of: member) {
                edges.insert([member.rawValue, neighbour.rawValue].sorted())
            }
        }
        return edges
    }

    @Test(arguments: [1, 2, 3, 9, 33, 257])
    func itIsASpanningTreeOfDegreeAtMostThree(count: Int) {
        let members = Self.members(count, seed: UInt64(count))
        let tree = DisseminationTree(members: members)
        #expect(Self.edges(tree).count == count - 1, "a tree over n members has n - 1 edges")
        for member in members {
            let around = tree.neighbours(of: member)
            #expect(around.count <= 3)
            for neighbour in around {
                #expect(tree.neighbours(of: neighbour).contains(member), "edges are symmetric")
            }
        }
        var reached: Set<NodeID> = []
        var frontier = [members[0]]
        while let next = frontier.popLast() {
            guard reached.insert(next).inserted else { continue }
            frontier += tree.neighbours(of: next)
        }
        #expect(reached == Set(members), "every member is reached from any")
    }

    @Test func everyPeerBuildsTheSameTreeFromTheSameMembers() {
        let members = Self.members(40, seed: 7)
        var random = SplitMix64(seed: 8)
        var shuffled = members + members.prefix(5)
        random.shuffle(&shuffled)
        #expect(DisseminationTree(members: shuffled) == DisseminationTree(members: members))
        #expect(DisseminationTree(members: []).neighbours(of: members[0]).isEmpty)
    }

    @Test func aMemberJoiningOrLeavingMovesFewEdges() {
        var moved: [Int] = []
        for seed in UInt64(1)...200 {
            let members = Self.members(101, seed: seed)
            let before = Self.edges(DisseminationTree(members: members.dropLast()))
            let after = Self.edges(DisseminationTree(members: members))
            moved.append(before.symmetricDifference(after).count)
        }
        let mean = Double(moved.reduce(0, +)) / Double(moved.count)
        // A treap insertion takes fewer than two rotations on average, each moving a few edges;
        // a tree rebuilt by rank (a heap over sorted positions) would move about half of them.
        #expect(mean < 8, "edges moved per join: mean \(mean), at most \(moved.max() ?? 0)")
    }

    @Test func itsHeightGrowsAsTheLogarithmOfTheMembers() {
        for (count, bound) in [(9, 8), (33, 14), (257, 28)] {
            for seed in UInt64(1)...20 {
                let height = DisseminationTree(members: Self.members(count, seed: seed)).height
                #expect(height <= bound, "\(count) members, seed \(seed): height \(height)")
            }
        }
    }

    @Test func theEccentricityIsTheLongestPathFromAMember() {
        let members = Self.members(33, seed: 5)
        let tree = DisseminationTree(members: members)
        for member in members {
            let eccentricity = tree.eccentricity(of: member)
            #expect(eccentricity >= 1 && eccentricity <= 2 * tree.height)
        }
        #expect(tree.eccentricity(of: tree.root!) == tree.height, "from the root, the longest path is the height")
        #expect(DisseminationTree(members: [members[0]]).eccentricity(of: members[0]) == 0)
        #expect(tree.eccentricity(of: NodeID(rawValue: 0)) == 0, "not a member")
    }

    @Test func theFingerprintOfASetIgnoresOrderAndCancelsMembersCountedTwice() {
        let members = Self.members(5, seed: 3)
        #expect(DisseminationTree.fingerprint(of: members) == DisseminationTree.fingerprint(of: members.reversed()))
        #expect(
            DisseminationTree.fingerprint(of: members + [members[0]])
                == DisseminationTree.fingerprint(of: members.dropFirst()))
        #expect(DisseminationTree.fingerprint(of: members) != DisseminationTree.fingerprint(of: members.dropLast()))
    }
}
