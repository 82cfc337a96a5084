//! mpv property names read from a [`Snapshot`].

use serde_json::{json, Value};

use crate::control::{CommandError, VOLUME_MAX};
use crate::state::Snapshot;

/// The properties `get_property` answers, with what each holds (for the README and
/// `property not found` versus `property unavailable`).
pub const PROPERTIES: &[(&str, &str)] = &[
    ("time-pos", "position in seconds"),
    ("playback-time", "same as time-pos"),
    ("duration", "length in seconds (unavailable live)"),
    ("percent-pos", "position in percent of the duration"),
    ("time-remaining", "duration minus position, seconds"),
    ("pause", "paused (true/false)"),
    ("paused-for-cache", "waiting for data (startup, seek, rebuffer)"),
    ("core-idle", "not advancing: paused or waiting for data"),
    ("seekable", "a seek can go somewhere"),
    ("eof-reached", "the end was played"),
    ("speed", "playback speed"),
    ("volume", "volume in percent, 0-130 (kept for the audio output)"),
    ("volume-max", "130"),
    ("mute", "muted"),
    ("fullscreen", "fullscreen asked for"),
    ("stats", "on-screen statistics asked for (smoothplay's)"),
    ("sid", "caption track shown (its Name), or false when off"),
    ("sub-visibility", "captions drawn when shown"),
    ("video-bitrate", "bit/s of the video level being fetched (the manifest's figure)"),
    ("estimated-display-fps", "frames presented per second, over the last 1.5 s"),
    ("frame-drop-count", "frames dropped for lateness"),
    ("drop-frame-count", "old mpv name of the same count"),
    ("demuxer-cache-duration", "seconds buffered ahead"),
    ("width", "width of the last picture shown"),
    ("height", "height of the last picture shown"),
    ("dwidth", "same as width (no aspect correction)"),
    ("dheight", "same as height"),
    ("path", "the URL or path playing"),
    ("aid", "name of the audio track playing (settable: a name or language; switches at the next fragment)"),
    ("vid", "name of the video track (camera angle) playing (settable: a name; switches at the next fragment)"),
    ("filename", "same as path"),
    ("mpv-version", "smoothplay's name and version"),
    ("idle-active", "always false"),
];

/// Whether `name` is a property this player has (with or without a value now).
pub fn is_known(name: &str) -> bool {
    PROPERTIES.iter().any(|(n, _)| *n == name)
}

/// The value of a property, as mpv gives it in `get_property` and `property-change`.
pub fn get(snap: &Snapshot, name: &str) -> Result<Value, CommandError> {
    let unavailable = || CommandError::PropertyUnavailable(name.to_string());
    let status = snap.status.as_ref();
    let secs = |d: std::time::Duration| json!(d.as_secs_f64());
    let value = match name {
        "time-pos" | "playback-time" => status.map(|s| secs(s.position)),
        "duration" => snap.duration().map(secs),
        "percent-pos" => status.zip(snap.duration()).filter(|(_, d)| !d.is_zero()).map(|(s, d)| json!(100.0 * s.position.as_secs_f64() / d.as_secs_f64())),
        "time-remaining" => status.zip(snap.duration()).map(|(s, d)| secs(d.saturating_sub(s.position))),
        "pause" => snap.paused().map(Value::from),
        "paused-for-cache" => status.map(|s| json!(s.buffering)),
        "core-idle" => status.map(|s| json!(s.buffering || snap.paused().unwrap_or(s.paused))),
        "seekable" => status.map(|s| json!(s.seekable.is_some())),
        "eof-reached" => Some(json!(snap.eof)),
        "speed" => Some(json!(snap.speed())),
        "volume" => Some(json!(snap.volume)),
        "volume-max" => Some(json!(VOLUME_MAX)),
        "mute" => Some(json!(snap.mute)),
        "fullscreen" => Some(json!(snap.fullscreen)),
        "sid" => Some(snap.sid.as_ref().map_or(json!(false), |s| json!(s))),
        "sub-visibility" => Some(json!(snap.sub_visibility)),
        "stats" => Some(json!(snap.stats)),
        "video-bitrate" => status.and_then(|s| s.video_bitrate).map(Value::from),
        "aid" => status.and_then(|s| s.audio_track.clone()).map(Value::from),
        "vid" => status.and_then(|s| s.video_track.clone()).map(Value::from),
        "estimated-display-fps" => snap.display_fps.map(Value::from),
        "frame-drop-count" | "drop-frame-count" => status.map(|s| json!(s.frames_dropped)),
        "demuxer-cache-duration" => status.map(|s| secs(s.buffer)),
        "width" | "dwidth" => frame_size(snap).map(|(w, _)| json!(w)),
        "height" | "dheight" => frame_size(snap).map(|(_, h)| json!(h)),
        "path" | "filename" => snap.path.clone().map(Value::from),
        "mpv-version" => Some(json!(concat!("smoothplay ", env!("CARGO_PKG_VERSION")))),
        "idle-active" => Some(json!(false)),
        _ => return Err(CommandError::PropertyNotFound(name.to_string())),
    };
    value.ok_or_else(unavailable)
}

/// The size of the last picture shown, else the size the manifest gives the level.
fn frame_size(snap: &Snapshot) -> Option<(u32, u32)> {
    snap.frame_size.or(snap.status.as_ref().and_then(|s| s.video_size))
}

/// A value as mpv's `*_string` variants give it: numbers with six decimals, flags as
/// `yes`/`no`.
pub fn to_mpv_string(v: &Value) -> Value {
    match v {
        Value::Bool(b) => json!(if *b { "yes" } else { "no" }),
        Value::Number(n) if n.is_f64() => json!(format!("{:.6}", n.as_f64().unwrap_or(0.0))),
        Value::Number(n) => json!(n.to_string()),
        Value::Null => Value::Null,
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_property_is_answered() {
        let mut snap = Snapshot::default();
        for (name, _) in PROPERTIES {
            assert!(!matches!(get(&snap, name), Err(CommandError::PropertyNotFound(_))), "{name}");
        }
        assert_eq!(get(&snap, "time-pos"), Err(CommandError::PropertyUnavailable("time-pos".into())));
        assert_eq!(get(&snap, "volume").unwrap(), json!(100.0));
        assert_eq!(get(&snap, "nonsense"), Err(CommandError::PropertyNotFound("nonsense".into())));
        snap.status = Some(crate::state::tests::status(5_000, 150, false));
        assert_eq!(get(&snap, "time-pos").unwrap(), json!(5.0));
        assert_eq!(get(&snap, "percent-pos").unwrap(), json!(25.0));
        assert_eq!(get(&snap, "duration").unwrap(), json!(20.0));
        assert_eq!(get(&snap, "pause").unwrap(), json!(false));
        assert_eq!(get(&snap, "video-bitrate").unwrap(), json!(250_000));
        assert_eq!(get(&snap, "width").unwrap(), json!(426), "the manifest's size until a picture is shown");
        snap.frame_size = Some((424, 240));
        assert_eq!(get(&snap, "width").unwrap(), json!(424));
        assert_eq!(get(&snap, "frame-drop-count").unwrap(), get(&snap, "drop-frame-count").unwrap());
    }

    #[test]
    fn string_forms_are_mpvs() {
        assert_eq!(to_mpv_string(&json!(50.0)), json!("50.000000"));
        assert_eq!(to_mpv_string(&json!(true)), json!("yes"));
        assert_eq!(to_mpv_string(&json!(7)), json!("7"));
    }
}
