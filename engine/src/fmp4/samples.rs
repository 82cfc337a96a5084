//! Assembling samples from the parsed boxes: tfhd defaults, trun entries, data offsets
//! into the mdat, sync flags, and the encryption table.

use std::ops::Range;

use bytes::Bytes;

use super::boxes::{BoxType, Children};
use super::error::BoxError;
use super::limits::{MAX_PREALLOC, MAX_SAMPLES_PER_FRAGMENT};
use super::moof::{self, Moof};
use super::sdtp::{depends_on, DEPENDS_ON_NONE, DEPENDS_ON_OTHERS};
use super::traf::remember;
use super::{enc_box_type, Fragment, Sample};

/// `sample_is_non_sync_sample` bit of `sample_flags`.
const FLAG_NON_SYNC: u32 = 0x0001_0000;

/// Whether `sample_flags` describe a sync sample.
fn flags_say_sync(flags: u32) -> bool {
    let depends = ((flags >> 24) & 0b11) as u8;
    flags & FLAG_NON_SYNC == 0 && depends != DEPENDS_ON_OTHERS
}

pub(crate) fn parse(data: Bytes) -> Result<Fragment, BoxError> {
    let mut unknown = Vec::new();
    let mut moof: Option<Moof> = None;
    let mut mdat: Option<Range<u64>> = None;
    for child in Children::new(&data, 0, BoxType::Fragment, 1) {
        let (h, body) = child?;
        match h.box_type {
            BoxType::FourCc(c) if c == *b"moof" => {
                if moof.is_some() {
                    return Err(BoxError::Unsupported {
                        box_type: h.box_type,
                        offset: h.offset,
                        reason: "more than one moof in a fragment response".into(),
                    });
                }
                moof = Some(moof::parse(h, body, &data, &mut unknown)?);
            }
            // The first mdat after the moof holds its samples.
            BoxType::FourCc(c) if c == *b"mdat" && moof.is_some() && mdat.is_none() => {
                mdat = Some(h.payload_offset()..h.offset + h.size);
            }
            _ => remember(&mut unknown, h, BoxType::Fragment),
        }
    }
    let moof = moof.ok_or(BoxError::Missing {
        parent: BoxType::Fragment,
        offset: 0,
        missing: BoxType::fourcc(b"moof"),
    })?;
    build(data, moof, mdat, unknown)
}

fn build(
    data: Bytes,
    moof: Moof,
    mdat: Option<Range<u64>>,
    unknown_boxes: Vec<super::UnknownBox>,
) -> Result<Fragment, BoxError> {
    let traf = moof.traf;
    let tfhd = &traf.tfhd;
    let total: usize = traf.truns.iter().map(|t| t.sample_count as usize).sum();
    if total > MAX_SAMPLES_PER_FRAGMENT {
        return Err(BoxError::TooMany {
            box_type: moof.header.box_type,
            offset: moof.header.offset,
            what: "sample",
            count: total as u64,
            limit: MAX_SAMPLES_PER_FRAGMENT as u64,
        });
    }
    let mdat_range = mdat.clone().unwrap_or(0..0);
    // ISO 14496-12 8.8.7: offsets are relative to base_data_offset if given, else to the
    // moof (explicitly with default-base-is-moof, and implicitly for the first traf).
    let base: i128 = i128::from(tfhd.base_data_offset.unwrap_or(moof.header.offset));
    let mut samples = Vec::with_capacity(total.min(MAX_PREALLOC));
    let mut next_data: Option<i128> = None;
    let mut decode_offset: u64 = 0;
    let mut data_offset_repaired = false;
    for trun in &traf.truns {
        let mut pos = match (trun.data_offset, next_data) {
            (Some(off), _) => base + i128::from(off),
            (None, Some(prev_end)) => prev_end,
            // A first trun without data_offset and no explicit base: ISO says "the moof",
            // which cannot hold sample data; real writers mean the mdat payload.
            (None, None) if tfhd.base_data_offset.is_none() => i128::from(mdat_range.start),
            (None, None) => base,
        };
        // A data offset that points back into the moof cannot address sample data: the
        // packager added boxes (the dash.js live capture: a 61-byte tfrf) after computing
        // it. Like dash.js, which rewrites trun.data_offset, take the mdat payload start.
        if next_data.is_none()
            && pos < i128::from(mdat_range.start)
            && pos >= i128::from(moof.header.offset)
            && pos < i128::from(moof.header.offset + moof.header.size)
        {
            pos = i128::from(mdat_range.start);
            data_offset_repaired = true;
        }
        // A count with no per-sample fields is backed by no bytes: allow a large one only
        // when each sample takes mdat bytes (checked sample by sample below).
        if trun.entries.is_empty()
            && trun.sample_count as usize > MAX_PREALLOC
            && tfhd.default_sample_size.unwrap_or(0) == 0
        {
            return Err(BoxError::TooMany {
                box_type: BoxType::fourcc(b"trun"),
                offset: trun.offset,
                what: "empty sample",
                count: u64::from(trun.sample_count),
                limit: MAX_PREALLOC as u64,
            });
        }
        for i in 0..trun.sample_count as usize {
            let e = trun.entry(i);
            let index = samples.len();
            let invalid = |reason: String| BoxError::Invalid {
                box_type: BoxType::fourcc(b"trun"),
                offset: trun.offset,
                reason,
            };
            let duration = e
                .duration
                .or(tfhd.default_sample_duration)
                .ok_or_else(|| invalid(format!("sample {index}: no duration in trun or tfhd")))?;
            let size = e
                .size
                .or(tfhd.default_sample_size)
                .ok_or_else(|| invalid(format!("sample {index}: no size in trun or tfhd")))?;
            let end = pos + i128::from(size);
            if mdat.is_none() && size > 0 {
                return Err(BoxError::Missing {
                    parent: BoxType::Fragment,
                    offset: 0,
                    missing: BoxType::fourcc(b"mdat"),
                });
            }
            let sample_data = if size == 0 {
                Bytes::new()
            } else if pos >= i128::from(mdat_range.start) && end <= i128::from(mdat_range.end) {
                // In range of the mdat, hence of `data` (usize).
                data.slice(pos as usize..end as usize)
            } else {
                return Err(BoxError::DataOutOfRange {
                    offset: trun.offset,
                    sample: index,
                    start: pos,
                    end,
                    mdat_start: mdat_range.start,
                    mdat_end: mdat_range.end,
                });
            };
            pos = end;
            // Sync: explicit per-sample (or first-sample) flags, else sdtp, else the tfhd
            // default flags, else sync. sdtp outranks the tfhd default because some
            // packagers (the Shaka/IIS captures) write a default that marks every sample
            // sync while sdtp marks only the IDR.
            let explicit = e.flags.or(if i == 0 {
                trun.first_sample_flags
            } else {
                None
            });
            let sdtp_depends = traf
                .sdtp
                .as_ref()
                .and_then(|s| s.get(index))
                .map(|&b| depends_on(b));
            let is_sync = match (explicit, sdtp_depends, tfhd.default_sample_flags) {
                (Some(f), _, _) => flags_say_sync(f),
                (None, Some(DEPENDS_ON_NONE), _) => true,
                (None, Some(DEPENDS_ON_OTHERS), _) => false,
                (None, _, Some(f)) => flags_say_sync(f),
                (None, _, None) => true,
            };
            samples.push(Sample {
                decode_offset,
                composition_offset: e.composition_offset.unwrap_or(0),
                duration,
                is_sync,
                data: sample_data,
                encryption: None,
            });
            decode_offset = decode_offset.saturating_add(u64::from(duration));
        }
        next_data = Some(pos);
    }
    let mut fragment = Fragment {
        sequence_number: moof.sequence_number,
        track_id: tfhd.track_id,
        tfxd: traf.tfxd,
        tfrf: traf.tfrf,
        tfrf_present: traf.tfrf_present,
        tfdt: traf.tfdt,
        samples,
        encryption: traf.encryption,
        sample_description_index: tfhd.sample_description_index,
        has_sdtp: traf.sdtp.is_some(),
        data_offset_repaired,
        unknown_boxes,
        moof_offset: moof.header.offset,
    };
    if let Some(enc) = &fragment.encryption {
        if enc.sample_count as usize != fragment.samples.len() {
            return Err(BoxError::Invalid {
                box_type: enc_box_type(enc),
                offset: enc.offset,
                reason: format!(
                    "{} entries for {} samples",
                    enc.sample_count,
                    fragment.samples.len()
                ),
            });
        }
        if let Some((iv_size, source)) = enc.intrinsic_iv_size() {
            fragment.apply_iv_size(iv_size, source)?;
        }
    }
    Ok(fragment)
}
