//! The sparse stream pointer (MS-SSTR 2.2.5): how a live server tells a client that
//! follows the timeline by `tfrf` alone (and so never reads the manifest again) that a
//! sparse stream (ad markers, captions) has a new fragment.
//!
//! The server puts it in the parent track's fragment response, as a parameter of the
//! `Content-Type` header: `video/mp4;ChildTrack="scte35=123450000,ad=99;cc=42"`. Each
//! entry names a sparse stream (its `Name` in the manifest) and the start time of its
//! latest fragment at or before the fragment requested, in that stream's timescale.

/// Most pointers read from one header (a server names each related sparse stream once).
pub const MAX_POINTERS: usize = 32;
/// Longest stream name accepted in a pointer.
const MAX_NAME: usize = 256;

/// One sparse stream's latest fragment, as a server announced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparsePointer {
    /// The sparse stream's `Name`.
    pub stream: String,
    /// Start of its latest fragment, in the stream's timescale.
    pub ticks: u64,
}

/// The pointers in a `Content-Type` value; empty when it has no `ChildTrack` parameter.
/// Malformed entries are skipped (a header is a hint, never a reason to fail a fragment).
pub fn parse_child_track(content_type: &str) -> Vec<SparsePointer> {
    let Some(value) = child_track_value(content_type) else { return Vec::new() };
    value
        .split([';', ','])
        .filter_map(|entry| {
            let (name, ticks) = entry.trim().split_once('=')?;
            let name = name.trim();
            if name.is_empty() || name.len() > MAX_NAME {
                return None;
            }
            Some(SparsePointer { stream: name.to_string(), ticks: ticks.trim().parse().ok()? })
        })
        .take(MAX_POINTERS)
        .collect()
}

/// The (quoted or bare) value of the `ChildTrack` parameter.
fn child_track_value(content_type: &str) -> Option<&str> {
    const KEY: &str = "childtrack";
    let lower = content_type.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(KEY) {
        let at = from + found;
        from = at + KEY.len();
        // A parameter name starts the header or follows a delimiter.
        let starts_param = lower[..at].trim_end().is_empty() || lower[..at].trim_end().ends_with(';');
        let rest = content_type[from..].trim_start();
        let Some(rest) = rest.strip_prefix('=').filter(|_| starts_param) else { continue };
        let rest = rest.trim_start();
        return Some(match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or(""),
            None => rest,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(stream: &str, ticks: u64) -> SparsePointer {
        SparsePointer { stream: stream.into(), ticks }
    }

    #[test]
    fn reads_the_spec_form_with_several_sets_and_streams() {
        let got = parse_child_track("video/mp4;ChildTrack=\"scte35=123450000,ad=99;cc=42\"");
        assert_eq!(got, vec![p("scte35", 123_450_000), p("ad", 99), p("cc", 42)]);
        assert_eq!(parse_child_track("video/mp4; childtrack = \"x=18446744073709551615\""), vec![p("x", u64::MAX)]);
        assert_eq!(parse_child_track("ChildTrack=x=5"), vec![p("x", 5)], "bare value, no media type");
    }

    #[test]
    fn headers_without_a_pointer_or_with_bad_entries_give_what_is_readable() {
        assert!(parse_child_track("video/mp4").is_empty());
        assert!(parse_child_track("video/mp4;XChildTrack=\"a=1\"").is_empty(), "another parameter");
        assert!(parse_child_track("").is_empty());
        assert_eq!(parse_child_track("video/mp4;ChildTrack=\"a=-1,=3,b=x,c=7,d=18446744073709551616\""), vec![p("c", 7)]);
        let long = format!("v;ChildTrack=\"{}=1,ok=2\"", "n".repeat(300));
        assert_eq!(parse_child_track(&long), vec![p("ok", 2)]);
        let many: Vec<String> = (0..100).map(|i| format!("s{i}={i}")).collect();
        assert_eq!(parse_child_track(&format!("v;ChildTrack=\"{}\"", many.join(","))).len(), MAX_POINTERS);
    }
}
