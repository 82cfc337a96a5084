//! `<Protection>/<ProtectionHeader SystemID=..>base64</ProtectionHeader>`.
//!
//! The SystemID is kept as written; it is also parsed (braces optional, any case) when
//! it has the canonical 8-4-4-4-12 layout. The body is base64; for PlayReady it is a
//! PlayReady Object decoded by [`crate::manifest::playready`]. Anything that goes
//! wrong here is reported on the header ([`ProtectionHeader::problem`]) and does not
//! fail the manifest: an unplayable DRM header must not stop clear streams, and the
//! decryption layer decides what it needs.

use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;

use crate::manifest::playready::{PlayReadyError, PlayReadyHeader};

/// PlayReady SystemID 9A04F079-9840-4286-AB92-E65BE0885F95, in UUID (big-endian) byte order.
pub const PLAYREADY_SYSTEM_ID: [u8; 16] = [
    0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88, 0x5f, 0x95,
];

/// Base64 as manifests write it: standard alphabet, padding optional.
pub(crate) const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 after removing XML whitespace (payloads are often wrapped or indented).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT_BASE64.decode(compact.as_bytes()).ok()
}

/// One `<ProtectionHeader>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectionHeader {
    /// `SystemID` exactly as written (braces, case and all).
    pub system_id: String,
    /// The SystemID as a UUID in big-endian (textual) byte order; `None` if malformed.
    pub system_uuid: Option<[u8; 16]>,
    /// The base64-decoded body (empty if it was not valid base64).
    pub data: Vec<u8>,
    /// The decoded PlayReady header, for the PlayReady SystemID.
    pub playready: Option<PlayReadyHeader>,
    /// What went wrong with this header, if anything.
    pub problem: Option<ProtectionProblem>,
}

impl ProtectionHeader {
    /// Builds a header from the `SystemID` attribute and the element's text.
    pub(crate) fn from_parts(system_id: String, body: &str, max_kids: usize) -> Self {
        let system_uuid = parse_system_id(&system_id);
        let mut header = ProtectionHeader {
            system_id,
            system_uuid,
            data: Vec::new(),
            playready: None,
            problem: None,
        };
        if header.system_uuid.is_none() {
            header.problem = Some(ProtectionProblem::MalformedSystemId);
        }
        match decode_base64(body) {
            Some(data) => header.data = data,
            None => {
                header.problem.get_or_insert(ProtectionProblem::NotBase64);
                return header;
            }
        }
        if header.is_playready() {
            match PlayReadyHeader::from_object(&header.data, max_kids) {
                Ok(pr) => header.playready = Some(pr),
                Err(e) => header.problem = Some(ProtectionProblem::PlayReady(e)),
            }
        }
        header
    }

    /// `true` when the SystemID is PlayReady's.
    pub fn is_playready(&self) -> bool {
        self.system_uuid == Some(PLAYREADY_SYSTEM_ID)
    }
}

/// Why a protection header is not (fully) usable.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum ProtectionProblem {
    /// The SystemID is not a GUID in 8-4-4-4-12 form (braces allowed).
    #[error("SystemID is not a GUID of the form 8-4-4-4-12 hex digits")]
    MalformedSystemId,
    /// The body is not base64.
    #[error("ProtectionHeader body is not base64")]
    NotBase64,
    /// The PlayReady object or its WRMHEADER could not be decoded.
    #[error("PlayReady header: {0}")]
    PlayReady(PlayReadyError),
}

/// Parses `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`, optionally in braces and surrounded
/// by whitespace, any letter case, into UUID byte order.
pub fn parse_system_id(s: &str) -> Option<[u8; 16]> {
    let t = s.trim();
    let t = t
        .strip_prefix('{')
        .map_or(t, |inner| inner.strip_suffix('}').unwrap_or("\u{0}"));
    let bytes = t.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut nibbles = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let v = hex_value(b)?;
        let slot = out.get_mut(nibbles / 2)?;
        *slot = (*slot << 4) | v;
        nibbles += 1;
    }
    (nibbles == 32).then_some(out)
}

/// Value of one hex digit.
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_system_id_with_and_without_braces() {
        let plain = parse_system_id("9A04F079-9840-4286-AB92-E65BE0885F95");
        assert_eq!(plain, Some(PLAYREADY_SYSTEM_ID));
        assert_eq!(
            parse_system_id(" {9a04f079-9840-4286-ab92-e65be0885f95} "),
            Some(PLAYREADY_SYSTEM_ID)
        );
    }

    #[test]
    fn rejects_malformed_system_ids() {
        // The dash.js kitchen-sink manifest: one hyphen missing.
        assert_eq!(
            parse_system_id("{9A04F079-9840-4286-AB92E65BE0885F95}"),
            None
        );
        assert_eq!(
            parse_system_id("{9A04F079-9840-4286-AB92-E65BE0885F95"),
            None
        );
        assert_eq!(
            parse_system_id("9A04F079-9840-4286-AB92-E65BE0885F9G"),
            None
        );
        assert_eq!(parse_system_id(""), None);
        assert_eq!(
            parse_system_id("é9A04F079-9840-4286-AB92-E65BE0885F9"),
            None
        );
    }

    #[test]
    fn keeps_unknown_system_ids_with_raw_bytes() {
        let h = ProtectionHeader::from_parts(
            "EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED".into(),
            " AAEC\n",
            8,
        );
        assert!(!h.is_playready());
        assert_eq!(h.data, vec![0, 1, 2]);
        assert_eq!(h.playready, None);
        assert_eq!(h.problem, None);
    }

    #[test]
    fn reports_a_body_that_is_not_base64() {
        let h = ProtectionHeader::from_parts(
            "{9A04F079-9840-4286-AB92E65BE0885F95}".into(),
            "Base-64 Encoded Data",
            8,
        );
        assert_eq!(h.system_id, "{9A04F079-9840-4286-AB92E65BE0885F95}");
        assert_eq!(h.system_uuid, None);
        assert_eq!(h.problem, Some(ProtectionProblem::MalformedSystemId));
        assert!(h.data.is_empty());
        let h =
            ProtectionHeader::from_parts("9A04F079-9840-4286-AB92-E65BE0885F95".into(), "!!", 8);
        assert_eq!(h.problem, Some(ProtectionProblem::NotBase64));
    }
}
