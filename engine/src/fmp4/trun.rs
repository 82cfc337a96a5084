//! `trun`: track fragment run, one entry per sample.

use super::error::BoxError;
use super::limits::{MAX_PREALLOC, MAX_SAMPLES_PER_TRUN};
use super::reader::Reader;

const DATA_OFFSET_PRESENT: u32 = 0x000_001;
const FIRST_SAMPLE_FLAGS_PRESENT: u32 = 0x000_004;
const SAMPLE_DURATION_PRESENT: u32 = 0x000_100;
const SAMPLE_SIZE_PRESENT: u32 = 0x000_200;
const SAMPLE_FLAGS_PRESENT: u32 = 0x000_400;
const SAMPLE_CTO_PRESENT: u32 = 0x000_800;

/// One `trun` entry; absent fields fall back to `tfhd` defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrunEntry {
    /// Duration in track timescale ticks.
    pub duration: Option<u32>,
    /// Size in bytes.
    pub size: Option<u32>,
    /// `sample_flags`.
    pub flags: Option<u32>,
    /// Composition time offset in ticks (unsigned in version 0, signed in version 1).
    pub composition_offset: Option<i64>,
}

/// A parsed `trun` box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trun {
    /// Absolute offset of the box (for errors).
    pub offset: u64,
    /// Data offset relative to the base data offset.
    pub data_offset: Option<i32>,
    /// Flags of the first sample, overriding the defaults for it alone.
    pub first_sample_flags: Option<u32>,
    /// Declared number of samples.
    pub sample_count: u32,
    /// One entry per sample, or empty when the trun has no per-sample fields (every
    /// sample then takes the `tfhd` defaults).
    pub entries: Vec<TrunEntry>,
}

impl Trun {
    /// Entry `i` (all fields absent when the trun has no per-sample fields).
    pub fn entry(&self, i: usize) -> TrunEntry {
        self.entries.get(i).copied().unwrap_or_default()
    }
}

/// Parses a `trun` payload. The declared sample count must match the bytes exactly.
pub(crate) fn parse(mut r: Reader<'_>) -> Result<Trun, BoxError> {
    let header = r.header();
    let (version, flags) = r.full_box()?;
    r.check_version(version, 1)?;
    let count = r.u32()?;
    if count > MAX_SAMPLES_PER_TRUN {
        return Err(BoxError::TooMany {
            box_type: header.box_type,
            offset: header.offset,
            what: "sample",
            count: u64::from(count),
            limit: u64::from(MAX_SAMPLES_PER_TRUN),
        });
    }
    let data_offset = if flags & DATA_OFFSET_PRESENT != 0 {
        Some(r.i32()?)
    } else {
        None
    };
    let first_sample_flags = if flags & FIRST_SAMPLE_FLAGS_PRESENT != 0 {
        Some(r.u32()?)
    } else {
        None
    };
    let per_sample = [
        SAMPLE_DURATION_PRESENT,
        SAMPLE_SIZE_PRESENT,
        SAMPLE_FLAGS_PRESENT,
        SAMPLE_CTO_PRESENT,
    ]
    .iter()
    .filter(|&&f| flags & f != 0)
    .count()
        * 4;
    let needed = u64::from(count) * per_sample as u64;
    if needed != r.remaining() as u64 {
        return Err(if needed > r.remaining() as u64 {
            BoxError::Truncated {
                box_type: header.box_type,
                offset: header.offset,
                needed,
                available: r.remaining() as u64,
            }
        } else {
            BoxError::TrailingBytes {
                box_type: header.box_type,
                offset: header.offset,
                leftover: r.remaining() as u64 - needed,
            }
        });
    }
    // With no per-sample fields the count is not backed by bytes: nothing is stored.
    let stored = if per_sample == 0 { 0 } else { count };
    let mut entries = Vec::with_capacity((stored as usize).min(MAX_PREALLOC));
    for _ in 0..stored {
        let mut e = TrunEntry::default();
        if flags & SAMPLE_DURATION_PRESENT != 0 {
            e.duration = Some(r.u32()?);
        }
        if flags & SAMPLE_SIZE_PRESENT != 0 {
            e.size = Some(r.u32()?);
        }
        if flags & SAMPLE_FLAGS_PRESENT != 0 {
            e.flags = Some(r.u32()?);
        }
        if flags & SAMPLE_CTO_PRESENT != 0 {
            let raw = r.u32()?;
            e.composition_offset = Some(if version == 0 {
                i64::from(raw)
            } else {
                i64::from(raw as i32)
            });
        }
        entries.push(e);
    }
    r.finish()?;
    Ok(Trun {
        offset: header.offset,
        data_offset,
        first_sample_flags,
        sample_count: count,
        entries,
    })
}
