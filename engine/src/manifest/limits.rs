//! Explicit bounds on what a client manifest may make us allocate or walk.
//!
//! A manifest comes from the network, so every count and size it controls is capped
//! here. The defaults are far above anything a real server sends (the largest peer
//! manifest has a few hundred chunks per stream) and low enough that a hostile one
//! cannot exhaust memory.

/// Limits applied by [`crate::manifest::Manifest::parse_with_limits`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestLimits {
    /// Largest manifest document accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting accepted (the real structure is 4 levels deep).
    pub max_depth: usize,
    /// Most `<StreamIndex>` elements.
    pub max_streams: usize,
    /// Most `<QualityLevel>` elements per stream.
    pub max_levels_per_stream: usize,
    /// Most chunks per stream after `r` expansion.
    pub max_chunks_per_stream: usize,
    /// Most chunks over all streams after `r` expansion.
    pub max_total_chunks: usize,
    /// Most `<Attribute>` entries in one `<CustomAttributes>`.
    pub max_custom_attributes: usize,
    /// Most `<f>` payload elements in one `<c>`.
    pub max_payloads_per_chunk: usize,
    /// Most `<ProtectionHeader>` elements.
    pub max_protection_headers: usize,
    /// Longest attribute value, in bytes.
    pub max_attribute_len: usize,
    /// Longest text content of one element (`<ProtectionHeader>`, `<f>`), in bytes.
    pub max_text_len: usize,
    /// Most KIDs in one PlayReady header.
    pub max_kids: usize,
}

impl ManifestLimits {
    /// Default: 16 MiB document.
    pub const DEFAULT_MAX_BYTES: usize = 16 * 1024 * 1024;
    /// Default nesting depth.
    pub const DEFAULT_MAX_DEPTH: usize = 32;
    /// Default stream count.
    pub const DEFAULT_MAX_STREAMS: usize = 64;
    /// Default quality levels per stream.
    pub const DEFAULT_MAX_LEVELS: usize = 64;
    /// Default chunks per stream.
    pub const DEFAULT_MAX_CHUNKS_PER_STREAM: usize = 1_000_000;
    /// Default chunks in total (about 64 bytes each in memory).
    pub const DEFAULT_MAX_TOTAL_CHUNKS: usize = 4_000_000;
    /// Default custom attributes per element.
    pub const DEFAULT_MAX_CUSTOM_ATTRIBUTES: usize = 64;
    /// Default `<f>` payloads per chunk.
    pub const DEFAULT_MAX_PAYLOADS_PER_CHUNK: usize = 64;
    /// Default protection headers.
    pub const DEFAULT_MAX_PROTECTION_HEADERS: usize = 16;
    /// Default attribute length: 64 KiB (CodecPrivateData is a few hundred bytes).
    pub const DEFAULT_MAX_ATTRIBUTE_LEN: usize = 64 * 1024;
    /// Default text length: 1 MiB (a PlayReady object with an embedded license store fits).
    pub const DEFAULT_MAX_TEXT_LEN: usize = 1024 * 1024;
    /// Default KIDs per PlayReady header.
    pub const DEFAULT_MAX_KIDS: usize = 64;
}

impl Default for ManifestLimits {
    fn default() -> Self {
        ManifestLimits {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_streams: Self::DEFAULT_MAX_STREAMS,
            max_levels_per_stream: Self::DEFAULT_MAX_LEVELS,
            max_chunks_per_stream: Self::DEFAULT_MAX_CHUNKS_PER_STREAM,
            max_total_chunks: Self::DEFAULT_MAX_TOTAL_CHUNKS,
            max_custom_attributes: Self::DEFAULT_MAX_CUSTOM_ATTRIBUTES,
            max_payloads_per_chunk: Self::DEFAULT_MAX_PAYLOADS_PER_CHUNK,
            max_protection_headers: Self::DEFAULT_MAX_PROTECTION_HEADERS,
            max_attribute_len: Self::DEFAULT_MAX_ATTRIBUTE_LEN,
            max_text_len: Self::DEFAULT_MAX_TEXT_LEN,
            max_kids: Self::DEFAULT_MAX_KIDS,
        }
    }
}
