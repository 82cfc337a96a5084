//! Typed manifest errors. Each names the element, the attribute and the byte offset
//! where known, and [`ManifestError::is_malformed`] separates bad bytes from features
//! we lack.

/// Longest attribute value or element name quoted back in an error message.
pub(crate) const MAX_QUOTED: usize = 64;

/// Why a client manifest could not be used as a whole.
///
/// Problems confined to one quality level (missing FourCC, bad CodecPrivateData) or to
/// one protection header (unknown SystemID, undecodable PlayReady object) do not fail
/// the manifest: they are reported on that item (`QualityLevel::problems`,
/// `ProtectionHeader::problem`).
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// The document is larger than `ManifestLimits::max_bytes`.
    #[error("manifest is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Document size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The bytes are neither UTF-8 nor UTF-16 with a byte-order mark.
    #[error("manifest is not UTF-8 (or UTF-16 with a BOM) text: invalid data at byte {offset}")]
    Encoding {
        /// Offset of the first invalid byte.
        offset: u64,
    },
    /// The XML itself is malformed (unclosed tag, mismatched end tag, bad attribute syntax).
    #[error("malformed XML at byte {offset}: {message}")]
    Xml {
        /// Byte offset where the XML reader stopped.
        offset: u64,
        /// The XML reader's description.
        message: String,
    },
    /// There is no root element at all.
    #[error("manifest has no root element")]
    Empty,
    /// The root element is not `<SmoothStreamingMedia>`.
    #[error("root element is <{found}>, expected <SmoothStreamingMedia>")]
    WrongRoot {
        /// The root element's name as written (truncated).
        found: String,
    },
    /// A required attribute is absent.
    #[error("<{element}> at byte {offset}: missing required attribute {attribute}")]
    MissingAttribute {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
        /// Byte offset of the element.
        offset: u64,
    },
    /// An attribute value cannot be interpreted.
    #[error("<{element}> at byte {offset}: {attribute}=\"{value}\" {reason}")]
    InvalidAttribute {
        /// Element name.
        element: &'static str,
        /// Attribute name as written (truncated).
        attribute: String,
        /// Value as written (truncated).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
        /// Byte offset of the element.
        offset: u64,
    },
    /// A count or size went past one of the `ManifestLimits`.
    #[error("<{element}> at byte {offset}: more than {limit} {what}")]
    LimitExceeded {
        /// Element where the limit was hit.
        element: &'static str,
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
        /// Byte offset of the element.
        offset: u64,
    },
    /// Elements are nested deeper than `ManifestLimits::max_depth`.
    #[error("elements nested deeper than {limit} at byte {offset}")]
    TooDeep {
        /// The depth limit.
        limit: usize,
        /// Byte offset of the element that went too deep.
        offset: u64,
    },
    /// A `<c>` element cannot be placed on its stream's timeline.
    #[error("StreamIndex #{stream}, chunk #{chunk} (<c> at byte {offset}): {problem}")]
    Timeline {
        /// Position of the `<StreamIndex>` in the document (0-based).
        stream: usize,
        /// Index of the chunk the `<c>` would have produced (0-based, after expansion).
        chunk: usize,
        /// Byte offset of the `<c>` element.
        offset: u64,
        /// What is wrong.
        problem: TimelineProblem,
    },
    /// Well-formed, but uses something this client does not implement.
    #[error("unsupported manifest: {feature}")]
    Unsupported {
        /// What is not supported.
        feature: String,
    },
}

impl ManifestError {
    /// `true` when the content is at fault (bad bytes); `false` when it is well-formed
    /// but uses a feature this client does not support.
    pub fn is_malformed(&self) -> bool {
        !matches!(self, ManifestError::Unsupported { .. })
    }
}

/// Why a `<c>` element does not fit its stream's timeline.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineProblem {
    /// No `t`, and the previous chunk has no `d` to derive it from.
    #[error("no start time: no t, and the previous chunk has no duration")]
    MissingStartTime,
    /// `r` greater than 1 without `d`: the repeated chunks would have no times.
    #[error("r without d")]
    RepeatWithoutDuration,
    /// Start plus duration does not fit in 64 bits.
    #[error("time overflows 64 bits")]
    TimeOverflow,
    /// A start time not after the previous chunk's start.
    #[error("start time {start} is not after the previous start {previous}")]
    NotIncreasing {
        /// The previous chunk's start, in ticks.
        previous: u64,
        /// This chunk's start, in ticks.
        start: u64,
    },
}

/// `s` cut to at most [`MAX_QUOTED`] characters, for quoting untrusted text in errors.
pub(crate) fn quoted(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!("{}...", s.get(..cut).unwrap_or_default()),
        None => s.to_owned(),
    }
}
