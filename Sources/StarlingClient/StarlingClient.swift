/// A client of the HTTP API of `starling serve` (placeholder until the client lands).
enum StarlingClientPlaceholder {}
