//! Cheap validity checks on decrypted samples, to tell a right key from a wrong one.
//!
//! What they can and cannot see: a wrong key turns every encrypted byte into noise.
//! When the whole sample is encrypted (AAC, or H.264 without a subsample table), the
//! structure at the start of the sample breaks and these checks catch it with high
//! probability per sample (and near certainty over a fragment). When H.264 is encrypted
//! by subsamples, NAL lengths, headers and slice headers stay clear; only slice data (CABAC
//! or CAVLC, itself close to random) is garbled, so the structural H.264 check catches a
//! wrong key only through emulation-prevention and trailing-bit violations, which is
//! weak. A caller that has a decoder can plug a trial decode in as a [`SampleValidator`].

/// What the samples of a track are, for the validity check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecKind {
    /// H.264 samples of length-prefixed NAL units (`NALUnitLengthField`, 1..=4 bytes).
    H264 {
        /// Size of the NAL length prefix in bytes.
        nal_length_size: u8,
    },
    /// Raw AAC-LC access units.
    Aac,
    /// Anything else: no structural check is possible.
    Unchecked,
}

impl CodecKind {
    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::H264 { .. } => "H.264",
            CodecKind::Aac => "AAC",
            CodecKind::Unchecked => "media",
        }
    }

    /// Whether a decrypted sample passes the structural check (`None`: no check exists).
    pub fn check(self, sample: &[u8]) -> Option<bool> {
        match self {
            CodecKind::H264 { nal_length_size } => Some(looks_like_h264(sample, nal_length_size)),
            CodecKind::Aac => Some(looks_like_aac(sample)),
            CodecKind::Unchecked => None,
        }
    }
}

/// An extra validity check supplied by the caller (e.g. a trial decode).
pub trait SampleValidator: Send + Sync {
    /// Whether the decrypted sample looks like valid media.
    fn looks_valid(&self, sample: &[u8]) -> bool;
}

/// Whether `sample` is a plausible H.264 access unit of length-prefixed NAL units: the
/// prefixes walk the sample exactly, every NAL header has forbidden_zero_bit clear, a
/// known type with a consistent nal_ref_idc, no start-code emulation (`00 00 00`..`02`),
/// a non-zero last byte (rbsp_stop_one_bit), and at least one slice.
pub fn looks_like_h264(sample: &[u8], nal_length_size: u8) -> bool {
    let n = usize::from(nal_length_size);
    if !(1..=4).contains(&n) {
        return false;
    }
    let mut pos = 0usize;
    let mut slices = 0usize;
    while pos < sample.len() {
        let Some(prefix) = sample.get(pos..pos + n) else {
            return false;
        };
        let len = prefix
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        pos += n;
        let Some(nal) = sample.get(pos..pos.saturating_add(len)) else {
            return false;
        };
        if !nal_unit_is_plausible(nal) {
            return false;
        }
        if matches!(nal.first().map(|h| h & 0x1f), Some(1..=5)) {
            slices += 1;
        }
        pos += len;
    }
    slices > 0
}

fn nal_unit_is_plausible(nal: &[u8]) -> bool {
    let (Some(&header), Some(&last)) = (nal.first(), nal.last()) else {
        return false;
    };
    let forbidden = header & 0x80;
    let ref_idc = (header >> 5) & 0b11;
    let nal_type = header & 0x1f;
    let type_ok = match nal_type {
        5 | 7 | 8 => ref_idc != 0,
        6 | 9 | 10 | 11 | 12 => ref_idc == 0,
        1..=4 | 13 | 14 | 15 | 19 | 20 => true,
        _ => false,
    };
    forbidden == 0 && type_ok && last != 0 && !has_start_code_emulation(nal.get(1..).unwrap_or(&[]))
}

/// `00 00 00`, `00 00 01` or `00 00 02` cannot occur inside a NAL unit (emulation
/// prevention inserts `03`), and `00 00 03` must be followed by a byte <= 3.
fn has_start_code_emulation(payload: &[u8]) -> bool {
    let mut i = 0usize;
    while let Some(rel) = payload
        .get(i..)
        .and_then(|s| s.windows(2).position(|w| w == [0, 0]))
    {
        let at = i + rel;
        match payload.get(at + 2) {
            Some(0..=2) => return true,
            Some(3) => {
                if payload.get(at + 3).is_some_and(|&b| b > 3) {
                    return true;
                }
                i = at + 3;
            }
            Some(_) => i = at + 2,
            None => return false,
        }
    }
    false
}

/// Big-endian bit reader over a byte slice.
struct Bits<'a> {
    data: &'a [u8],
    bit: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.bit / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - (self.bit % 8))) & 1);
            self.bit += 1;
        }
        Some(v)
    }

    fn skip_bytes(&mut self, n: usize) -> Option<()> {
        self.bit = self.bit.checked_add(n.checked_mul(8)?)?;
        (self.bit <= self.data.len() * 8).then_some(())
    }

    fn align(&mut self) {
        self.bit = self.bit.div_ceil(8) * 8;
    }
}

const ID_SCE: u32 = 0;
const ID_CPE: u32 = 1;
const ID_CCE: u32 = 2;
const ID_LFE: u32 = 3;
const ID_DSE: u32 = 4;
const ID_PCE: u32 = 5;
const ID_FIL: u32 = 6;
const ID_END: u32 = 7;

/// Whether `sample` is a plausible raw AAC-LC access unit: the syntax elements before
/// the first channel element (DSE and FIL are skipped by their lengths) are well formed,
/// and the first SCE/CPE/LFE has a sane `ics_info` (reserved bit clear, max_sfb within
/// the scale-factor band count, no prediction, which AAC-LC forbids, no reserved
/// ms_mask_present); a PCE must say AAC-LC; CCE is refused. On noise it passes about one
/// sample in five, so a whole fragment of wrong-key samples passes with negligible odds.
pub fn looks_like_aac(sample: &[u8]) -> bool {
    let mut b = Bits {
        data: sample,
        bit: 0,
    };
    aac_elements(&mut b).unwrap_or(false)
}

fn aac_elements(b: &mut Bits<'_>) -> Option<bool> {
    for seen in 0..64 {
        let id = b.read(3)?;
        match id {
            ID_SCE | ID_LFE => {
                b.read(4)?; // element_instance_tag
                b.read(8)?; // global_gain
                return ics_info(b);
            }
            ID_CPE => {
                b.read(4)?;
                if b.read(1)? == 1 {
                    // common_window: ics_info, then ms_mask_present (3 is reserved).
                    let ok = ics_info(b)?;
                    return Some(ok && b.read(2)? != 3);
                }
                b.read(8)?;
                return ics_info(b);
            }
            // Coupling channels are not used by AAC-LC encoders in practice.
            ID_CCE => return Some(false),
            ID_PCE => {
                b.read(4)?; // element_instance_tag
                let object_type = b.read(2)?;
                let sampling_frequency_index = b.read(4)?;
                return Some(object_type == 1 && sampling_frequency_index <= 12);
            }
            ID_DSE => {
                b.read(4)?;
                let align = b.read(1)?;
                let mut count = b.read(8)? as usize;
                if count == 255 {
                    count += b.read(8)? as usize;
                }
                if align == 1 {
                    b.align();
                }
                b.skip_bytes(count)?;
            }
            ID_FIL => {
                let mut count = b.read(4)? as usize;
                if count == 15 {
                    count += b.read(8)? as usize;
                    count -= 1;
                }
                b.skip_bytes(count)?;
            }
            // END right away: an empty access unit, not AAC-LC output.
            ID_END => return Some(seen > 0),
            _ => return Some(false),
        }
    }
    Some(false)
}

fn ics_info(b: &mut Bits<'_>) -> Option<bool> {
    if b.read(1)? != 0 {
        return Some(false); // ics_reserved_bit
    }
    let window_sequence = b.read(2)?;
    b.read(1)?; // window_shape
    if window_sequence == 2 {
        let max_sfb = b.read(4)?;
        b.read(7)?; // scale_factor_grouping
        Some(max_sfb <= 15)
    } else {
        let max_sfb = b.read(6)?;
        let predictor_data_present = b.read(1)?;
        Some(max_sfb <= 51 && predictor_data_present == 0)
    }
}
