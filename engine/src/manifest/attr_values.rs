//! Interpreting attribute values: numbers, booleans, hex. Every failure is a typed
//! [`ManifestError::InvalidAttribute`] naming the element, attribute and offset.

use crate::manifest::error::{quoted, ManifestError};
use crate::manifest::protection::hex_value;

/// Where an attribute came from, for error messages.
#[derive(Clone, Copy)]
pub(crate) struct AttrSite<'a> {
    pub element: &'static str,
    pub attribute: &'a str,
    pub offset: u64,
}

impl AttrSite<'_> {
    pub(crate) fn invalid(&self, value: &str, reason: &'static str) -> ManifestError {
        ManifestError::InvalidAttribute {
            element: self.element,
            attribute: quoted(self.attribute),
            value: quoted(value),
            reason,
            offset: self.offset,
        }
    }

    /// An unsigned decimal integer (surrounding whitespace allowed; no sign).
    pub(crate) fn u64(&self, value: &str) -> Result<u64, ManifestError> {
        let t = value.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.invalid(value, "is not an unsigned integer"));
        }
        t.parse()
            .map_err(|_| self.invalid(value, "does not fit in 64 bits"))
    }

    /// An unsigned decimal integer that fits in `T`.
    pub(crate) fn uint<T: TryFrom<u64>>(&self, value: &str) -> Result<T, ManifestError> {
        let v = self.u64(value)?;
        T::try_from(v).map_err(|_| self.invalid(value, "is out of range"))
    }

    /// `true`/`false` in any letter case, or `1`/`0`.
    pub(crate) fn bool(&self, value: &str) -> Result<bool, ManifestError> {
        let t = value.trim();
        if t.eq_ignore_ascii_case("true") || t == "1" {
            Ok(true)
        } else if t.eq_ignore_ascii_case("false") || t == "0" {
            Ok(false)
        } else {
            Err(self.invalid(value, "is not a boolean"))
        }
    }
}

/// Hex digits (either case, surrounding whitespace allowed) to bytes.
pub(crate) fn decode_hex(value: &str) -> Result<Vec<u8>, &'static str> {
    let t = value.trim().as_bytes();
    if t.len() & 1 == 1 {
        return Err("odd number of hex digits");
    }
    t.chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => match (hex_value(*hi), hex_value(*lo)) {
                (Some(h), Some(l)) => Ok(h << 4 | l),
                _ => Err("non-hex character"),
            },
            _ => Err("odd number of hex digits"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: AttrSite<'static> = AttrSite {
        element: "c",
        attribute: "t",
        offset: 7,
    };

    #[test]
    fn parses_integers_strictly() {
        assert_eq!(SITE.u64(" 18446744073709551615 "), Ok(u64::MAX));
        assert!(matches!(
            SITE.u64("18446744073709551616"),
            Err(ManifestError::InvalidAttribute {
                reason: "does not fit in 64 bits",
                ..
            })
        ));
        for bad in ["", "-1", "+1", "1.5", "0x10", "1e3"] {
            assert!(SITE.u64(bad).is_err(), "{bad:?}");
        }
        assert_eq!(SITE.uint::<u16>("65535"), Ok(65535u16));
        assert!(SITE.uint::<u16>("65536").is_err());
    }

    #[test]
    fn parses_booleans_in_any_case() {
        assert_eq!(SITE.bool("TRUE"), Ok(true));
        assert_eq!(SITE.bool("true"), Ok(true));
        assert_eq!(SITE.bool("False"), Ok(false));
        assert!(SITE.bool("yes").is_err());
    }

    #[test]
    fn decodes_hex() {
        assert_eq!(decode_hex("0012aBfF"), Ok(vec![0, 0x12, 0xab, 0xff]));
        assert_eq!(decode_hex(""), Ok(vec![]));
        assert_eq!(decode_hex("abc"), Err("odd number of hex digits"));
        assert_eq!(decode_hex("zz"), Err("non-hex character"));
    }
}
