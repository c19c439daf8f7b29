// The model (JSONValue, StoreError, Entry, ...) is part of the core's vocabulary: code that imports
// the core sees it without a second import.
@_exported public import StarlingModel
