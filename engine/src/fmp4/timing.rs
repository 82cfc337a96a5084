//! Fragment timing boxes: Smooth's `tfxd` (this fragment's time) and `tfrf` (the next
//! ones) `uuid` boxes, and ISO `tfdt`.

use super::error::BoxError;
use super::reader::Reader;

/// `tfxd`: absolute start time and duration of this fragment (MS-SSTR 2.2.4.4), in the
/// stream's timescale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tfxd {
    /// Absolute start time in ticks.
    pub start: u64,
    /// Duration in ticks.
    pub duration: u64,
}

/// One `tfrf` entry: a fragment that follows this one on a live timeline (MS-SSTR 2.2.4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TfrfEntry {
    /// Absolute start time in ticks.
    pub start: u64,
    /// Duration in ticks.
    pub duration: u64,
}

/// Reads a time/duration pair: 32-bit in version 0, 64-bit in version 1.
fn time_pair(r: &mut Reader<'_>, version: u8) -> Result<(u64, u64), BoxError> {
    if version == 1 {
        Ok((r.u64()?, r.u64()?))
    } else {
        Ok((u64::from(r.u32()?), u64::from(r.u32()?)))
    }
}

/// Parses a `tfxd` payload.
pub(crate) fn parse_tfxd(mut r: Reader<'_>) -> Result<Tfxd, BoxError> {
    let (version, _flags) = r.full_box()?;
    r.check_version(version, 1)?;
    let (start, duration) = time_pair(&mut r, version)?;
    r.finish()?;
    Ok(Tfxd { start, duration })
}

/// Parses a `tfrf` payload (at most 255 entries: the count is one byte).
pub(crate) fn parse_tfrf(mut r: Reader<'_>) -> Result<Vec<TfrfEntry>, BoxError> {
    let (version, _flags) = r.full_box()?;
    r.check_version(version, 1)?;
    let count = r.u8()?;
    let mut entries = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let (start, duration) = time_pair(&mut r, version)?;
        entries.push(TfrfEntry { start, duration });
    }
    r.finish()?;
    Ok(entries)
}

/// Parses a `tfdt` payload: the base media decode time.
pub(crate) fn parse_tfdt(mut r: Reader<'_>) -> Result<u64, BoxError> {
    let (version, _flags) = r.full_box()?;
    r.check_version(version, 1)?;
    let t = if version == 1 {
        r.u64()?
    } else {
        u64::from(r.u32()?)
    };
    r.finish()?;
    Ok(t)
}
