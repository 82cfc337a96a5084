//! Small helpers shared by the TTML and SCTE-67 XML readers: bytes to text, and the
//! character data of a quick-xml event.

use std::borrow::Cow;


/// The bytes as text: UTF-8 (BOM optional) or UTF-16 with a BOM. Trailing NUL bytes
/// (padding some packagers leave after a document in `mdat`) are dropped. `Err` holds
/// the offset of the first byte that is not valid text.
pub(crate) fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, u64> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let bytes = &bytes[..end];
    let utf16 = |body: &[u8], le: bool| -> Result<String, u64> {
        if body.len() % 2 == 1 {
            return Err(2 + body.len() as u64 - 1);
        }
        let units = body.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        let mut out = String::with_capacity(body.len() / 2);
        for (i, ch) in char::decode_utf16(units).enumerate() {
            out.push(ch.map_err(|_| 2 + 2 * i as u64)?);
        }
        // UTF-16 text padded with NUL code units.
        let trimmed = out.trim_end_matches('\0').len();
        out.truncate(trimmed);
        Ok(out)
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        // A UTF-16LE document ends in 0x00 bytes that the NUL trim above took off.
        let mut body = rest.to_vec();
        if body.len() % 2 == 1 {
            body.push(0);
        }
        return utf16(&body, true).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false).map(Cow::Owned);
    }
    let (body, skipped) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (rest, 3u64),
        None => (bytes, 0),
    };
    std::str::from_utf8(body)
        .map(Cow::Borrowed)
        .map_err(|e| skipped + e.valid_up_to() as u64)
}

/// The character data an event contributes (entities resolved): the manifest parser's.
pub(crate) use crate::manifest::xml_util::text_piece;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(decode_text(b"\xEF\xBB\xBF<a/>\0\0").unwrap(), "<a/>");
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain("<a/>".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode_text(&le).unwrap(), "<a/>");
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain("<é/>".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode_text(&be).unwrap(), "<é/>");
        assert_eq!(decode_text(b"<a>\xFF</a>"), Err(3));
        assert_eq!(decode_text(b"").unwrap(), "");
    }
}
