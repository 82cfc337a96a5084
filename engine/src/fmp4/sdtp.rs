//! `sdtp`: independent and disposable samples, one byte per sample.

use super::error::BoxError;
use super::reader::Reader;

/// `sample_depends_on` values (ISO 14496-12 8.6.4).
pub(crate) const DEPENDS_ON_OTHERS: u8 = 1;
/// The sample does not depend on others (an I picture).
pub(crate) const DEPENDS_ON_NONE: u8 = 2;

/// Parses an `sdtp` payload into one flags byte per sample. The box has no count of its
/// own: every byte after the FullBox header is one sample.
pub(crate) fn parse(mut r: Reader<'_>) -> Result<Vec<u8>, BoxError> {
    let (version, _flags) = r.full_box()?;
    r.check_version(version, 0)?;
    let n = r.remaining();
    let entries = r.bytes(n)?.to_vec();
    r.finish()?;
    Ok(entries)
}

/// `sample_depends_on` of an `sdtp` entry.
pub(crate) fn depends_on(entry: u8) -> u8 {
    (entry >> 4) & 0b11
}
