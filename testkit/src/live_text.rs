//! Text fragments re-published live: a TTML document's times move with its fragment.
//!
//! A TTML text fragment (ISO/IEC 14496-30) carries its cue times on the presentation
//! timeline, so when [`crate::live_origin::LiveOrigin`] publishes a source fragment at
//! another start, the `begin` and `end` attributes in its document must move by the
//! same amount, or a client would place the cues in the source's time. This rewrites
//! a one-sample fragment's document and fixes the sample size (in `trun`, or the
//! `tfhd` default) and the `mdat` size; the `moof` keeps its size, so data offsets hold.

use crate::live_origin::{boxes, BoxRef};

/// Ticks per second of the times handled here.
const TICKS: u128 = 10_000_000;

/// `fragment` with every `begin`/`end` clock or offset time in its TTML sample moved
/// `shift` ticks later. Fragments that are not one TTML sample come back unchanged.
pub fn shift_ttml_fragment(fragment: &[u8], shift: u64) -> Result<Vec<u8>, String> {
    let Some(layout) = Layout::find(fragment)? else { return Ok(fragment.to_vec()) };
    let Ok(doc) = std::str::from_utf8(&fragment[layout.mdat_payload..layout.mdat_end]) else { return Ok(fragment.to_vec()) };
    if !doc.contains("<tt") {
        return Ok(fragment.to_vec()); // not TTML (a binary SCTE-35 section, say)
    }
    let shifted = shift_document(doc, shift)?;
    let mut out = Vec::with_capacity(fragment.len() + 64);
    out.extend_from_slice(&fragment[..layout.mdat_start]);
    out.extend_from_slice(&((8 + shifted.len()) as u32).to_be_bytes());
    out.extend_from_slice(b"mdat");
    out.extend_from_slice(shifted.as_bytes());
    out.extend_from_slice(&fragment[layout.mdat_end..]);
    out[layout.size_field..layout.size_field + 4].copy_from_slice(&(shifted.len() as u32).to_be_bytes());
    Ok(out)
}

/// Where a one-sample fragment keeps what changes.
struct Layout {
    mdat_start: usize,
    mdat_payload: usize,
    mdat_end: usize,
    /// The sample size (trun entry or tfhd default), a u32.
    size_field: usize,
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4).map(|b| u32::from_be_bytes(b.try_into().unwrap()))
}

impl Layout {
    fn find(data: &[u8]) -> Result<Option<Layout>, String> {
        let top = boxes(data, 0, data.len())?;
        let Some(moof) = top.iter().find(|b| &b.kind == b"moof") else { return Ok(None) };
        let Some(mdat) = top.iter().find(|b| &b.kind == b"mdat") else { return Ok(None) };
        let trafs: Vec<BoxRef> = boxes(data, moof.start + moof.header, moof.end)?.into_iter().filter(|b| &b.kind == b"traf").collect();
        let [traf] = &trafs[..] else { return Ok(None) };
        let mut default_size = None;
        let mut size_field = None;
        for b in boxes(data, traf.start + traf.header, traf.end)? {
            // Full boxes: version and flags, then the fields.
            let payload = b.start + b.header;
            let flags = u32_at(data, payload).map_or(0, |f| f & 0x00ff_ffff);
            match &b.kind {
                b"tfhd" => {
                    // track_ID, then the optional fields in flag order up to the size.
                    let mut f = payload + 8;
                    for (bit, len) in [(0x01, 8), (0x02, 4), (0x08, 4)] {
                        if flags & bit != 0 {
                            f += len;
                        }
                    }
                    default_size = (flags & 0x10 != 0).then_some(f);
                }
                b"trun" => {
                    if u32_at(data, payload + 4) != Some(1) {
                        return Ok(None); // not one sample
                    }
                    let mut f = payload + 8;
                    for (bit, len) in [(0x001, 4), (0x004, 4), (0x100, 4)] {
                        if flags & bit != 0 {
                            f += len;
                        }
                    }
                    size_field = (flags & 0x200 != 0).then_some(f);
                }
                _ => {}
            }
        }
        let Some(size_field) = size_field.or(default_size).filter(|f| f + 4 <= moof.end) else { return Ok(None) };
        Ok(Some(Layout { mdat_start: mdat.start, mdat_payload: mdat.start + mdat.header, mdat_end: mdat.end, size_field }))
    }
}

/// The document with its `begin` and `end` attribute values moved.
fn shift_document(doc: &str, shift: u64) -> Result<String, String> {
    let mut out = String::with_capacity(doc.len() + 64);
    let mut rest = doc;
    while let Some(at) = next_time_attr(rest) {
        let (head, tail) = rest.split_at(at.value_start);
        out.push_str(head);
        let value = &tail[..at.value_len];
        let ticks = parse_ticks(value).ok_or_else(|| format!("time expression {value:?} not understood"))?;
        out.push_str(&clock(ticks + u128::from(shift)));
        rest = &tail[at.value_len..];
    }
    out.push_str(rest);
    Ok(out)
}

struct Attr {
    value_start: usize,
    value_len: usize,
}

/// The next ` begin="..."` or ` end="..."` value.
fn next_time_attr(s: &str) -> Option<Attr> {
    let mut best: Option<Attr> = None;
    for name in [" begin=\"", " end=\""] {
        if let Some(p) = s.find(name) {
            let value_start = p + name.len();
            let value_len = s[value_start..].find('"')?;
            if best.as_ref().is_none_or(|b| value_start < b.value_start) {
                best = Some(Attr { value_start, value_len });
            }
        }
    }
    best
}

/// `HH:MM:SS(.fraction)`, `Ns` or `Nms` in ticks.
fn parse_ticks(v: &str) -> Option<u128> {
    let v = v.trim();
    let seconds_with_fraction = |s: &str| -> Option<u128> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let mut ticks = whole.parse::<u128>().ok()? * TICKS;
        let mut scale = TICKS / 10;
        for d in frac.bytes().take(7) {
            ticks += u128::from(d.checked_sub(b'0').filter(|d| *d <= 9)?) * scale;
            scale /= 10;
        }
        Some(ticks)
    };
    if let Some(ms) = v.strip_suffix("ms") {
        return Some(seconds_with_fraction(ms)? / 1000);
    }
    if let Some(s) = v.strip_suffix('s') {
        return seconds_with_fraction(s);
    }
    let parts: Vec<&str> = v.split(':').collect();
    let [h, m, s] = parts[..] else { return None };
    Some(h.parse::<u128>().ok()? * 3600 * TICKS + m.parse::<u128>().ok()? * 60 * TICKS + seconds_with_fraction(s)?)
}

fn clock(ticks: u128) -> String {
    let secs = ticks / TICKS;
    format!("{:02}:{:02}:{:02}.{:07}", secs / 3600, secs / 60 % 60, secs % 60, ticks % TICKS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_move_and_keep_their_precision() {
        let doc = r#"<tt><body><p begin="00:00:02.200" end="3.5s">a</p><p begin="500ms" dur="1s" end="01:00:00">b</p></body></tt>"#;
        let out = shift_document(doc, 36_000_000_000 + 1).unwrap();
        assert_eq!(out, r#"<tt><body><p begin="01:00:02.2000001" end="01:00:03.5000001">a</p><p begin="01:00:00.5000001" dur="1s" end="02:00:00.0000001">b</p></body></tt>"#);
        assert!(shift_document(r#"<p begin="12:00:00:05">"#, 1).is_err(), "frames are not handled: said, not guessed");
    }

    #[test]
    fn a_fixture_fragment_moves_and_still_parses() {
        let dir = crate::repo_root().join("tests/fixtures/media/multitrack.ism/QualityLevels(1000)");
        let data = std::fs::read(dir.join("Fragments(captions_eng=20000000)")).unwrap();
        let out = shift_ttml_fragment(&data, 600_000_000).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains(r#"begin="00:01:02.2000000" end="00:01:03.5000000""#), "{text}");
        let f = smoothplay_engine::fmp4::parse_fragment(out.clone().into()).unwrap();
        assert_eq!(f.samples.len(), 1);
        assert!(std::str::from_utf8(&f.samples[0].data).unwrap().ends_with("</tt>\n"), "the whole document is the sample");
        let scte = std::fs::read(dir.join("Fragments(scte35=20000000)")).unwrap();
        assert_eq!(shift_ttml_fragment(&scte, 5).unwrap(), scte, "not TTML: unchanged");
    }
}
