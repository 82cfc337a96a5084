//! Sample encryption boxes: the PIFF 1.1 SampleEncryptionBox (`uuid` a2394f52-..),
//! CENC `senc`, and the `saiz`/`saio` auxiliary-information boxes.
//!
//! Smooth clients never receive the track encryption box, so the per-sample IV size is
//! not always known when the fragment is parsed: it comes from the PIFF override fields,
//! else from `saiz` (entry sizes), else from the PlayReady header ALGID (known only to the
//! caller, see [`Fragment::apply_iv_size`](super::Fragment::apply_iv_size)), else from the
//! box size (the IV size among 8 and 16 that consumes the box exactly).

use bytes::Bytes;

use super::boxes::BoxHeader;
use super::error::BoxError;
use super::limits::MAX_PREALLOC;
use super::reader::Reader;

/// PIFF flag: AlgorithmID, IV size and KID follow the FullBox header.
const OVERRIDE_TRACK_ENCRYPTION: u32 = 0x1;
/// PIFF and CENC flag: each sample entry carries a subsample table.
const USE_SUBSAMPLE_ENCRYPTION: u32 = 0x2;

/// IV sizes tried when nothing says which one is used.
pub const CANDIDATE_IV_SIZES: [u8; 2] = [8, 16];

/// Which box carried the sample encryption table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncryptionBoxKind {
    /// PIFF 1.1 `uuid` a2394f52-5a9b-4f14-a244-6c427c648df4.
    PiffUuid,
    /// ISO 23001-7 (CENC) `senc`.
    Cenc,
}

/// PIFF override fields (flags & 1): the track encryption parameters for this fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptionOverride {
    /// 0 clear, 1 AES-128-CTR, 2 AES-128-CBC.
    pub algorithm_id: u32,
    /// IV size in bytes (8 or 16).
    pub iv_size: u8,
    /// Key ID, in the big-endian (CENC) byte order.
    pub kid: [u8; 16],
}

/// Where the IV size used for [`Sample::encryption`](super::Sample::encryption) came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IvSizeSource {
    /// PIFF override fields.
    Override,
    /// `saiz` entry sizes.
    AuxInfoSizes,
    /// The protection header's algorithm (set by the caller).
    ProtectionHeader,
    /// The only candidate size that consumes the box exactly.
    BoxSize,
}

/// An initialisation vector of 8 or 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Iv {
    bytes: [u8; 16],
    len: u8,
}

impl Iv {
    /// An IV from 1..=16 bytes (`None` for other lengths).
    pub fn from_slice(s: &[u8]) -> Option<Self> {
        if s.is_empty() || s.len() > 16 {
            return None;
        }
        let mut bytes = [0u8; 16];
        bytes.get_mut(..s.len())?.copy_from_slice(s);
        Some(Iv {
            bytes,
            len: s.len() as u8,
        })
    }

    /// The IV bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.bytes
            .get(..usize::from(self.len))
            .unwrap_or(&self.bytes)
    }

    /// The IV padded with zeros to 16 bytes (an 8-byte CTR IV is the high half of the
    /// counter block).
    pub fn to_block(&self) -> [u8; 16] {
        self.bytes
    }
}

impl std::fmt::Debug for Iv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Iv(")?;
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// One subsample: `clear_bytes` in the clear, then `encrypted_bytes` encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subsample {
    /// Leading clear bytes.
    pub clear_bytes: u16,
    /// Following encrypted bytes.
    pub encrypted_bytes: u32,
}

/// How one sample is encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleCrypto {
    /// Its IV.
    pub iv: Iv,
    /// Subsample table; empty means the whole sample is encrypted.
    pub subsamples: Vec<Subsample>,
}

/// `saiz`: size of each sample's auxiliary information (for CENC, its `senc` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuxInfoSizes {
    /// Size shared by every sample, when non-zero.
    pub default_size: Option<u8>,
    /// Declared sample count.
    pub sample_count: u32,
    /// Per-sample sizes (empty when `default_size` is set).
    pub sizes: Vec<u8>,
}

impl AuxInfoSizes {
    /// Size of sample `i`'s entry.
    pub fn size_of(&self, i: usize) -> Option<u8> {
        self.default_size.or_else(|| self.sizes.get(i).copied())
    }
}

/// The sample encryption table of a fragment, as parsed. Its entries are decoded into
/// [`Sample::encryption`](super::Sample::encryption) once the IV size is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleEncryption {
    /// Which box it came from (a CENC `senc` wins when both are present: it has `saiz`).
    pub kind: EncryptionBoxKind,
    /// Absolute offset of the box.
    pub offset: u64,
    /// FullBox flags.
    pub flags: u32,
    /// PIFF override fields, when flags & 1.
    pub overrides: Option<EncryptionOverride>,
    /// Declared number of entries.
    pub sample_count: u32,
    /// Whether entries carry subsample tables (flags & 2).
    pub has_subsamples: bool,
    /// IV size used to fill the samples' encryption info, if known.
    pub iv_size: Option<u8>,
    /// Where `iv_size` came from.
    pub iv_size_source: Option<IvSizeSource>,
    /// `saiz` of the same traf, if any.
    pub aux_info_sizes: Option<AuxInfoSizes>,
    /// `saio` offsets of the same traf, if any (relative to the base data offset).
    pub aux_info_offsets: Vec<u64>,
    /// Whether a PIFF uuid copy was present besides a CENC `senc` (Bento4 writes both).
    pub also_piff_uuid: bool,
    header: BoxHeader,
    /// The entry bytes after `sample_count`.
    entries: Bytes,
}

/// Parses a PIFF `uuid` sample encryption box or a CENC `senc` (same layout except for the
/// PIFF override fields). `payload` is the box payload as a slice of the fragment.
pub(crate) fn parse_senc(
    header: BoxHeader,
    payload: &[u8],
    payload_bytes: Bytes,
    kind: EncryptionBoxKind,
) -> Result<SampleEncryption, BoxError> {
    let mut r = Reader::new(header, payload);
    let (version, flags) = r.full_box()?;
    r.check_version(version, 0)?;
    let overrides = if flags & OVERRIDE_TRACK_ENCRYPTION != 0 && kind == EncryptionBoxKind::PiffUuid
    {
        let algorithm_id = r.u24()?;
        let iv_size = r.u8()?;
        let kid = r.array::<16>()?;
        if algorithm_id != 0 && !CANDIDATE_IV_SIZES.contains(&iv_size) {
            return Err(r.invalid(format!("override IV size {iv_size} (expected 8 or 16)")));
        }
        Some(EncryptionOverride {
            algorithm_id,
            iv_size,
            kid,
        })
    } else {
        None
    };
    let sample_count = r.u32()?;
    let start = payload.len() - r.remaining();
    let entries = payload_bytes.slice(start..);
    let rest = r.remaining();
    r.bytes(rest)?;
    r.finish()?;
    Ok(SampleEncryption {
        kind,
        offset: header.offset,
        flags,
        overrides,
        sample_count,
        has_subsamples: flags & USE_SUBSAMPLE_ENCRYPTION != 0,
        iv_size: None,
        iv_size_source: None,
        aux_info_sizes: None,
        aux_info_offsets: Vec::new(),
        also_piff_uuid: false,
        header,
        entries,
    })
}

impl SampleEncryption {
    /// Decodes every entry with the given IV size. The entries must consume the box
    /// exactly, and agree with `saiz` when it is present.
    pub fn entries(&self, iv_size: u8) -> Result<Vec<SampleCrypto>, BoxError> {
        let mut r = Reader::new(self.header, &self.entries);
        let count = self.sample_count as usize;
        // Each entry takes at least `iv_size` bytes: never pre-allocate beyond what the
        // remaining bytes can hold.
        let per_entry_min = usize::from(iv_size.max(1)) + if self.has_subsamples { 2 } else { 0 };
        let mut out =
            Vec::with_capacity(count.min(r.remaining() / per_entry_min).min(MAX_PREALLOC));
        for i in 0..count {
            let before = r.remaining();
            let iv = Iv::from_slice(r.bytes(usize::from(iv_size))?)
                .ok_or_else(|| r.invalid(format!("IV size {iv_size}")))?;
            let mut subsamples = Vec::new();
            if self.has_subsamples {
                let n = usize::from(r.u16()?);
                subsamples.reserve(n.min(r.remaining() / 6));
                for _ in 0..n {
                    subsamples.push(Subsample {
                        clear_bytes: r.u16()?,
                        encrypted_bytes: r.u32()?,
                    });
                }
            }
            if let Some(aux) = &self.aux_info_sizes {
                let used = before - r.remaining();
                if let Some(expected) = aux.size_of(i) {
                    if usize::from(expected) != used {
                        return Err(r.invalid(format!(
                            "sample {i}: entry is {used} bytes with IV size {iv_size}, saiz says {expected}"
                        )));
                    }
                }
            }
            out.push(SampleCrypto { iv, subsamples });
        }
        r.finish()?;
        Ok(out)
    }

    /// The IV sizes among [`CANDIDATE_IV_SIZES`] whose entries consume the box exactly
    /// (and agree with `saiz`).
    pub fn candidate_iv_sizes(&self) -> Vec<u8> {
        CANDIDATE_IV_SIZES
            .iter()
            .copied()
            .filter(|&s| self.entries(s).is_ok())
            .collect()
    }

    /// The IV size that can be decided from the fragment alone: the override fields,
    /// else the only size consistent with `saiz`, else the only size that consumes the box.
    pub(crate) fn intrinsic_iv_size(&self) -> Option<(u8, IvSizeSource)> {
        if let Some(o) = self.overrides {
            // AlgorithmID 0: the samples are clear and carry no IVs.
            return (o.algorithm_id != 0).then_some((o.iv_size, IvSizeSource::Override));
        }
        match self.candidate_iv_sizes().as_slice() {
            [one] if self.aux_info_sizes.is_some() => Some((*one, IvSizeSource::AuxInfoSizes)),
            [one] => Some((*one, IvSizeSource::BoxSize)),
            _ => None,
        }
    }
}

/// Parses a `saiz` payload.
pub(crate) fn parse_saiz(mut r: Reader<'_>) -> Result<AuxInfoSizes, BoxError> {
    let (version, flags) = r.full_box()?;
    r.check_version(version, 0)?;
    if flags & 1 != 0 {
        let _aux_info_type = r.u32()?;
        let _aux_info_type_parameter = r.u32()?;
    }
    let default = r.u8()?;
    let sample_count = r.u32()?;
    let sizes = if default == 0 {
        r.bytes(sample_count as usize)?.to_vec()
    } else {
        Vec::new()
    };
    r.finish()?;
    Ok(AuxInfoSizes {
        default_size: (default != 0).then_some(default),
        sample_count,
        sizes,
    })
}

/// Parses a `saio` payload into its offsets.
pub(crate) fn parse_saio(mut r: Reader<'_>) -> Result<Vec<u64>, BoxError> {
    let (version, flags) = r.full_box()?;
    r.check_version(version, 1)?;
    if flags & 1 != 0 {
        let _aux_info_type = r.u32()?;
        let _aux_info_type_parameter = r.u32()?;
    }
    let count = r.u32()? as usize;
    let width = if version == 0 { 4 } else { 8 };
    let mut offsets = Vec::with_capacity(count.min(r.remaining() / width));
    for _ in 0..count {
        offsets.push(if version == 0 {
            u64::from(r.u32()?)
        } else {
            r.u64()?
        });
    }
    r.finish()?;
    Ok(offsets)
}
