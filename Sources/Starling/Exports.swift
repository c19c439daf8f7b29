// The spec's types (StoreError, Entry, ListPage, StoreInfo, StoreStats, JSONValue, ...) live in the
// light StarlingModel target, shared with the HTTP client; embedders keep finding them here.
@_exported public import StarlingModel
