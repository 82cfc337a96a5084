//! `--events-log FILE.jsonl`: playback analytics as JSON lines, fed by the session's
//! [`PlayerEvent`]s (the schema is in the README, section "Events log").
//!
//! Every line is one object with `kind`, `wall_ms` (milliseconds since the player
//! started) and `pos_s` (the media position, seconds on the presentation timeline, as
//! last reported by the engine; a cue's or marker's own time for those). Sans-I/O apart
//! from the writer it is given: the time comes with every call.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use smoothplay_engine::session::{MarkerPayload, PlaybackStats, PlayerEvent};

/// How often a `summary` line is written (wall time).
pub const SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// Writes the events log.
pub struct EventsLog<W: Write> {
    out: W,
    t0: Instant,
    position: Duration,
    first_frame: bool,
    rebuffer_since: Option<Instant>,
    /// Wall second being counted for `dropped_frames`, and the drop count at its start.
    drop_window: Option<(Instant, u64)>,
    next_summary: Instant,
    /// Failed writes (the log is best effort: playback never stops for it).
    pub errors: u64,
}

impl<W: Write> EventsLog<W> {
    /// Starts the log with a `start` line.
    pub fn new(out: W, url: &str, t0: Instant) -> Self {
        let mut log = EventsLog { out, t0, position: Duration::ZERO, first_frame: false, rebuffer_since: None, drop_window: None, next_summary: t0 + SUMMARY_EVERY, errors: 0 };
        log.write(t0, None, "start", json!({ "url": url }));
        log
    }

    fn write(&mut self, now: Instant, pos: Option<Duration>, kind: &str, fields: Value) {
        let mut line = Map::new();
        line.insert("kind".into(), kind.into());
        line.insert("wall_ms".into(), json!(round3(now.saturating_duration_since(self.t0).as_secs_f64() * 1000.0)));
        line.insert("pos_s".into(), json!(round3(pos.unwrap_or(self.position).as_secs_f64())));
        if let Value::Object(f) = fields {
            line.extend(f);
        }
        if writeln!(self.out, "{}", Value::Object(line)).is_err() {
            self.errors += 1;
        }
    }

    /// One session event at wall time `now`.
    pub fn on_event(&mut self, e: &PlayerEvent, now: Instant) {
        match e {
            PlayerEvent::Status(s) => {
                self.position = s.position;
                if !self.first_frame && s.frames_presented > 0 {
                    self.first_frame = true;
                    self.write(now, None, "first_frame", json!({}));
                }
                match self.drop_window {
                    None => self.drop_window = Some((now, s.frames_dropped)),
                    Some((since, at_start)) if now.saturating_duration_since(since) >= Duration::from_secs(1) => {
                        let dropped = s.frames_dropped.saturating_sub(at_start);
                        if dropped > 0 {
                            let ms = now.saturating_duration_since(since).as_secs_f64() * 1000.0;
                            self.write(now, None, "dropped_frames", json!({ "count": dropped, "interval_ms": round3(ms) }));
                        }
                        self.drop_window = Some((now, s.frames_dropped));
                    }
                    Some(_) => {}
                }
                if now >= self.next_summary {
                    self.next_summary = now + SUMMARY_EVERY;
                    self.write(
                        now,
                        None,
                        "summary",
                        json!({
                            "bitrate": s.video_bitrate,
                            "buffer_s": round3(s.buffer.as_secs_f64()),
                            "bandwidth_bps": s.bandwidth_bps.map(|b| b.round()),
                            "dropped": s.frames_dropped,
                            "presented": s.frames_presented,
                            "speed": s.speed,
                            "live_edge_distance_s": s.live_edge_distance.map(|d| round3(d.as_secs_f64())),
                        }),
                    );
                }
            }
            PlayerEvent::LevelSwitch { from, to, reason } => {
                let reason = reason.map_or(Value::Null, |r| Value::from(r.as_str()));
                self.write(now, None, "level_switch", json!({ "track": "video", "from": from, "to": to, "reason": reason }))
            }
            PlayerEvent::Rebuffering => {
                self.rebuffer_since = Some(now);
                self.write(now, None, "rebuffer_start", json!({}));
            }
            PlayerEvent::Playing => {
                // Playback starts once the first picture is decoded; it is shown at once.
                if !self.first_frame {
                    self.first_frame = true;
                    self.write(now, None, "first_frame", json!({}));
                }
                if let Some(since) = self.rebuffer_since.take() {
                    let ms = now.saturating_duration_since(since).as_secs_f64() * 1000.0;
                    self.write(now, None, "rebuffer_end", json!({ "duration_ms": round3(ms) }));
                }
            }
            PlayerEvent::FragmentSkipped { track, index, error } => {
                self.write(now, None, "download_error", json!({ "track": track, "index": index, "error": error, "skipped": true }))
            }
            PlayerEvent::OriginSwitched { from, to } => self.write(now, None, "retry", json!({ "what": "origin_switch", "from": from, "to": to })),
            PlayerEvent::TextTrackChanged { track } => self.write(now, None, "track_switch", json!({ "track": "text", "to": track })),
            PlayerEvent::TrackSwitched { kind, from, to, at, latency, .. } => self.write(
                now,
                Some(*at),
                "track_switch",
                json!({ "track": kind.to_string(), "from": from, "to": to, "latency_ms": latency.as_secs_f64() * 1000.0 }),
            ),
            PlayerEvent::TrackSwitchFailed { kind, asked, error } => {
                self.write(now, None, "track_switch_failed", json!({ "track": kind.to_string(), "asked": asked, "error": error }))
            }
            PlayerEvent::Cue { track, cue } => self.write(
                now,
                Some(cue.start),
                "cue",
                json!({ "track": track, "start_s": round3(cue.start.as_secs_f64()), "end_s": round3(cue.end.as_secs_f64()), "text": cue.text, "italic": cue.italic }),
            ),
            PlayerEvent::Marker { stream, time, duration, payload } => {
                let mut f = json!({ "stream": stream, "time_s": round3(time.as_secs_f64()), "duration_s": duration.map(|d| round3(d.as_secs_f64())) });
                match payload {
                    MarkerPayload::Decoded(m) => {
                        let s = m.summary();
                        f["decoded"] = json!({
                            "command_type": s.command_type,
                            "event_id": s.event_id,
                            "cancel": s.cancel,
                            "out_of_network": s.out_of_network,
                            "splice_time_s": s.splice_time.map(|t| round3(t.to_duration().as_secs_f64())),
                            "break_duration_s": s.duration.map(|d| round3(d.as_secs_f64())),
                            "auto_return": s.auto_return,
                            "segmentation_type_id": s.segmentation_type_id,
                        });
                    }
                    MarkerPayload::Undecoded { data, error } => {
                        f["error"] = json!(error);
                        f["bytes"] = json!(data.len());
                    }
                    _ => {}
                }
                self.write(now, Some(*time), "marker", f);
            }
            PlayerEvent::Discontinuity { at } => self.write(now, Some(*at), "discontinuity", json!({})),
            PlayerEvent::BehindLiveWindow { resumed_at } => self.write(now, Some(*resumed_at), "behind_live_window", json!({})),
            PlayerEvent::LiveWaiting => self.write(now, None, "live_waiting", json!({})),
            PlayerEvent::LiveResumed => self.write(now, None, "live_resumed", json!({})),
            PlayerEvent::Unsupported(what) => self.write(now, None, "unsupported", json!({ "what": what })),
            _ => {}
        }
    }

    /// The `end` line, with the session's summary; flushes.
    pub fn finish(&mut self, stats: Option<&PlaybackStats>, error: Option<&str>, now: Instant) {
        let fields = match stats {
            Some(s) => json!({
                "ended_by": serde_json::to_value(s.ended_by).unwrap_or(Value::Null),
                "startup_ms": s.startup_ms,
                "frames_decoded": s.video.frames_decoded,
                "frames_presented": s.video.frames_presented,
                "frames_dropped": s.video.frames_dropped,
                "level_switches": s.video.switches,
                "rebuffer_count": s.rebuffer.count,
                "rebuffer_ms": round3(s.rebuffer.total_ms),
                "skipped_fragments": s.skipped_fragments.len(),
            }),
            None => json!({ "ended_by": "error", "error": error }),
        };
        self.write(now, None, "end", fields);
        if self.out.flush().is_err() {
            self.errors += 1;
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothplay_engine::heuristics::ChoiceReason;
    use smoothplay_engine::schedule::LevelReason;
    use smoothplay_engine::session::Status;

    fn status(position: f64, presented: u64, dropped: u64) -> PlayerEvent {
        PlayerEvent::Status(Status {
            position: Duration::from_secs_f64(position),
            duration: None,
            video_bitrate: Some(150_000),
            buffer: Duration::from_secs(3),
            bandwidth_bps: Some(1e6),
            frames_dropped: dropped,
            paused: false,
            live_edge_distance: None,
            buffering: false,
            speed: 1.0,
            frames_presented: presented,
            seekable: None,
            video_size: None,
            decode: None,
            video_track: None,
            audio_track: None,
        })
    }

    fn lines(buf: &[u8]) -> Vec<Value> {
        std::str::from_utf8(buf).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn kinds_times_and_periodic_summaries() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut log = EventsLog::new(Vec::new(), "x.ism", t0);
        log.on_event(&status(0.0, 0, 0), at(100));
        log.on_event(&status(0.04, 1, 0), at(200));
        log.on_event(&PlayerEvent::LevelSwitch { from: 60_000, to: 150_000, reason: Some(LevelReason::Chosen(Some(ChoiceReason::Throughput))) }, at(300));
        log.on_event(&PlayerEvent::Rebuffering, at(1000));
        log.on_event(&PlayerEvent::Playing, at(1500));
        log.on_event(&status(1.0, 20, 3), at(1600));
        log.on_event(&status(9.0, 200, 3), at(10_100));
        log.on_event(&PlayerEvent::FragmentSkipped { track: "text".into(), index: 1, error: "bad".into() }, at(10_200));
        log.finish(None, Some("boom"), at(10_300));
        let l = lines(&log.out);
        let kinds: Vec<&str> = l.iter().map(|v| v["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["start", "first_frame", "level_switch", "rebuffer_start", "rebuffer_end", "dropped_frames", "summary", "download_error", "end"]);
        assert_eq!(l[1]["wall_ms"], 200.0);
        assert_eq!(l[2]["from"], 60_000);
        assert_eq!(l[2]["reason"], "throughput");
        assert_eq!(l[4]["duration_ms"], 500.0);
        assert_eq!(l[5]["count"], 3);
        assert_eq!((l[6]["bitrate"].as_u64(), l[6]["pos_s"].as_f64()), (Some(150_000), Some(9.0)));
        assert_eq!(l[8]["error"], "boom");
    }
}
