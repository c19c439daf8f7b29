import Foundation
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

    /// Writes a fresh key file into `directory`, as `starling keygen` does.
    /// - Returns: its path, for `--cluster-key-file`.
    public static func writeKeyFile(in directory: TemporaryDirectory, name: String = "cluster.key") throws -> String {
        let path = directory.path + "/" + name
        try ClusterKeyring.newKeyFileContents(comment: "for a test").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
