//! A bounded big-endian cursor over one box's payload.

use super::boxes::BoxHeader;
use super::error::BoxError;

/// Reads fields of one box; every read is bounds-checked and an over-read is a
/// [`BoxError::Truncated`] naming the box.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    header: BoxHeader,
}

impl<'a> Reader<'a> {
    /// A reader over `payload`, the bytes after `header`.
    pub(crate) fn new(header: BoxHeader, payload: &'a [u8]) -> Self {
        Reader {
            data: payload,
            pos: 0,
            header,
        }
    }

    /// The header of the box being read.
    pub(crate) fn header(&self) -> BoxHeader {
        self.header
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// An [`BoxError::Invalid`] for this box.
    pub(crate) fn invalid(&self, reason: impl Into<String>) -> BoxError {
        BoxError::Invalid {
            box_type: self.header.box_type,
            offset: self.header.offset,
            reason: reason.into(),
        }
    }

    /// The next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], BoxError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.data.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(BoxError::Truncated {
                box_type: self.header.box_type,
                offset: self.header.offset,
                needed: n as u64,
                available: self.remaining() as u64,
            }),
        }
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], BoxError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8, BoxError> {
        Ok(self.array::<1>()?[0])
    }

    /// Big-endian u16.
    pub(crate) fn u16(&mut self) -> Result<u16, BoxError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Big-endian 24-bit value.
    pub(crate) fn u24(&mut self) -> Result<u32, BoxError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// Big-endian u32.
    pub(crate) fn u32(&mut self) -> Result<u32, BoxError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Big-endian i32.
    pub(crate) fn i32(&mut self) -> Result<i32, BoxError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// Big-endian u64.
    pub(crate) fn u64(&mut self) -> Result<u64, BoxError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// FullBox version and flags.
    pub(crate) fn full_box(&mut self) -> Result<(u8, u32), BoxError> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }

    /// An [`BoxError::UnsupportedVersion`] unless `version <= max`.
    pub(crate) fn check_version(&self, version: u8, max: u8) -> Result<(), BoxError> {
        if version > max {
            return Err(BoxError::UnsupportedVersion {
                box_type: self.header.box_type,
                offset: self.header.offset,
                version,
            });
        }
        Ok(())
    }

    /// Ends the box: every byte must have been read.
    pub(crate) fn finish(self) -> Result<(), BoxError> {
        match self.remaining() {
            0 => Ok(()),
            leftover => Err(BoxError::TrailingBytes {
                box_type: self.header.box_type,
                offset: self.header.offset,
                leftover: leftover as u64,
            }),
        }
    }
}
