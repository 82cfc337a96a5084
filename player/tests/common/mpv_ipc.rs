//! The tests' mpv JSON IPC client (`--input-ipc-server`), shared by tests/ipc.rs and
//! tests/window.rs: requests with ids, events set aside, every wait bounded.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One IPC connection: requests with ids, events kept aside.
pub struct Ipc {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: u64,
    /// Events read while waiting for replies, oldest first.
    pub events: Vec<Value>,
}

impl Ipc {
    /// Connects to `socket` within 30 s; `alive` panics (with why) once the player has
    /// exited, so a player that dies early fails the test at once.
    pub fn connect(socket: &Path, mut alive: impl FnMut()) -> Ipc {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            alive();
            match UnixStream::connect(socket) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
                    return Ipc { reader: BufReader::new(s.try_clone().unwrap()), writer: s, next_id: 1, events: Vec::new() };
                }
                Err(e) => {
                    assert!(Instant::now() < deadline, "no IPC socket at {}: {e}", socket.display());
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    pub fn send_raw(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).unwrap();
        self.writer.write_all(b"\n").unwrap();
    }

    /// The next line, or `None` at end of stream; panics after 10 s of silence.
    pub fn read_line(&mut self) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut line = String::new();
        loop {
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) if line.ends_with('\n') => return Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad JSON from the player {line:?}: {e}"))),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    assert!(Instant::now() < deadline, "no line from the player within 10 s");
                }
                Err(e) => panic!("reading the socket: {e}"),
            }
        }
    }

    /// The reply to the next line sent (which carries no request_id of its own).
    pub fn reply_to_raw(&mut self, line: &str) -> Value {
        self.send_raw(line);
        loop {
            let v = self.read_line().expect("the connection stays open");
            if v.get("event").is_some() {
                self.events.push(v);
            } else {
                return v;
            }
        }
    }

    pub fn request(&mut self, command: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_raw(&json!({"command": command, "request_id": id}).to_string());
        loop {
            let v = self.read_line().expect("the connection stays open");
            if v.get("event").is_some() {
                self.events.push(v);
            } else {
                assert_eq!(v["request_id"], id, "replies come in order: {v}");
                return v;
            }
        }
    }

    pub fn get(&mut self, property: &str) -> Option<Value> {
        let r = self.request(json!(["get_property", property]));
        (r["error"] == "success").then(|| r["data"].clone())
    }

    pub fn ok(&mut self, command: Value) {
        let r = self.request(command.clone());
        assert_eq!(r["error"], "success", "{command}: {r}");
    }

    /// Polls `property` until `check` accepts it.
    pub fn wait_for(&mut self, property: &str, within: Duration, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let v = self.get(property);
            if let Some(v) = v.filter(|v| check(v)) {
                return v;
            }
            assert!(Instant::now() < deadline, "{property} never got there within {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Reads until an event `check` accepts (events already received count).
    pub fn wait_event(&mut self, within: Duration, check: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.events.iter().position(&check) {
            return self.events.remove(i);
        }
        let deadline = Instant::now() + within;
        loop {
            assert!(Instant::now() < deadline, "no such event within {within:?}; saw {:?}", self.events);
            let v = self.read_line().expect("the connection stays open");
            if check(&v) {
                return v;
            }
            self.events.push(v);
        }
    }

    /// time-pos once it has stopped moving (paused; values follow 100 ms statuses).
    pub fn settled_time_pos(&mut self) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = secs(&self.get("time-pos").expect("time-pos"));
        loop {
            std::thread::sleep(Duration::from_millis(350));
            let now = secs(&self.get("time-pos").expect("time-pos"));
            if now == last {
                return now;
            }
            assert!(Instant::now() < deadline, "time-pos still moving while paused: {last} then {now}");
            last = now;
        }
    }
}

/// A JSON number as f64.
pub fn secs(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}
