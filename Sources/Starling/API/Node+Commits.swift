import Foundation

extension Node {
    /// A registration made with ``observeCommits(_:)``; ``cancel()`` ends it.
    package final class CommitObservation: Sendable {
        private let cancelAction: @Sendable () -> Void

        init(cancel: @escaping @Sendable () -> Void) {
            cancelAction = cancel
        }

        /// Stops the notifications.
        package func cancel() { cancelAction() }
    }

    /// Calls `handler` with the new head of the change feed after every committed transaction
    /// (local writes and applied replication alike), on the writer's thread: keep it short.
    /// When the node closes, `handler` is called once more with the unchanged head, so that a
    /// waiting observer wakes and finds the node closed.
    package func observeCommits(_ handler: @escaping @Sendable (Int64) -> Void) -> CommitObservation {
        let id = writer.addObserver(handler)
        return CommitObservation { [writer] in writer.removeObserver(id) }
    }
}
