//! Fragment parsing errors: every variant names the box and its byte offset.

use super::boxes::BoxType;

/// Why a fragment could not be parsed.
///
/// Offsets are absolute byte positions in the buffer given to
/// [`parse_fragment`](super::parse_fragment), pointing at the start of the box named.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum BoxError {
    /// The box (or a field in it) needs more bytes than are left.
    #[error("{box_type} at byte {offset}: truncated: needs {needed} bytes, {available} left")]
    Truncated {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// Bytes the field or box needs.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// The declared size is smaller than the box header itself (sizes 1..7, or a
    /// 64-bit largesize below 16).
    #[error(
        "{box_type} at byte {offset}: size {size} is smaller than its {header_len}-byte header"
    )]
    SizeTooSmall {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// Declared size.
        size: u64,
        /// Header length (8, 16 with largesize, +16 for uuid).
        header_len: u64,
    },
    /// A size of 0 ("to the end of the file") inside a container.
    #[error("{box_type} at byte {offset}: size 0 (extends to end of file) is only allowed for a top-level box")]
    ZeroSize {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
    },
    /// The declared size runs past the end of the enclosing box (or of the buffer).
    #[error("{box_type} at byte {offset}: size {size} runs past the end of {parent} ({available} bytes left)")]
    SizeBeyondParent {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// Declared size.
        size: u64,
        /// Enclosing box.
        parent: BoxType,
        /// Bytes left in the parent from `offset`.
        available: u64,
    },
    /// The declared size exceeds [`MAX_BOX_SIZE`](super::limits::MAX_BOX_SIZE).
    #[error("{box_type} at byte {offset}: size {size} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// Declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Bytes left over after every field of the box was read.
    #[error("{box_type} at byte {offset}: {leftover} unread bytes at the end of the box")]
    TrailingBytes {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// Bytes not consumed.
        leftover: u64,
    },
    /// Boxes nested deeper than [`MAX_DEPTH`](super::limits::MAX_DEPTH).
    #[error("{box_type} at byte {offset}: nesting depth {depth} exceeds the limit of {limit}")]
    TooDeep {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// Its depth.
        depth: u32,
        /// The limit.
        limit: u32,
    },
    /// A count (samples, children, truns...) above its limit.
    #[error("{box_type} at byte {offset}: {what} count {count} exceeds the limit of {limit}")]
    TooMany {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// What was counted.
        what: &'static str,
        /// The count found or declared.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A required child box is absent.
    #[error("{parent} at byte {offset}: required box {missing} is missing")]
    Missing {
        /// The box that should contain it (or `fragment`).
        parent: BoxType,
        /// Start of the parent.
        offset: u64,
        /// The missing box.
        missing: BoxType,
    },
    /// A box that may appear once appeared again.
    #[error("{box_type} at byte {offset}: duplicate in {parent}")]
    Duplicate {
        /// The repeated box.
        box_type: BoxType,
        /// Start of the second occurrence.
        offset: u64,
        /// Its container.
        parent: BoxType,
    },
    /// A FullBox version this parser does not know.
    #[error("{box_type} at byte {offset}: version {version} is not supported")]
    UnsupportedVersion {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// Version found.
        version: u8,
    },
    /// A sample's data range is not inside the `mdat` payload.
    #[error("trun at byte {offset}: sample {sample} data [{start}, {end}) lies outside the mdat payload [{mdat_start}, {mdat_end})")]
    DataOutOfRange {
        /// Start of the `trun` that described the sample.
        offset: u64,
        /// Index of the sample in the fragment.
        sample: usize,
        /// First byte of the sample (absolute; may be negative for a hostile offset).
        start: i128,
        /// One past its last byte.
        end: i128,
        /// First byte of the mdat payload (absolute), or 0 when there is no mdat.
        mdat_start: u64,
        /// One past the end of the mdat payload.
        mdat_end: u64,
    },
    /// A field value that cannot be right (e.g. a sample count that disagrees with trun).
    #[error("{box_type} at byte {offset}: {reason}")]
    Invalid {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Valid ISO-BMFF that Smooth Streaming does not use and this parser does not handle.
    #[error("{box_type} at byte {offset}: unsupported: {reason}")]
    Unsupported {
        /// Box being read.
        box_type: BoxType,
        /// Start of the box.
        offset: u64,
        /// What is not supported.
        reason: String,
    },
}
