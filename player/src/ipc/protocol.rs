//! mpv's JSON IPC protocol without I/O: one [`Client`] per connection turns each line
//! it receives into an [`Action`] and produces the reply, event and property-change
//! lines to send back.
//!
//! Requests are `{"command": ["name", args...], "request_id": N}` on one line; replies
//! `{"data": ..., "error": "success", "request_id": N}` (`request_id` is copied back, 0
//! when the request had none, as recent mpv does). A line not starting with `{` is a
//! text command as in `input.conf` (`seek 5`), carried out without a reply; empty lines
//! and `#` comments are skipped.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::properties;
use crate::control::{self, CommandError, PlayerCommand};
use crate::state::{Notice, Snapshot};

/// The client API version `get_version` reports: mpv 0.38's (2.3), whose IPC this
/// follows.
pub const CLIENT_API_VERSION: i64 = (2 << 16) | 3;

/// The longest request line accepted.
pub const MAX_LINE: usize = 1 << 20;

/// What to do with one received line.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Nothing (an empty line, a comment, a failed text command).
    Nothing,
    /// Send this line (it ends with `\n`).
    Reply(String),
    /// Carry out the command, then (JSON requests) send [`reply`]`(request_id, ...)`.
    Run {
        /// The command.
        command: PlayerCommand,
        /// `Some` for a JSON request (its `request_id`, 0 if none); `None` for a text
        /// command, which gets no reply.
        request_id: Option<Value>,
    },
}

struct Observed {
    id: i64,
    name: String,
    string: bool,
    /// What was last sent (`None`: nothing yet).
    sent: Option<Value>,
}

/// One connection's protocol state: its name and observed properties.
pub struct Client {
    name: String,
    observed: Vec<Observed>,
    disabled_events: HashSet<String>,
}

impl Client {
    /// A client called `name` (mpv names them `ipc-N`).
    pub fn new(name: impl Into<String>) -> Self {
        Client { name: name.into(), observed: Vec::new(), disabled_events: HashSet::new() }
    }

    /// Handles one received line (without its `\n`), reading properties from `snap`.
    pub fn handle_line(&mut self, line: &str, snap: &Snapshot) -> Action {
        let line = line.trim_start_matches(|c: char| c.is_whitespace() || c == '\0').trim_end();
        if line.is_empty() || line.starts_with('#') {
            return Action::Nothing;
        }
        if !line.starts_with('{') {
            return match control::parse(line) {
                Ok(command) => Action::Run { command, request_id: None },
                Err(e) => {
                    tracing::warn!(client = %self.name, "text command {line:?}: {e}");
                    Action::Nothing
                }
            };
        }
        let request: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(client = %self.name, "malformed JSON: {e}");
                return Action::Reply(reply(&json!(0), Err(CommandError::InvalidParameter(format!("malformed JSON: {e}")))));
            }
        };
        let Value::Object(request) = request else {
            return Action::Reply(reply(&json!(0), Err(CommandError::InvalidParameter("a request is a JSON object".into()))));
        };
        let request_id = request.get("request_id").cloned().unwrap_or(json!(0));
        match self.request(&request, snap) {
            Ok(Step::Done(data)) => Action::Reply(reply(&request_id, Ok(data))),
            Ok(Step::Run(command)) => Action::Run { command, request_id: Some(request_id) },
            Err(e) => Action::Reply(reply(&request_id, Err(e))),
        }
    }

    fn request(&mut self, request: &Map<String, Value>, snap: &Snapshot) -> Result<Step, CommandError> {
        let invalid = |why: &str| CommandError::InvalidParameter(why.to_string());
        let args = match request.get("command") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(Value::Object(_)) => return Err(invalid("named arguments are not supported: give \"command\" as an array")),
            _ => return Err(invalid("\"command\" must be a non-empty array")),
        };
        let Some(name) = args[0].as_str() else { return Err(invalid("the command name must be a string")) };
        let rest = &args[1..];
        let count = |n: usize| if rest.len() == n { Ok(()) } else { Err(CommandError::InvalidParameter(format!("{name} takes {n} argument(s)"))) };
        let string = |i: usize| rest.get(i).and_then(Value::as_str).ok_or_else(|| CommandError::InvalidParameter(format!("{name}: argument {} must be a string", i + 1)));
        let integer = |i: usize| rest.get(i).and_then(Value::as_i64).ok_or_else(|| CommandError::InvalidParameter(format!("{name}: argument {} must be an integer", i + 1)));
        match name {
            "client_name" => Ok(Step::Done(Some(json!(self.name)))),
            "get_version" => Ok(Step::Done(Some(json!(CLIENT_API_VERSION)))),
            "get_property" | "get_property_string" => {
                count(1)?;
                let v = properties::get(snap, string(0)?)?;
                Ok(Step::Done(Some(if name == "get_property" { v } else { properties::to_mpv_string(&v) })))
            }
            "set_property" | "set_property_string" => {
                count(2)?;
                let value = if name == "set_property_string" { string(1)?.to_string() } else { arg_text(&rest[1])? };
                Ok(Step::Run(control::set_property(string(0)?, &value)?))
            }
            "observe_property" | "observe_property_string" => {
                count(2)?;
                let (id, property) = (integer(0)?, string(1)?);
                self.observed.push(Observed { id, name: property.to_string(), string: name == "observe_property_string", sent: None });
                Ok(Step::Done(None))
            }
            "unobserve_property" => {
                count(1)?;
                let id = integer(0)?;
                let before = self.observed.len();
                self.observed.retain(|o| o.id != id);
                if self.observed.len() == before {
                    return Err(invalid("no property is observed with that id"));
                }
                Ok(Step::Done(None))
            }
            "enable_event" | "disable_event" => {
                count(1)?;
                let event = string(0)?;
                match (name, event) {
                    ("enable_event", "all") => self.disabled_events.clear(),
                    ("disable_event", "all") => self.disabled_events.extend(["seek", "playback-restart", "end-file", "shutdown"].map(String::from)),
                    ("enable_event", e) => _ = self.disabled_events.remove(e),
                    (_, e) => _ = self.disabled_events.insert(e.to_string()),
                }
                Ok(Step::Done(None))
            }
            // Accepted so that clients that ask for logs at start work; none are sent.
            "request_log_messages" => Ok(Step::Done(None)),
            _ => {
                let mut words = vec![name.to_string()];
                for a in rest {
                    words.push(arg_text(a)?);
                }
                Ok(Step::Run(control::parse_args(&words)?))
            }
        }
    }

    /// `property-change` lines for the observed properties whose value differs from
    /// what was last sent (the first call after `observe_property` sends the current
    /// value, `null` when unavailable, as mpv does).
    pub fn changes(&mut self, snap: &Snapshot) -> Vec<String> {
        let mut lines = Vec::new();
        for o in &mut self.observed {
            let mut v = properties::get(snap, &o.name).unwrap_or(Value::Null);
            if o.string {
                v = properties::to_mpv_string(&v);
            }
            if o.sent.as_ref() != Some(&v) {
                lines.push(line(&json!({"event": "property-change", "id": o.id, "name": o.name, "data": v})));
                o.sent = Some(v);
            }
        }
        lines
    }

    /// The event line for a notice, unless this client disabled that event.
    pub fn event(&self, notice: &Notice) -> Option<String> {
        let value = match notice {
            Notice::Seek => json!({"event": "seek"}),
            Notice::PlaybackRestart => json!({"event": "playback-restart"}),
            Notice::EndFile(reason) => json!({"event": "end-file", "reason": reason.as_str()}),
            Notice::Shutdown => json!({"event": "shutdown"}),
        };
        let name = value["event"].as_str().unwrap_or_default();
        (!self.disabled_events.contains(name)).then(|| line(&value))
    }
}

enum Step {
    Done(Option<Value>),
    Run(PlayerCommand),
}

/// A JSON argument as command text: strings as they are, numbers as written, flags as
/// `yes`/`no`.
fn arg_text(v: &Value) -> Result<String, CommandError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if *b { "yes" } else { "no" }.to_string()),
        _ => Err(CommandError::InvalidParameter(format!("unsupported argument {v}"))),
    }
}

/// The reply line to a JSON request: `data` (when there is some) and `error`.
pub fn reply(request_id: &Value, result: Result<Option<Value>, CommandError>) -> String {
    let mut m = Map::new();
    match result {
        Ok(data) => {
            if let Some(d) = data {
                m.insert("data".into(), d);
            }
            m.insert("error".into(), json!("success"));
        }
        Err(e) => {
            m.insert("error".into(), json!(e.mpv_error()));
        }
    }
    m.insert("request_id".into(), request_id.clone());
    line(&Value::Object(m))
}

fn line(v: &Value) -> String {
    let mut s = v.to_string();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use smoothplay_engine::session::Command;

    use super::*;
    use crate::state::tests::status;
    use crate::state::EndFileReason;

    fn parsed(line: &str) -> Value {
        serde_json::from_str(line.trim_end()).unwrap()
    }

    fn reply_of(client: &mut Client, line: &str, snap: &Snapshot) -> Value {
        match client.handle_line(line, snap) {
            Action::Reply(r) => {
                assert!(r.ends_with('\n') && !r.trim_end().contains('\n'));
                parsed(&r)
            }
            other => panic!("{line}: expected a reply, got {other:?}"),
        }
    }

    fn playing() -> Snapshot {
        Snapshot { status: Some(status(12_300, 300, false)), ..Snapshot::default() }
    }

    #[test]
    fn get_property_replies_with_data_and_request_id() {
        let mut c = Client::new("ipc-0");
        let snap = playing();
        let r = reply_of(&mut c, r#"{"command": ["get_property", "time-pos"], "request_id": 7}"#, &snap);
        assert_eq!(r, json!({"data": 12.3, "request_id": 7, "error": "success"}));
        let r = reply_of(&mut c, r#"{"command": ["get_property", "duration"]}"#, &snap);
        assert_eq!(r, json!({"data": 20.0, "request_id": 0, "error": "success"}));
        let r = reply_of(&mut c, r#"{"command": ["get_property_string", "pause"], "request_id": "a"}"#, &snap);
        assert_eq!(r, json!({"data": "no", "request_id": "a", "error": "success"}));
        let r = reply_of(&mut c, r#"{"command": ["get_property", "time-pos"], "request_id": 1}"#, &Snapshot::default());
        assert_eq!(r, json!({"request_id": 1, "error": "property unavailable"}));
        let r = reply_of(&mut c, r#"{"command": ["get_property", "no-such-thing"], "request_id": 2}"#, &snap);
        assert_eq!(r, json!({"request_id": 2, "error": "property not found"}));
        assert_eq!(reply_of(&mut c, r#"{"command": ["client_name"]}"#, &snap)["data"], "ipc-0");
        assert_eq!(reply_of(&mut c, r#"{"command": ["get_version"]}"#, &snap)["data"], CLIENT_API_VERSION);
    }

    #[test]
    fn commands_become_player_commands() {
        let mut c = Client::new("ipc-0");
        let snap = playing();
        let run = |c: &mut Client, l: &str| match c.handle_line(l, &snap) {
            Action::Run { command, request_id } => (command, request_id),
            other => panic!("{l}: {other:?}"),
        };
        assert_eq!(run(&mut c, r#"{"command": ["seek", 5], "request_id": 3}"#), (PlayerCommand::Engine(Command::SeekBy(5.0)), Some(json!(3))));
        assert_eq!(run(&mut c, r#"{"command": ["seek", "10", "absolute"]}"#).0, PlayerCommand::Engine(Command::Seek(Duration::from_secs(10))));
        assert_eq!(run(&mut c, r#"{"command": ["seek", -2.5]}"#).0, PlayerCommand::Engine(Command::SeekBy(-2.5)));
        assert_eq!(run(&mut c, r#"{"command": ["set_property", "pause", true]}"#).0, PlayerCommand::Engine(Command::Pause));
        assert_eq!(run(&mut c, r#"{"command": ["set_property_string", "pause", "no"]}"#).0, PlayerCommand::Engine(Command::Resume));
        assert_eq!(run(&mut c, r#"{"command": ["set_property", "speed", 1.5]}"#).0, PlayerCommand::Engine(Command::SetSpeed(1.5)));
        assert_eq!(run(&mut c, r#"{"command": ["set_property", "volume", 50]}"#).0, PlayerCommand::SetVolume(50.0));
        assert_eq!(run(&mut c, r#"{"command": ["set_property", "mute", true]}"#).0, PlayerCommand::SetMute(true));
        assert_eq!(run(&mut c, r#"{"command": ["cycle", "pause"]}"#).0, PlayerCommand::TogglePause);
        assert_eq!(run(&mut c, r#"{"command": ["screenshot-to-file", "/tmp/x.png"]}"#).0, PlayerCommand::Screenshot(Some("/tmp/x.png".into())));
        assert_eq!(run(&mut c, r#"{"command": ["quit"]}"#).0, PlayerCommand::Quit);
        // Text commands: no reply.
        assert_eq!(run(&mut c, "seek 5"), (PlayerCommand::Engine(Command::SeekBy(5.0)), None));
        assert_eq!(run(&mut c, "  cycle pause\r"), (PlayerCommand::TogglePause, None));
        assert_eq!(c.handle_line("", &snap), Action::Nothing);
        assert_eq!(c.handle_line("# comment", &snap), Action::Nothing);
        assert_eq!(c.handle_line("frobnicate", &snap), Action::Nothing);
    }

    #[test]
    fn bad_requests_get_error_replies() {
        let mut c = Client::new("ipc-0");
        let snap = playing();
        for (line, error) in [
            (r#"{"command": ["frobnicate"], "request_id": 4}"#, "invalid parameter"),
            (r#"{"command": "seek 5", "request_id": 4}"#, "invalid parameter"),
            (r#"{"command": [], "request_id": 4}"#, "invalid parameter"),
            (r#"{"command": [5], "request_id": 4}"#, "invalid parameter"),
            (r#"{"command": ["get_property"], "request_id": 4}"#, "invalid parameter"),
            (r#"{"command": ["set_property", "pause", "maybe"], "request_id": 4}"#, "invalid parameter"),
            (r#"{"command": ["set_property", "duration", 3], "request_id": 4}"#, "error accessing property"),
            (r#"{"command": ["set_property", "nope", 3], "request_id": 4}"#, "property not found"),
            (r#"{"command": ["seek", {"a": 1}], "request_id": 4}"#, "invalid parameter"),
            (r#"{"command": ["observe_property", "x", "pause"], "request_id": 4}"#, "invalid parameter"),
        ] {
            assert_eq!(reply_of(&mut c, line, &snap), json!({"request_id": 4, "error": error}), "{line}");
        }
        assert_eq!(reply_of(&mut c, r#"{"command": ["seek", 5"#, &snap), json!({"request_id": 0, "error": "invalid parameter"}));
        assert_eq!(reply_of(&mut c, "{nonsense", &snap), json!({"request_id": 0, "error": "invalid parameter"}));
        assert_eq!(reply_of(&mut c, r#"{"request_id": 9}"#, &snap), json!({"request_id": 9, "error": "invalid parameter"}));
    }

    #[test]
    fn observed_properties_send_changes_only() {
        let mut c = Client::new("ipc-0");
        let mut snap = Snapshot::default();
        assert_eq!(reply_of(&mut c, r#"{"command": ["observe_property", 1, "time-pos"]}"#, &snap), json!({"request_id": 0, "error": "success"}));
        assert_eq!(reply_of(&mut c, r#"{"command": ["observe_property_string", 2, "volume"]}"#, &snap)["error"], "success");
        let first: Vec<Value> = c.changes(&snap).iter().map(|l| parsed(l)).collect();
        assert_eq!(first, vec![json!({"event": "property-change", "id": 1, "name": "time-pos", "data": null}), json!({"event": "property-change", "id": 2, "name": "volume", "data": "100.000000"})]);
        assert!(c.changes(&snap).is_empty(), "nothing changed");
        snap.status = Some(status(1_500, 45, false));
        assert_eq!(c.changes(&snap).iter().map(|l| parsed(l)).collect::<Vec<_>>(), vec![json!({"event": "property-change", "id": 1, "name": "time-pos", "data": 1.5})]);
        assert_eq!(reply_of(&mut c, r#"{"command": ["unobserve_property", 1]}"#, &snap)["error"], "success");
        snap.status = Some(status(2_000, 60, false));
        assert!(c.changes(&snap).is_empty());
        assert_eq!(reply_of(&mut c, r#"{"command": ["unobserve_property", 1]}"#, &snap)["error"], "invalid parameter");
    }

    #[test]
    fn events_are_mpvs() {
        let mut c = Client::new("ipc-0");
        assert_eq!(parsed(&c.event(&Notice::Seek).unwrap()), json!({"event": "seek"}));
        assert_eq!(parsed(&c.event(&Notice::PlaybackRestart).unwrap()), json!({"event": "playback-restart"}));
        assert_eq!(parsed(&c.event(&Notice::EndFile(EndFileReason::Quit)).unwrap()), json!({"event": "end-file", "reason": "quit"}));
        assert_eq!(parsed(&c.event(&Notice::Shutdown).unwrap()), json!({"event": "shutdown"}));
        let snap = Snapshot::default();
        assert_eq!(reply_of(&mut c, r#"{"command": ["disable_event", "seek"]}"#, &snap)["error"], "success");
        assert_eq!(c.event(&Notice::Seek), None);
        assert_eq!(reply_of(&mut c, r#"{"command": ["enable_event", "all"]}"#, &snap)["error"], "success");
        assert!(c.event(&Notice::Seek).is_some());
    }
}
