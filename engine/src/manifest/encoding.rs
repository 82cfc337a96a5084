//! Turns manifest bytes into text: UTF-8 (BOM optional) or UTF-16 with a BOM
//! (some IIS deployments serve UTF-16 manifests).

use std::borrow::Cow;

use crate::manifest::error::ManifestError;

/// The document as text: UTF-8 (BOM optional) or UTF-16 with a BOM.
pub(crate) fn decode_document(xml: &[u8]) -> Result<Cow<'_, str>, ManifestError> {
    let utf16 = |bytes: &[u8], le: bool| -> Result<String, ManifestError> {
        let units = bytes.chunks_exact(2).map(|p| {
            let pair = <[u8; 2]>::try_from(p).unwrap_or([0, 0]);
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        let mut out = String::with_capacity(bytes.len() / 2);
        for (i, ch) in char::decode_utf16(units).enumerate() {
            out.push(ch.map_err(|_| ManifestError::Encoding {
                offset: 2 + 2 * i as u64,
            })?);
        }
        if bytes.len() & 1 == 1 {
            return Err(ManifestError::Encoding {
                offset: 2 + bytes.len() as u64 - 1,
            });
        }
        Ok(out)
    };
    if let Some(rest) = xml.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true).map(Into::into);
    }
    if let Some(rest) = xml.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false).map(Into::into);
    }
    let (body, skipped) = match xml.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (rest, 3u64),
        None => (xml, 0),
    };
    std::str::from_utf8(body)
        .map(Into::into)
        .map_err(|e| ManifestError::Encoding {
            offset: skipped + e.valid_up_to() as u64,
        })
}
