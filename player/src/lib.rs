//! Library side of the player: parts that the `smoothplay` binary and the integration tests
//! both use.

pub mod audio;
