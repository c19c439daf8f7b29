public import Starling

/// Cluster keys for tests: gossip off loopback, and any peer with an access policy, needs one.
public enum TestClusterKey {
    /// A keyring of one fresh random key.
    public static func keyring() -> ClusterKeyring {
        do {
            return try ClusterKeyring(keyFileContents: ClusterKeyring.newKeyFileContents(comment: "for a test"))
        } catch {
            preconditionFailure("a freshly written key file does not parse: \(error)")
        }
    }
}
