//! Box names, box headers and iteration over the children of a container.

use std::fmt;

use super::error::BoxError;
use super::limits::{MAX_BOX_SIZE, MAX_CHILDREN, MAX_DEPTH};

/// Extended type of the Smooth Streaming `tfxd` box (fragment absolute time and duration).
pub const UUID_TFXD: [u8; 16] = hex16(0x6d1d9b05_42d544e6_80e2141d_aff757b2);
/// Extended type of the Smooth Streaming `tfrf` box (live look-ahead fragments).
pub const UUID_TFRF: [u8; 16] = hex16(0xd4807ef2_ca394695_8e5426cb_9e46a79f);
/// Extended type of the PIFF 1.1 SampleEncryptionBox.
pub const UUID_PIFF_SENC: [u8; 16] = hex16(0xa2394f52_5a9b4f14_a2446c42_7c648df4);
/// Extended type of the PIFF 1.1 TrackEncryptionBox (only in an init segment, never in Smooth).
pub const UUID_PIFF_TENC: [u8; 16] = hex16(0x8974dbce_7be74c51_84f97148_f9882554);

const fn hex16(v: u128) -> [u8; 16] {
    v.to_be_bytes()
}

/// The name of a box: a FourCC, a `uuid` extended type, or the whole fragment buffer
/// (used as the "parent" of top-level boxes in errors).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoxType {
    /// A four-character code such as `moof`.
    FourCc([u8; 4]),
    /// A `uuid` box with its 16-byte extended type.
    Uuid([u8; 16]),
    /// The buffer handed to the parser (parent of top-level boxes).
    Fragment,
}

impl BoxType {
    /// Shorthand for a FourCC from a byte string literal.
    pub const fn fourcc(code: &[u8; 4]) -> Self {
        BoxType::FourCc(*code)
    }
}

impl fmt::Display for BoxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoxType::FourCc(c) => {
                for &b in c {
                    if b.is_ascii_graphic() || b == b' ' {
                        write!(f, "{}", b as char)?;
                    } else {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                Ok(())
            }
            BoxType::Uuid(u) => {
                let name = match *u {
                    UUID_TFXD => "tfxd ",
                    UUID_TFRF => "tfrf ",
                    UUID_PIFF_SENC => "PIFF senc ",
                    UUID_PIFF_TENC => "PIFF tenc ",
                    _ => "",
                };
                write!(f, "{name}uuid ")?;
                for (i, b) in u.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        write!(f, "-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
            BoxType::Fragment => write!(f, "fragment"),
        }
    }
}

impl fmt::Debug for BoxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BoxType({self})")
    }
}

/// A parsed box header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoxHeader {
    /// The box name.
    pub box_type: BoxType,
    /// Absolute offset of the first byte of the box.
    pub offset: u64,
    /// Header length: 8, 16 with a 64-bit largesize, plus 16 for a uuid.
    pub header_len: u64,
    /// Total size of the box, header included.
    pub size: u64,
}

impl BoxHeader {
    /// Absolute offset of the first payload byte.
    pub fn payload_offset(&self) -> u64 {
        self.offset + self.header_len
    }
}

/// Iterates over the boxes laid end to end in `data` (a container's payload, or the
/// whole fragment), checking each header against the space left.
pub(crate) struct Children<'a> {
    data: &'a [u8],
    pos: usize,
    /// Absolute offset of `data[0]`.
    base: u64,
    parent: BoxType,
    depth: u32,
    count: usize,
    failed: bool,
}

impl<'a> Children<'a> {
    /// Children of `parent`, whose payload `data` starts at absolute offset `base`.
    /// `depth` is the depth of the children (top-level boxes are depth 1).
    pub(crate) fn new(data: &'a [u8], base: u64, parent: BoxType, depth: u32) -> Self {
        Children {
            data,
            pos: 0,
            base,
            parent,
            depth,
            count: 0,
            failed: false,
        }
    }

    fn next_box(&mut self) -> Result<(BoxHeader, &'a [u8]), BoxError> {
        let offset = self.base + self.pos as u64;
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let short = |box_type: BoxType, needed: u64| BoxError::Truncated {
            box_type,
            offset,
            needed,
            available: rest.len() as u64,
        };
        let (Some(size_bytes), Some(type_bytes)) = (rest.first_chunk::<4>(), rest.get(4..8)) else {
            return Err(short(self.parent, 8));
        };
        let mut fourcc = [0u8; 4];
        fourcc.copy_from_slice(type_bytes);
        let mut box_type = BoxType::FourCc(fourcc);
        let mut size = u64::from(u32::from_be_bytes(*size_bytes));
        let mut header_len = 8u64;
        if size == 1 {
            let large = rest.get(8..16).ok_or_else(|| short(box_type, 16))?;
            let mut b = [0u8; 8];
            b.copy_from_slice(large);
            size = u64::from_be_bytes(b);
            header_len = 16;
        }
        if &fourcc == b"uuid" {
            let start = header_len as usize;
            let ext = rest
                .get(start..start + 16)
                .ok_or_else(|| short(box_type, header_len + 16))?;
            let mut u = [0u8; 16];
            u.copy_from_slice(ext);
            box_type = BoxType::Uuid(u);
            header_len += 16;
        }
        if self.depth > MAX_DEPTH {
            return Err(BoxError::TooDeep {
                box_type,
                offset,
                depth: self.depth,
                limit: MAX_DEPTH,
            });
        }
        if size == 0 {
            // ISO 14496-12: size 0 means "to the end of the file", legal only at top level
            // (ffmpeg writes a final mdat this way when it cannot seek back).
            if self.depth == 1 {
                size = rest.len() as u64;
            } else {
                return Err(BoxError::ZeroSize { box_type, offset });
            }
        }
        if size < header_len {
            return Err(BoxError::SizeTooSmall {
                box_type,
                offset,
                size,
                header_len,
            });
        }
        if size > MAX_BOX_SIZE {
            return Err(BoxError::TooLarge {
                box_type,
                offset,
                size,
                limit: MAX_BOX_SIZE,
            });
        }
        if size > rest.len() as u64 {
            return Err(BoxError::SizeBeyondParent {
                box_type,
                offset,
                size,
                parent: self.parent,
                available: rest.len() as u64,
            });
        }
        // Both fit in usize: size <= rest.len().
        let payload = rest.get(header_len as usize..size as usize).unwrap_or(&[]);
        self.pos += size as usize;
        Ok((
            BoxHeader {
                box_type,
                offset,
                header_len,
                size,
            },
            payload,
        ))
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<(BoxHeader, &'a [u8]), BoxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        self.count += 1;
        let item = if self.count > MAX_CHILDREN {
            Err(BoxError::TooMany {
                box_type: self.parent,
                offset: self.base,
                what: "child box",
                count: self.count as u64,
                limit: MAX_CHILDREN as u64,
            })
        } else {
            self.next_box()
        };
        if item.is_err() {
            self.failed = true;
        }
        Some(item)
    }
}

/// A box the parser does not interpret, kept for diagnostics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownBox {
    /// Its name.
    pub box_type: BoxType,
    /// The box it was found in.
    pub parent: BoxType,
    /// Absolute offset of its first byte.
    pub offset: u64,
    /// Its total size.
    pub size: u64,
}
