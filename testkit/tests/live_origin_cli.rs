//! `smoothplay-live-origin` serves a presentation as live and says where.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn serves_the_multitrack_fixture_live_at_the_printed_url() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/media/multitrack.ism");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smoothplay-live-origin"))
        .args(["--listen", "127.0.0.1:0", "--name", "mt"])
        .arg(&fixture)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("live: ").unwrap_or_else(|| panic!("first line {first:?}"));
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = TcpStream::connect(host).unwrap();
    write!(s, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"IsLive="TRUE""#) && answer.contains(r#"Name="scte35""#), "{answer}");
    assert!(path.ends_with("mt.ism/Manifest"));
}

#[test]
fn help_and_a_bad_source_say_what_to_do() {
    let out = Command::new(env!("CARGO_BIN_EXE_smoothplay-live-origin")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in ["--listen", "--style", "--window", "--no-sparse-pointers"] {
        assert!(help.contains(opt), "{opt} in {help}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_smoothplay-live-origin")).args(["--listen", "127.0.0.1:0", "/nonexistent.ism"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot serve /nonexistent.ism"), "{}", String::from_utf8_lossy(&out.stderr));
}
