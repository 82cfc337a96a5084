//! Key IDs, content keys, `KID:KEY` parsing, key files and the key-provider trait.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::error::DrmError;

/// A 16-byte key ID in the big-endian byte order of CENC (`tenc`, `senc` overrides,
/// ClearKey). PlayReady headers store it as a little-endian GUID: see
/// [`Kid::from_guid_bytes`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid(pub [u8; 16]);

impl Kid {
    /// From the PlayReady GUID byte order (Data1, Data2 and Data3 little-endian):
    /// swaps bytes 0-3, 4-5 and 6-7.
    pub fn from_guid_bytes(guid: [u8; 16]) -> Self {
        Kid(swap_guid(guid))
    }

    /// In the PlayReady GUID byte order.
    pub fn to_guid_bytes(self) -> [u8; 16] {
        swap_guid(self.0)
    }

    /// The same 16 bytes read in the other byte order (what a user who copied the KID
    /// from the other kind of tool would have typed).
    pub fn swapped(self) -> Self {
        Kid(swap_guid(self.0))
    }

    /// Parses 32 hex digits, allowing GUID punctuation (`-`, `{`, `}`), in CENC order.
    pub fn parse_hex(s: &str) -> Result<Self, DrmError> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '{' | '}'))
            .collect();
        Ok(Kid(parse_hex16(&digits, "KID")?))
    }
}

fn swap_guid(b: [u8; 16]) -> [u8; 16] {
    let mut o = b;
    o[0..4].reverse();
    o[4..6].reverse();
    o[6..8].reverse();
    o
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kid({self})")
    }
}

/// Formats a KID in both byte orders, for messages a user will compare with their tools.
pub fn describe_kid(kid: &Kid) -> String {
    format!("{kid} (PlayReady GUID order {})", Kid(kid.to_guid_bytes()))
}

/// An AES-128 content key. Its `Debug` output does not show the key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ContentKey(pub [u8; 16]);

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentKey(..)")
    }
}

impl ContentKey {
    /// Parses 32 hex digits.
    pub fn parse_hex(s: &str) -> Result<Self, DrmError> {
        Ok(ContentKey(parse_hex16(s, "key")?))
    }
}

fn parse_hex16(s: &str, what: &'static str) -> Result<[u8; 16], DrmError> {
    let s = s.trim();
    if s.len() != 32 {
        return Err(DrmError::BadKeyString {
            what,
            reason: format!("expected 32 hex digits, got {}", s.len()),
        });
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        let pair = s.get(2 * i..2 * i + 2).unwrap_or("");
        *o = u8::from_str_radix(pair, 16).map_err(|_| DrmError::BadKeyString {
            what,
            reason: format!("not hex at digit {}", 2 * i),
        })?;
    }
    Ok(out)
}

/// Parses `KID:KEY` (hex; the KID may carry GUID punctuation).
pub fn parse_key_pair(s: &str) -> Result<(Kid, ContentKey), DrmError> {
    let (kid, key) = s.split_once(':').ok_or(DrmError::BadKeyString {
        what: "KID:KEY",
        reason: "missing ':'".into(),
    })?;
    Ok((Kid::parse_hex(kid)?, ContentKey::parse_hex(key)?))
}

/// Where content keys come from. Embedding applications implement it to plug in their
/// own DRM service; [`StaticKeys`] holds keys given up front.
pub trait KeyProvider: Send + Sync {
    /// The key for `kid` (CENC byte order), if known.
    fn key(&self, kid: &Kid) -> Option<ContentKey>;
}

/// Keys given up front (`--key`, `--key-file`, a ClearKey license).
///
/// Each key is stored under its KID as given and under the byte-swapped KID, because
/// users copy KIDs from PlayReady tools (GUID order) as often as from CENC tools. An
/// exact match wins over a swapped one.
#[derive(Clone, Debug, Default)]
pub struct StaticKeys {
    exact: HashMap<Kid, ContentKey>,
    swapped: HashMap<Kid, ContentKey>,
}

impl StaticKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key.
    pub fn insert(&mut self, kid: Kid, key: ContentKey) {
        self.exact.insert(kid, key);
        self.swapped.insert(kid.swapped(), key);
    }

    /// Adds a `KID:KEY` string.
    pub fn insert_pair(&mut self, s: &str) -> Result<(), DrmError> {
        let (kid, key) = parse_key_pair(s)?;
        self.insert(kid, key);
        Ok(())
    }

    /// Adds every key of a key file's text: one `KID:KEY` per line, `#` starts a comment,
    /// blank lines ignored. `origin` names the file in errors.
    pub fn insert_key_file_text(&mut self, text: &str, origin: &str) -> Result<usize, DrmError> {
        let mut n = 0;
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (kid, key) = parse_key_pair(line).map_err(|e| DrmError::KeyFile {
                path: origin.to_string(),
                line: i + 1,
                reason: e.to_string(),
            })?;
            self.insert(kid, key);
            n += 1;
        }
        Ok(n)
    }

    /// Reads a key file (see [`StaticKeys::insert_key_file_text`]); returns the number of keys.
    pub fn insert_key_file(&mut self, path: &Path) -> Result<usize, DrmError> {
        let text = std::fs::read_to_string(path).map_err(|e| DrmError::KeyFile {
            path: path.display().to_string(),
            line: 0,
            reason: e.to_string(),
        })?;
        self.insert_key_file_text(&text, &path.display().to_string())
    }

    /// Number of keys added.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// Whether no key was added.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}

impl KeyProvider for StaticKeys {
    fn key(&self, kid: &Kid) -> Option<ContentKey> {
        self.exact
            .get(kid)
            .or_else(|| self.swapped.get(kid))
            .copied()
    }
}
