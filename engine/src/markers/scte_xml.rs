//! The XML forms of an SCTE 35 cue: SCTE 67 / ESAM (`urn:cablelabs:md:xsd:signaling:3.0`)
//! `<AcquiredSignal>` with an `<SCTE35PointDescriptor>` whose `<SpliceInsert>`
//! attributes carry the splice (`spliceEventID`, `outOfNetworkIndicator`, `duration` as
//! an `xs:duration`, ...), and the SCTE 35 XML schema's `<SpliceInfoSection>` (with
//! `<SpliceInsert>`, `<Program><SpliceTime ptsTime>`, `<BreakDuration>`,
//! `<TimeSignal>`) or `<Signal><Binary>`. A base64 `<Binary>`/`<BinaryData>` element
//! is decoded as a binary `splice_info_section` too.
//!
//! Element and attribute names are matched by local name, ignoring case (ESAM writes
//! `spliceEventID`, the SCTE 35 schema `spliceEventId`); namespaces are not checked,
//! since deployments disagree on them.

use std::time::Duration;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

use crate::markers::scte35::{parse_splice_info_section, BreakDuration, SpliceInfoSection};
use crate::markers::{decode_base64, MarkerError, MAX_XML_DEPTH};
use crate::text::xml_doc::{decode_text, text_piece};

/// A cue signal written as XML.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XmlSignal {
    /// The root element's local name (`AcquiredSignal`, `SpliceInfoSection`, `Signal`).
    pub root: String,
    /// `acquisitionPointIdentity` (ESAM).
    pub acquisition_point_identity: Option<String>,
    /// `acquisitionSignalID` (ESAM).
    pub acquisition_signal_id: Option<String>,
    /// `acquisitionTime` (ESAM, an xs:dateTime as written).
    pub acquisition_time: Option<String>,
    /// `<UTCPoint utcPoint>`: the wall-clock time of the splice, as written.
    pub utc_point: Option<String>,
    /// `<SCTE35PointDescriptor spliceCommandType>`.
    pub splice_command_type: Option<u8>,
    /// `ptsAdjustment` of a `<SpliceInfoSection>`.
    pub pts_adjustment: Option<u64>,
    /// The `<SpliceInsert>`.
    pub splice_insert: Option<XmlSpliceInsert>,
    /// A `<TimeSignal>`: its `<SpliceTime ptsTime>` if given.
    pub time_signal: Option<Option<u64>>,
    /// `<SegmentationDescriptor>`/`<SegmentationDescriptorInfo>` elements.
    pub segmentations: Vec<XmlSegmentation>,
    /// `<StreamTimes><StreamTime timeType timeValue>`: where the encoder saw the cue
    /// (`HSS` is the Smooth Streaming time in 100 ns units).
    pub stream_times: Vec<StreamTime>,
    /// A `<Binary>`/`<BinaryData>` section, decoded.
    pub binary: Option<SpliceInfoSection>,
}

/// `<SpliceInsert>` in either XML form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XmlSpliceInsert {
    /// `spliceEventID` / `spliceEventId`.
    pub event_id: Option<u32>,
    /// `spliceEventCancelIndicator`.
    pub cancel: bool,
    /// `outOfNetworkIndicator`.
    pub out_of_network: Option<bool>,
    /// `spliceImmediateFlag`.
    pub splice_immediate: bool,
    /// `uniqueProgramID` / `uniqueProgramId`.
    pub unique_program_id: Option<u16>,
    /// `availNum`.
    pub avail_num: Option<u8>,
    /// `availsExpected`.
    pub avails_expected: Option<u8>,
    /// `duration` (ESAM, an xs:duration such as `PT1M0S`).
    pub duration: Option<Duration>,
    /// `<Program><SpliceTime ptsTime>` (90 kHz, as written, not adjusted).
    pub pts_time: Option<u64>,
    /// `<BreakDuration autoReturn duration>` (90 kHz ticks).
    pub break_duration: Option<BreakDuration>,
}

/// A segmentation descriptor in XML (the attributes common to both schemas).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XmlSegmentation {
    /// `segmentationEventId`.
    pub event_id: Option<u32>,
    /// `segmentationTypeId`.
    pub type_id: Option<u8>,
    /// `segmentationEventCancelIndicator`.
    pub cancel: bool,
    /// `segmentationDuration` (90 kHz ticks) or `duration` (xs:duration).
    pub duration: Option<Duration>,
}

/// One `<StreamTime>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamTime {
    /// `timeType` (`HSS`, `PTS`, `HLS`, `DASH`, ...).
    pub time_type: String,
    /// `timeValue` as written.
    pub time_value: String,
}

const MAX_QUOTED: usize = 64;

fn quoted(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

fn bad(element: &str, attribute: &str, value: &str) -> MarkerError {
    MarkerError::XmlAttribute { element: quoted(element), attribute: quoted(attribute), value: quoted(value) }
}

fn uint<T: std::str::FromStr>(element: &str, attribute: &str, v: &str) -> Result<T, MarkerError> {
    v.trim().parse().map_err(|_| bad(element, attribute, v))
}

fn boolean(element: &str, attribute: &str, v: &str) -> Result<bool, MarkerError> {
    match v.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad(element, attribute, v)),
    }
}

/// An `xs:duration` made of days, hours, minutes and seconds (`PT1M0S`, `P1DT0.5S`);
/// years and months are refused (their length depends on a calendar), as are negative
/// durations.
pub(crate) fn xs_duration(v: &str) -> Option<Duration> {
    let rest = v.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    if time == Some("") || (date.is_empty() && time.is_none()) {
        return None;
    }
    let mut nanos: u128 = 0;
    let mut any = false;
    let mut take = |s: &str, units: &[(char, u128)], allow_fraction_on: char| -> Option<()> {
        let mut num = String::new();
        let mut next_unit = 0;
        for ch in s.chars() {
            if ch.is_ascii_digit() || (ch == '.' && allow_fraction_on != ' ') {
                num.push(ch);
                continue;
            }
            let idx = units.iter().position(|(u, _)| *u == ch)?;
            if idx < next_unit || num.is_empty() {
                return None;
            }
            next_unit = idx + 1;
            let (int, frac) = num.split_once('.').unwrap_or((&num, ""));
            if (!frac.is_empty() || num.contains('.')) && ch != allow_fraction_on {
                return None;
            }
            if int.is_empty() || int.len() > 18 || frac.len() > 9 {
                return None;
            }
            let int: u128 = int.parse().ok()?;
            let frac_ns: u128 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
            nanos = nanos.checked_add(int.checked_mul(units[idx].1)?.checked_add(frac_ns)?)?;
            any = true;
            num.clear();
        }
        num.is_empty().then_some(())
    };
    const S: u128 = 1_000_000_000;
    if !date.is_empty() {
        take(date, &[('D', 86_400 * S)], ' ')?;
    }
    if let Some(t) = time {
        take(t, &[('H', 3600 * S), ('M', 60 * S), ('S', S)], 'S')?;
    }
    if !any {
        return None;
    }
    let secs = u64::try_from(nanos / S).ok()?;
    Some(Duration::new(secs, (nanos % S) as u32))
}

/// Which element the reader is in, for the text of `<Binary>`.
#[derive(PartialEq, Eq)]
enum Collect {
    None,
    Binary,
}

/// Parses an XML cue signal.
pub fn parse_xml_signal(xml: &[u8]) -> Result<XmlSignal, MarkerError> {
    let text = decode_text(xml).map_err(|offset| MarkerError::Encoding { offset })?;
    let mut reader = NsReader::from_str(&text);
    reader.config_mut().allow_dangling_amp = true;
    let mut sig = XmlSignal::default();
    let mut stack: Vec<String> = Vec::new();
    let mut collect = Collect::None;
    let mut binary_text = String::new();
    let mut found = false;
    loop {
        let offset = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| MarkerError::Xml { offset, message: e.to_string() })?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(MarkerError::Malformed {
                        field: "XML nesting",
                        offset: offset as usize,
                        reason: "is deeper than the limit",
                    });
                }
                let local = e.local_name().into_inner().to_owned();
                if stack.is_empty() {
                    if !sig.root.is_empty() {
                        return Err(MarkerError::Xml { offset, message: "more than one root element".into() });
                    }
                    sig.root = local.clone();
                }
                let parent = stack.last().map(String::as_str).unwrap_or("");
                found |= element(&mut sig, parent, &local, e)?;
                if local.eq_ignore_ascii_case("Binary") || local.eq_ignore_ascii_case("BinaryData") {
                    collect = Collect::Binary;
                    binary_text.clear();
                }
                if matches!(ev, Event::Start(_)) {
                    stack.push(local);
                } else if collect == Collect::Binary {
                    collect = Collect::None;
                }
            }
            Event::End(_) => {
                let local = stack.pop().unwrap_or_default();
                if collect == Collect::Binary
                    && (local.eq_ignore_ascii_case("Binary") || local.eq_ignore_ascii_case("BinaryData"))
                {
                    collect = Collect::None;
                    let bytes = decode_base64(binary_text.trim())
                        .ok_or_else(|| bad(&local, "(content)", binary_text.trim()))?;
                    sig.binary = Some(parse_splice_info_section(&bytes)?);
                    found = true;
                }
            }
            Event::Eof => break,
            other => {
                if collect == Collect::Binary {
                    if let Some(t) = text_piece(other) {
                        if binary_text.len() + t.len() > crate::markers::MAX_PAYLOAD_BYTES {
                            return Err(MarkerError::TooLarge {
                                size: binary_text.len() + t.len(),
                                limit: crate::markers::MAX_PAYLOAD_BYTES,
                            });
                        }
                        binary_text.push_str(&t);
                    }
                }
            }
        }
    }
    if sig.root.is_empty() {
        return Err(MarkerError::Unrecognized);
    }
    if !stack.is_empty() {
        return Err(MarkerError::Xml { offset: reader.buffer_position(), message: "unexpected end of document".into() });
    }
    if !found {
        return Err(MarkerError::XmlNoSignal { root: quoted(&sig.root) });
    }
    Ok(sig)
}

/// The attributes of `e`, local names and values.
fn attrs(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, MarkerError> {
    let mut out = Vec::new();
    let mut it = e.attributes();
    it.with_checks(false);
    for a in it {
        let a = a.map_err(|err| MarkerError::Xml { offset: 0, message: err.to_string() })?;
        let name = a.key.local_name().into_inner().to_owned();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(a.value.as_bytes()).into_owned());
        out.push((name, value));
    }
    Ok(out)
}

/// Reads one element into `sig`; `true` when it carries a signal.
fn element(sig: &mut XmlSignal, parent: &str, local: &str, e: &BytesStart<'_>) -> Result<bool, MarkerError> {
    let is = |n: &str| local.eq_ignore_ascii_case(n);
    let a = attrs(e)?;
    let get = |n: &str| a.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    if is("AcquiredSignal") {
        sig.acquisition_point_identity = get("acquisitionPointIdentity").map(str::to_owned);
        sig.acquisition_signal_id = get("acquisitionSignalID").map(str::to_owned);
        sig.acquisition_time = get("acquisitionTime").map(str::to_owned);
    } else if is("UTCPoint") {
        sig.utc_point = get("utcPoint").map(str::to_owned);
    } else if is("SCTE35PointDescriptor") {
        if let Some(v) = get("spliceCommandType") {
            sig.splice_command_type = Some(uint(local, "spliceCommandType", v)?);
        }
    } else if is("SpliceInfoSection") {
        if let Some(v) = get("ptsAdjustment") {
            sig.pts_adjustment = Some(uint(local, "ptsAdjustment", v)?);
        }
    } else if is("SpliceInsert") {
        let mut s = XmlSpliceInsert::default();
        for (k, v) in &a {
            match k.to_ascii_lowercase().as_str() {
                "spliceeventid" => s.event_id = Some(uint(local, k, v)?),
                "spliceeventcancelindicator" => s.cancel = boolean(local, k, v)?,
                "outofnetworkindicator" => s.out_of_network = Some(boolean(local, k, v)?),
                "spliceimmediateflag" => s.splice_immediate = boolean(local, k, v)?,
                "uniqueprogramid" => s.unique_program_id = Some(uint(local, k, v)?),
                "availnum" => s.avail_num = Some(uint(local, k, v)?),
                "availsexpected" => s.avails_expected = Some(uint(local, k, v)?),
                "duration" => s.duration = Some(xs_duration(v).ok_or_else(|| bad(local, k, v))?),
                _ => {}
            }
        }
        sig.splice_insert = Some(s);
        return Ok(true);
    } else if is("SpliceTime") {
        if let Some(v) = get("ptsTime") {
            let pts: u64 = uint(local, "ptsTime", v)?;
            if parent.eq_ignore_ascii_case("TimeSignal") {
                sig.time_signal = Some(Some(pts));
            } else if let Some(s) = sig.splice_insert.as_mut() {
                s.pts_time = Some(pts);
            }
        }
    } else if is("TimeSignal") {
        sig.time_signal = Some(None);
        return Ok(true);
    } else if is("BreakDuration") {
        if let Some(s) = sig.splice_insert.as_mut() {
            let auto_return = get("autoReturn").map(|v| boolean(local, "autoReturn", v)).transpose()?;
            let ticks = get("duration").map(|v| uint(local, "duration", v)).transpose()?;
            if let Some(ticks) = ticks {
                s.break_duration = Some(BreakDuration { auto_return: auto_return.unwrap_or(false), ticks });
            }
        }
    } else if is("SegmentationDescriptor") || is("SegmentationDescriptorInfo") {
        let mut s = XmlSegmentation::default();
        for (k, v) in &a {
            match k.to_ascii_lowercase().as_str() {
                "segmentationeventid" => s.event_id = Some(uint(local, k, v)?),
                "segmentationtypeid" | "segmenttypeid" => s.type_id = Some(uint(local, k, v)?),
                "segmentationeventcancelindicator" => s.cancel = boolean(local, k, v)?,
                "segmentationduration" => {
                    let t: u64 = uint(local, k, v)?;
                    s.duration = Some(crate::time::MediaTime::new(t, 90_000).to_duration());
                }
                "duration" => s.duration = Some(xs_duration(v).ok_or_else(|| bad(local, k, v))?),
                _ => {}
            }
        }
        sig.segmentations.push(s);
        return Ok(true);
    } else if is("StreamTime") {
        sig.stream_times.push(StreamTime {
            time_type: get("timeType").unwrap_or_default().to_owned(),
            time_value: get("timeValue").unwrap_or_default().to_owned(),
        });
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(xs_duration("PT1M0S"), Some(Duration::from_secs(60)));
        assert_eq!(xs_duration("PT30S"), Some(Duration::from_secs(30)));
        assert_eq!(xs_duration("PT0.5S"), Some(Duration::from_millis(500)));
        assert_eq!(xs_duration("P1DT1H"), Some(Duration::from_secs(90_000)));
        assert_eq!(xs_duration("PT2H30M"), Some(Duration::from_secs(9000)));
        for bad in ["", "P", "PT", "-PT1S", "P1Y", "P1M", "PT1.5M", "PTS", "PT1S1M", "1S", "PT99999999999999999999H"] {
            assert_eq!(xs_duration(bad), None, "{bad:?}");
        }
    }
}
