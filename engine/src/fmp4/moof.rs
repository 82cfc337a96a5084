//! `moof`: the movie fragment box (`mfhd` + one `traf` in Smooth Streaming).

use bytes::Bytes;

use super::boxes::{BoxHeader, BoxType, Children, UnknownBox};
use super::error::BoxError;
use super::reader::Reader;
use super::traf::{self, Traf};

/// A parsed `moof`.
#[derive(Debug)]
pub(crate) struct Moof {
    pub(crate) header: BoxHeader,
    pub(crate) sequence_number: u32,
    pub(crate) traf: Traf,
}

/// Parses an `mfhd` payload: the fragment sequence number.
fn parse_mfhd(mut r: Reader<'_>) -> Result<u32, BoxError> {
    let (version, _flags) = r.full_box()?;
    r.check_version(version, 0)?;
    let n = r.u32()?;
    r.finish()?;
    Ok(n)
}

/// Parses a `moof` payload.
pub(crate) fn parse(
    moof: BoxHeader,
    payload: &[u8],
    file: &Bytes,
    unknown: &mut Vec<UnknownBox>,
) -> Result<Moof, BoxError> {
    const DEPTH: u32 = 2;
    let parent = moof.box_type;
    let mut sequence_number = None;
    let mut the_traf: Option<Traf> = None;
    for child in Children::new(payload, moof.payload_offset(), parent, DEPTH) {
        let (h, body) = child?;
        match h.box_type {
            BoxType::FourCc(c) if c == *b"mfhd" => {
                if sequence_number.is_some() {
                    return Err(BoxError::Duplicate {
                        box_type: h.box_type,
                        offset: h.offset,
                        parent,
                    });
                }
                sequence_number = Some(parse_mfhd(Reader::new(h, body))?);
            }
            BoxType::FourCc(c) if c == *b"traf" => {
                if the_traf.is_some() {
                    // A Smooth Streaming fragment carries exactly one track.
                    return Err(BoxError::Unsupported {
                        box_type: h.box_type,
                        offset: h.offset,
                        reason: "more than one traf in a moof".into(),
                    });
                }
                the_traf = Some(traf::parse(h, body, file, DEPTH, unknown)?);
            }
            _ => traf::remember(unknown, h, parent),
        }
    }
    let missing = |m: &[u8; 4]| BoxError::Missing {
        parent,
        offset: moof.offset,
        missing: BoxType::fourcc(m),
    };
    Ok(Moof {
        header: moof,
        sequence_number: sequence_number.ok_or_else(|| missing(b"mfhd"))?,
        traf: the_traf.ok_or_else(|| missing(b"traf"))?,
    })
}
