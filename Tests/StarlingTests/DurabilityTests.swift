import Foundation
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Acknowledged means durable: a process killed with SIGKILL loses no acknowledged write.
@Suite(.serialized, .showsLogsOnFailure) struct DurabilityTests {
    @Test(arguments: ["process", "power"])
    func everyAcknowledgedWriteSurvivesSIGKILL(durability: String) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let child = try ChildProcess(
            Fixtures.starlingExecutable,
            ["debug", "write-loop", "--data-dir", directory.path, "--durability", durability, "--writers", "8"])
        #expect(child.waitForLine { $0.hasPrefix("ready") } != nil, "the writer started")
        // Kill it mid-stream, once it has acknowledged a good number of writes.
        let threshold = durability == "power" ? 300 : 2_000
        _ = child.waitForLine(timeout: .seconds(60)) { line in
            guard line.hasPrefix("ack "), let index = Int(line.dropFirst(4)) else { return false }
            return index >= threshold
        }
        child.kill()
        let acknowledged = child.outputLines.compactMap { line in line.hasPrefix("ack ") ? Int(line.dropFirst(4)) : nil
        }
        #expect(acknowledged.count >= 100, "the child acknowledged writes before it was killed")

        let node = try Node.open(directory: directory.path)
        let store = try node.store("default")
        var missing: [Int] = []
        for index in acknowledged where try store.get("key-\(index)") != .integer(Int64(index)) {
            missing.append(index)
        }
        let counter = try store.get("counter")?.integerValue ?? 0
        let acknowledgedIncrements = acknowledged.filter { $0 % 7 == 0 }.count
        await node.close()
        #expect(missing.isEmpty, "acknowledged writes lost after SIGKILL: \(missing.prefix(10))")
        #expect(counter >= Int64(acknowledgedIncrements), "acknowledged increments lost")
    }
}

/// One process per data directory.
@Suite(.showsLogsOnFailure) struct DirectoryLockTests {
    @Test func aSecondProcessIsRefusedWithTheHolderNamedAndWritesNothing() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let holder = try ChildProcess(Fixtures.starlingExecutable, ["debug", "hold", "--data-dir", directory.path])
        defer { holder.kill() }
        #expect(holder.waitForLine { $0.hasPrefix("holding") } != nil)
        let databaseBefore = try FileManager.default.attributesOfItem(atPath: directory.appending("starling.db"))[.size]
        let error = #expect(throws: StoreError.self) { try Node.open(directory: directory.path) }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("pid \(holder.pid)") == true, "names the holder: \(error?.message ?? "")")
        let databaseAfter = try FileManager.default.attributesOfItem(atPath: directory.appending("starling.db"))[.size]
        #expect(databaseBefore as? Int == databaseAfter as? Int)
    }

    @Test func aSecondNodeInTheSameProcessIsRefusedAndTheDirectoryIsFreeAfterClose() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let first = try Node.open(directory: directory.path)
        #expect(throws: StoreError.self) { try Node.open(directory: directory.path) }
        let id = first.id
        await first.close()
        let second = try Node.open(directory: directory.path)
        #expect(second.id == id, "the node id is persisted")
        await second.close()
    }
}
