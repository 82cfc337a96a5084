//! `tfhd`: track fragment header, with the per-fragment sample defaults.

use super::error::BoxError;
use super::reader::Reader;

const BASE_DATA_OFFSET_PRESENT: u32 = 0x00_0001;
const SAMPLE_DESCRIPTION_INDEX_PRESENT: u32 = 0x00_0002;
const DEFAULT_SAMPLE_DURATION_PRESENT: u32 = 0x00_0008;
const DEFAULT_SAMPLE_SIZE_PRESENT: u32 = 0x00_0010;
const DEFAULT_SAMPLE_FLAGS_PRESENT: u32 = 0x00_0020;
const DURATION_IS_EMPTY: u32 = 0x01_0000;
const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;

/// Track fragment header (ISO 14496-12 8.8.7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tfhd {
    /// Track ID (Smooth Streaming fragments carry one track).
    pub track_id: u32,
    /// Absolute base offset for `trun` data offsets, if given.
    pub base_data_offset: Option<u64>,
    /// Sample description index, if given.
    pub sample_description_index: Option<u32>,
    /// Duration of samples whose `trun` entry has none, in track timescale ticks.
    pub default_sample_duration: Option<u32>,
    /// Size in bytes of samples whose `trun` entry has none.
    pub default_sample_size: Option<u32>,
    /// `sample_flags` of samples whose `trun` entry has none.
    pub default_sample_flags: Option<u32>,
    /// The fragment is empty of samples for its duration.
    pub duration_is_empty: bool,
    /// Data offsets are relative to the start of the `moof` (CMAF/DASH style).
    pub default_base_is_moof: bool,
}

/// Parses a `tfhd` payload.
pub(crate) fn parse(mut r: Reader<'_>) -> Result<Tfhd, BoxError> {
    let (version, flags) = r.full_box()?;
    r.check_version(version, 0)?;
    let mut t = Tfhd {
        track_id: r.u32()?,
        ..Tfhd::default()
    };
    if flags & BASE_DATA_OFFSET_PRESENT != 0 {
        t.base_data_offset = Some(r.u64()?);
    }
    if flags & SAMPLE_DESCRIPTION_INDEX_PRESENT != 0 {
        t.sample_description_index = Some(r.u32()?);
    }
    if flags & DEFAULT_SAMPLE_DURATION_PRESENT != 0 {
        t.default_sample_duration = Some(r.u32()?);
    }
    if flags & DEFAULT_SAMPLE_SIZE_PRESENT != 0 {
        t.default_sample_size = Some(r.u32()?);
    }
    if flags & DEFAULT_SAMPLE_FLAGS_PRESENT != 0 {
        t.default_sample_flags = Some(r.u32()?);
    }
    t.duration_is_empty = flags & DURATION_IS_EMPTY != 0;
    t.default_base_is_moof = flags & DEFAULT_BASE_IS_MOOF != 0;
    r.finish()?;
    Ok(t)
}
