//! `traf`: one track's fragment: header, runs, timing, dependency and encryption boxes.

use bytes::Bytes;

use super::boxes::{
    BoxHeader, BoxType, Children, UnknownBox, UUID_PIFF_SENC, UUID_TFRF, UUID_TFXD,
};
use super::error::BoxError;
use super::limits::{MAX_TRUNS_PER_TRAF, MAX_UNKNOWN_KEPT};
use super::reader::Reader;
use super::senc::{self, AuxInfoSizes, EncryptionBoxKind, SampleEncryption};
use super::tfhd::{self, Tfhd};
use super::timing::{self, TfrfEntry, Tfxd};
use super::trun::{self, Trun};
use super::{sdtp, timing::parse_tfdt};

/// Everything read from a `traf`, before samples are assembled.
#[derive(Debug, Default)]
pub(crate) struct Traf {
    pub(crate) tfhd: Tfhd,
    pub(crate) truns: Vec<Trun>,
    pub(crate) sdtp: Option<Vec<u8>>,
    pub(crate) tfdt: Option<u64>,
    pub(crate) tfxd: Option<Tfxd>,
    pub(crate) tfrf: Vec<TfrfEntry>,
    pub(crate) tfrf_present: bool,
    pub(crate) encryption: Option<SampleEncryption>,
}

fn once<T>(
    slot: &mut Option<T>,
    value: T,
    header: &BoxHeader,
    parent: BoxType,
) -> Result<(), BoxError> {
    if slot.is_some() {
        return Err(BoxError::Duplicate {
            box_type: header.box_type,
            offset: header.offset,
            parent,
        });
    }
    *slot = Some(value);
    Ok(())
}

/// Parses a `traf` payload. `file` is the whole fragment buffer (offset 0 = its first byte),
/// used to slice the encryption table without copying.
pub(crate) fn parse(
    traf: BoxHeader,
    payload: &[u8],
    file: &Bytes,
    depth: u32,
    unknown: &mut Vec<UnknownBox>,
) -> Result<Traf, BoxError> {
    let mut tfhd: Option<Tfhd> = None;
    let mut out = Traf::default();
    let mut tfxd = None;
    let mut tfrf = None;
    let mut piff_senc: Option<SampleEncryption> = None;
    let mut cenc_senc: Option<SampleEncryption> = None;
    let mut saiz: Option<AuxInfoSizes> = None;
    let mut saio: Option<Vec<u64>> = None;
    let parent = traf.box_type;
    for child in Children::new(payload, traf.payload_offset(), parent, depth + 1) {
        let (h, body) = child?;
        let r = Reader::new(h, body);
        match h.box_type {
            BoxType::FourCc(c) => match &c {
                b"tfhd" => once(&mut tfhd, tfhd::parse(r)?, &h, parent)?,
                b"trun" => {
                    if out.truns.len() >= MAX_TRUNS_PER_TRAF {
                        return Err(BoxError::TooMany {
                            box_type: h.box_type,
                            offset: h.offset,
                            what: "trun",
                            count: out.truns.len() as u64 + 1,
                            limit: MAX_TRUNS_PER_TRAF as u64,
                        });
                    }
                    out.truns.push(trun::parse(r)?);
                }
                b"sdtp" => once(&mut out.sdtp, sdtp::parse(r)?, &h, parent)?,
                b"tfdt" => once(&mut out.tfdt, parse_tfdt(r)?, &h, parent)?,
                b"senc" => {
                    let s = senc::parse_senc(
                        h,
                        body,
                        slice_payload(file, &h),
                        EncryptionBoxKind::Cenc,
                    )?;
                    once(&mut cenc_senc, s, &h, parent)?;
                }
                b"saiz" => once(&mut saiz, senc::parse_saiz(r)?, &h, parent)?,
                b"saio" => once(&mut saio, senc::parse_saio(r)?, &h, parent)?,
                _ => remember(unknown, h, parent),
            },
            BoxType::Uuid(u) => match u {
                UUID_TFXD => once(&mut tfxd, timing::parse_tfxd(r)?, &h, parent)?,
                UUID_TFRF => once(&mut tfrf, timing::parse_tfrf(r)?, &h, parent)?,
                UUID_PIFF_SENC => {
                    let s = senc::parse_senc(
                        h,
                        body,
                        slice_payload(file, &h),
                        EncryptionBoxKind::PiffUuid,
                    )?;
                    once(&mut piff_senc, s, &h, parent)?;
                }
                _ => remember(unknown, h, parent),
            },
            BoxType::Fragment => remember(unknown, h, parent),
        }
    }
    out.tfhd = tfhd.ok_or(BoxError::Missing {
        parent,
        offset: traf.offset,
        missing: BoxType::fourcc(b"tfhd"),
    })?;
    out.tfxd = tfxd;
    out.tfrf_present = tfrf.is_some();
    out.tfrf = tfrf.unwrap_or_default();
    // Bento4 writes a CENC senc (described by saiz/saio) and a PIFF uuid copy of it; the
    // CENC one is preferred because saiz pins its IV size.
    out.encryption = match (cenc_senc, piff_senc) {
        (Some(mut c), p) => {
            c.also_piff_uuid = p.is_some();
            Some(c)
        }
        (None, p) => p,
    };
    if let Some(enc) = out.encryption.as_mut() {
        enc.aux_info_sizes = saiz;
        enc.aux_info_offsets = saio.unwrap_or_default();
    }
    Ok(out)
}

fn slice_payload(file: &Bytes, h: &BoxHeader) -> Bytes {
    let start = usize::try_from(h.payload_offset()).unwrap_or(usize::MAX);
    let end = usize::try_from(h.offset.saturating_add(h.size)).unwrap_or(usize::MAX);
    if start <= end && end <= file.len() {
        file.slice(start..end)
    } else {
        Bytes::new()
    }
}

/// Records an unknown box for diagnostics (up to a limit).
pub(crate) fn remember(unknown: &mut Vec<UnknownBox>, h: BoxHeader, parent: BoxType) {
    if unknown.len() < MAX_UNKNOWN_KEPT {
        unknown.push(UnknownBox {
            box_type: h.box_type,
            parent,
            offset: h.offset,
            size: h.size,
        });
    }
}
