import Crypto
import NIOCore
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Sealed datagrams carry a per-sender session and counter, and a receiver accepts each once.
@Suite(.showsLogsOnFailure) struct ReplayWindowTests {
    let sender = NodeID(rawValue: 0x5E)

    @Test func theSealedHeaderNamesSenderSessionAndACounterThatGrows() throws {
        let sealer = DatagramSealer(
            keyring: ClusterKeyring(primary: SymmetricKey(size: .bits256)), sender: sender, session: 77)
        let first = try #require(sealer.open(sealer.seal(ByteBuffer(string: "a"))).sequence)
        let second = try #require(sealer.open(sealer.seal(ByteBuffer(string: "b"))).sequence)
        #expect(first.sender == sender && first.session == 77 && first.counter == 0)
        #expect(second.counter == 1)
        #expect(sealer.counter == 2)
        #expect(try DatagramSealer(keyring: nil).open(ByteBuffer(string: "x")).sequence == nil)
    }

    @Test func sealedFormatOneIsRefusedNamingItsVersion() {
        let sealer = DatagramSealer(keyring: ClusterKeyring(primary: SymmetricKey(size: .bits256)))
        var old = ByteBuffer()
        old.writeInteger(DatagramSealer.formatOneMagic)
        old.writeBytes([UInt8](repeating: 7, count: 60))
        do {
            _ = try sealer.open(old)
            Issue.record("a datagram of sealed format 1 was opened")
        } catch {
            #expect(error.reason == .sealVersion)
            #expect(error.message.contains("format 1"))
        }
    }

    @Test func eachCounterPassesOnceAndReorderingWithinTheWindowPasses() {
        var window = ReplayWindow()
        #expect(window.accept(sender: sender, session: 1, counter: 5) == nil)
        #expect(window.accept(sender: sender, session: 1, counter: 5) == .replayed)
        #expect(window.accept(sender: sender, session: 1, counter: 3) == nil, "late but new")
        #expect(window.accept(sender: sender, session: 1, counter: 3) == .replayed)
        #expect(window.accept(sender: sender, session: 1, counter: 6) == nil)
        // Far ahead: the window moves, and what fell below it is refused.
        #expect(window.accept(sender: sender, session: 1, counter: 5 + ReplayWindow.width) == nil)
        #expect(window.accept(sender: sender, session: 1, counter: 5) == .tooOld)
        #expect(
            window.accept(sender: sender, session: 1, counter: 4 + ReplayWindow.width) == nil, "in the moved window")
        // Another sender has a window of its own.
        #expect(window.accept(sender: NodeID(rawValue: 9), session: 1, counter: 5) == nil)
    }

    @Test func aNewSessionStartsAfreshAndAnOldOneIsRefused() {
        var window = ReplayWindow()
        #expect(window.accept(sender: sender, session: 10, counter: 500) == nil)
        #expect(window.accept(sender: sender, session: 11, counter: 0) == nil, "the sender restarted")
        #expect(window.accept(sender: sender, session: 11, counter: 0) == .replayed)
        #expect(window.accept(sender: sender, session: 10, counter: 501) == .staleSession)
    }

    @Test func aSeededStreamOfDuplicatesAndReordersAcceptsEachCounterExactlyOnce() {
        let seed: UInt64 = 20_261_203
        var random = SeededGenerator(seed: seed)
        var window = ReplayWindow()
        var accepted: Set<UInt64> = []
        for step in 0..<5_000 {
            // Mostly increasing counters, reordered by up to 100 and duplicated now and then.
            let counter = UInt64(max(0, step - Int.random(in: 0...100, using: &random)))
            if window.accept(sender: sender, session: 1, counter: counter) == nil {
                #expect(accepted.insert(counter).inserted, "counter \(counter) accepted twice; seed \(seed)")
            }
        }
    }
}
