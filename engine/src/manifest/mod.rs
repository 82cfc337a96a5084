//! Client manifest (MS-SSTR §2.2.2): model and parser.
//!
//! [`Manifest::parse`] turns the bytes of a `SmoothStreamingMedia` document into an
//! immutable [`Manifest`]: streams with their quality levels and their chunk timelines
//! expanded to absolute times, and the protection headers decoded (PlayReady KIDs in
//! both byte orders, LA_URL, ALGID, CHECKSUM). It is lenient where real servers are
//! sloppy (attribute name case, `IsLive="true"`, braces in SystemID, v1.0 `Width`, a
//! missing FourCC) and strict where sloppiness would be dangerous: every count and size
//! is bounded by [`ManifestLimits`] and every failure is a typed [`ManifestError`].

mod attr_values;
mod audio_config;
mod encoding;
mod error;
mod level_checks;
mod limits;
mod model;
mod parse;
pub mod playready;
pub mod protection;
mod timeline;
pub(crate) mod url_template;
mod wrmheader;
pub(crate) mod xml_util;

#[cfg(test)]
mod tests;

pub use error::{ManifestError, TimelineProblem};
pub use limits::ManifestLimits;
pub use model::{
    Chunk, ChunkPayload, LevelProblem, Manifest, PayloadData, QualityLevel, StreamIndex, StreamKind,
};
pub use playready::{
    guid_to_cenc, verify_checksum, Algorithm, PlayReadyError, PlayReadyHeader, PlayReadyKid,
};
pub use protection::{parse_system_id, ProtectionHeader, ProtectionProblem, PLAYREADY_SYSTEM_ID};

impl Manifest {
    /// Parses a client manifest with the default [`ManifestLimits`].
    pub fn parse(xml: &[u8]) -> Result<Manifest, ManifestError> {
        Self::parse_with_limits(xml, &ManifestLimits::default())
    }

    /// Parses a client manifest under explicit limits.
    pub fn parse_with_limits(
        xml: &[u8],
        limits: &ManifestLimits,
    ) -> Result<Manifest, ManifestError> {
        parse::parse_manifest(xml, limits)
    }

    /// The first PlayReady header, if any.
    pub fn playready(&self) -> Option<&PlayReadyHeader> {
        self.protection.iter().find_map(|p| p.playready.as_ref())
    }
}
