//! Explicit limits on what a fragment may contain.
//!
//! Fragments come from the network; every count and size read from them is checked against
//! these before it drives a loop or an allocation.

/// Largest box (and largest whole fragment) accepted: 256 MiB. A 2-second 4K fragment is
/// a few tens of MiB; anything bigger is corrupt or hostile.
pub const MAX_BOX_SIZE: u64 = 256 * 1024 * 1024;

/// Deepest box nesting followed (`moof` = 1, `traf` = 2, boxes in `traf` = 3).
pub const MAX_DEPTH: u32 = 4;

/// Most samples one `trun` may declare.
pub const MAX_SAMPLES_PER_TRUN: u32 = 1_000_000;

/// Most samples one fragment may hold across all its `trun` boxes.
pub const MAX_SAMPLES_PER_FRAGMENT: usize = 1_000_000;

/// Most `trun` boxes in one `traf`.
pub const MAX_TRUNS_PER_TRAF: usize = 4096;

/// Most child boxes walked in one container (unknown ones included).
pub const MAX_CHILDREN: usize = 4096;

/// Most unknown boxes remembered for diagnostics (the rest are skipped silently).
pub const MAX_UNKNOWN_KEPT: usize = 64;

/// Upper bound on entries pre-allocated from an untrusted count before the entries
/// themselves have been read; vectors grow past this only as real bytes are parsed.
pub const MAX_PREALLOC: usize = 4096;
