//! Walks WRMHEADER XML (versions 4.0 to 4.3) and collects KIDs, ALGID, KEYLEN,
//! CHECKSUM, LA_URL, LUI_URL and DS_ID. Elements are matched by their path from the
//! root, so a `<KID>` inside `<CUSTOMATTRIBUTES>` is not mistaken for a key id.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::manifest::error::quoted;
use crate::manifest::playready::{Algorithm, PlayReadyError, PlayReadyHeader, PlayReadyKid};
use crate::manifest::protection::decode_base64;
use crate::manifest::xml_util::{attributes, local_name, text_piece};

/// Deepest WRMHEADER nesting we walk (the real structure is 4 deep).
const MAX_WRMHEADER_DEPTH: usize = 16;
/// Longest attribute value read from a WRMHEADER.
const MAX_WRMHEADER_ATTRIBUTE: usize = 4096;

/// Where in the WRMHEADER tree an element sits, for the elements we read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `DATA/KID` (4.0 text KID).
    DataKid,
    /// `DATA/CHECKSUM` (4.0).
    DataChecksum,
    /// `DATA/PROTECTINFO/ALGID` (4.0).
    ProtectAlgid,
    /// `DATA/PROTECTINFO/KEYLEN` (4.0).
    ProtectKeyLen,
    /// `DATA/LA_URL`.
    LaUrl,
    /// `DATA/LUI_URL`.
    LuiUrl,
    /// `DATA/DS_ID`.
    DsId,
    /// Anything else.
    Other,
}

fn place_of(path: &[String]) -> Place {
    let is = |names: &[&str]| {
        path.len() == names.len()
            && path
                .iter()
                .zip(names)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    };
    if is(&["WRMHEADER", "DATA", "KID"]) {
        Place::DataKid
    } else if is(&["WRMHEADER", "DATA", "CHECKSUM"]) {
        Place::DataChecksum
    } else if is(&["WRMHEADER", "DATA", "PROTECTINFO", "ALGID"]) {
        Place::ProtectAlgid
    } else if is(&["WRMHEADER", "DATA", "PROTECTINFO", "KEYLEN"]) {
        Place::ProtectKeyLen
    } else if is(&["WRMHEADER", "DATA", "LA_URL"]) {
        Place::LaUrl
    } else if is(&["WRMHEADER", "DATA", "LUI_URL"]) {
        Place::LuiUrl
    } else if is(&["WRMHEADER", "DATA", "DS_ID"]) {
        Place::DsId
    } else {
        Place::Other
    }
}

/// `true` for a 4.1 `PROTECTINFO/KID` or a 4.2+ `PROTECTINFO/KIDS/KID` element.
fn is_attribute_kid(path: &[String]) -> bool {
    let upper: Vec<&str> = path.iter().map(String::as_str).collect();
    let eq = |a: &[&str], b: &[&str]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
    };
    eq(&upper, &["WRMHEADER", "DATA", "PROTECTINFO", "KID"])
        || eq(&upper, &["WRMHEADER", "DATA", "PROTECTINFO", "KIDS", "KID"])
}

fn decode_kid(value: &str) -> Result<[u8; 16], PlayReadyError> {
    decode_base64(value)
        .and_then(|v| <[u8; 16]>::try_from(v.as_slice()).ok())
        .ok_or_else(|| PlayReadyError::InvalidKid {
            value: quoted(value.trim()),
        })
}

/// Accumulates what the walk finds.
struct HeaderBuilder {
    header: PlayReadyHeader,
    /// 4.0 text KID and checksum, joined when the walk ends.
    data_kid: Option<[u8; 16]>,
    data_checksum: Option<Vec<u8>>,
    max_kids: usize,
}

impl HeaderBuilder {
    fn push_kid(&mut self, kid: PlayReadyKid) -> Result<(), PlayReadyError> {
        if self.header.kids.len() >= self.max_kids {
            return Err(PlayReadyError::TooManyKids {
                limit: self.max_kids,
            });
        }
        self.header.kids.push(kid);
        Ok(())
    }

    /// A 4.1+ `<KID ALGID VALUE CHECKSUM>` element.
    fn attribute_kid(
        &mut self,
        e: &quick_xml::events::BytesStart<'_>,
        offset: u64,
    ) -> Result<(), PlayReadyError> {
        let mut kid = None;
        let mut algid = None;
        let mut checksum = None;
        for a in attributes(e, MAX_WRMHEADER_ATTRIBUTE) {
            let a = a.map_err(|_| PlayReadyError::Xml {
                offset,
                message: "bad KID attributes".into(),
            })?;
            if a.name.eq_ignore_ascii_case("VALUE") {
                kid = Some(decode_kid(&a.value)?);
            } else if a.name.eq_ignore_ascii_case("ALGID") {
                algid = Some(Algorithm::from_algid(&a.value));
            } else if a.name.eq_ignore_ascii_case("CHECKSUM") {
                checksum = decode_base64(&a.value);
            }
        }
        // A KID element without VALUE (4.3 allows it for AESCBC placeholders) adds nothing.
        if let Some(guid_bytes) = kid {
            self.push_kid(PlayReadyKid {
                guid_bytes,
                algid,
                checksum,
            })?;
        }
        Ok(())
    }

    fn text(&mut self, place: Place, text: &str) -> Result<(), PlayReadyError> {
        let t = text.trim();
        match place {
            Place::DataKid => self.data_kid = Some(decode_kid(t)?),
            Place::DataChecksum => self.data_checksum = decode_base64(t),
            Place::ProtectAlgid => self.header.algid = Some(Algorithm::from_algid(t)),
            Place::ProtectKeyLen => self.header.key_len = t.parse().ok(),
            Place::LaUrl => self.header.la_url = Some(t.to_owned()),
            Place::LuiUrl => self.header.lui_url = Some(t.to_owned()),
            Place::DsId => self.header.ds_id = Some(t.to_owned()),
            Place::Other => {}
        }
        Ok(())
    }

    fn finish(mut self) -> Result<PlayReadyHeader, PlayReadyError> {
        if let Some(guid_bytes) = self.data_kid {
            let kid = PlayReadyKid {
                guid_bytes,
                algid: self.header.algid.clone(),
                checksum: self.data_checksum.take(),
            };
            // The 4.0 KID comes first: it is the header's only (default) KID.
            if self.header.kids.len() >= self.max_kids {
                return Err(PlayReadyError::TooManyKids {
                    limit: self.max_kids,
                });
            }
            self.header.kids.insert(0, kid);
        }
        Ok(self.header)
    }
}

/// Parses WRMHEADER XML text.
pub(crate) fn parse_wrmheader(
    xml: String,
    max_kids: usize,
) -> Result<PlayReadyHeader, PlayReadyError> {
    let mut reader = Reader::from_str(&xml);
    // LA_URLs with an unescaped `&` in their query string exist in the wild.
    reader.config_mut().allow_dangling_amp = true;
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut builder = HeaderBuilder {
        header: PlayReadyHeader {
            version: String::new(),
            kids: Vec::new(),
            algid: None,
            key_len: None,
            la_url: None,
            lui_url: None,
            ds_id: None,
            xml: String::new(),
        },
        data_kid: None,
        data_checksum: None,
        max_kids,
    };
    loop {
        let offset = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| PlayReadyError::Xml {
            offset,
            message: e.to_string(),
        })?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = local_name(e);
                if path.is_empty() {
                    if !name.eq_ignore_ascii_case("WRMHEADER") {
                        return Err(PlayReadyError::WrongRoot {
                            found: quoted(name),
                        });
                    }
                    for a in attributes(e, MAX_WRMHEADER_ATTRIBUTE) {
                        let a = a.map_err(|_| PlayReadyError::Xml {
                            offset,
                            message: "bad WRMHEADER attributes".into(),
                        })?;
                        if a.name.eq_ignore_ascii_case("version") {
                            builder.header.version = a.value.trim().to_owned();
                        }
                    }
                }
                if path.len() >= MAX_WRMHEADER_DEPTH {
                    return Err(PlayReadyError::TooDeep {
                        limit: MAX_WRMHEADER_DEPTH,
                    });
                }
                path.push(name.to_owned());
                if is_attribute_kid(&path) {
                    builder.attribute_kid(e, offset)?;
                }
                text.clear();
                if matches!(ev, Event::Empty(_)) {
                    path.pop();
                }
            }
            Event::End(_) => {
                let place = place_of(&path);
                if place != Place::Other {
                    builder.text(place, &text)?;
                }
                text.clear();
                path.pop();
                if path.is_empty() {
                    break;
                }
            }
            Event::Eof => {
                if path.is_empty() {
                    return Err(PlayReadyError::WrongRoot {
                        found: String::new(),
                    });
                }
                return Err(PlayReadyError::Xml {
                    offset,
                    message: "unexpected end of WRMHEADER".into(),
                });
            }
            other => {
                if let Some(piece) = text_piece(other) {
                    if place_of(&path) != Place::Other {
                        text.push_str(&piece);
                    }
                }
            }
        }
    }
    drop(reader);
    builder.header.xml = xml;
    builder.finish()
}
