//! Fragment sizes of a Smooth Streaming presentation over plain HTTP: GET the manifest, then
//! HEAD every fragment for its `Content-Length`.
//!
//! A deliberately small HTTP/1.1 client on `std::net` (the crate stays std + serde): `http://`
//! only (no TLS), one request per connection, explicit limits on header and body sizes and
//! timeouts. Enough for a local origin (nginx, `python3 -m http.server`) or a test server.

use super::smooth::{parse_video_stream, MAX_MANIFEST_BYTES};
use super::video::{Video, VideoError};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Largest response header block accepted, bytes.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Connect / read / write timeout.
pub const TIMEOUT: Duration = Duration::from_secs(10);

fn err(url: &str, why: impl std::fmt::Display) -> VideoError {
    VideoError::Invalid(format!("{url}: {why}"))
}

/// Splits `http://host[:port]/path` into (host, port, path).
pub fn split_url(url: &str) -> Result<(String, u16, String), VideoError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| err(url, "only http:// URLs are supported (no TLS)"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| err(url, "bad port"))?),
        None => (authority, 80),
    };
    if host.is_empty() || host.contains(['@', ' ']) {
        return Err(err(url, "bad host"));
    }
    Ok((host.to_string(), port, path.to_string()))
}

/// One request; returns (status, content-length, body). HEAD returns an empty body.
fn request(method: &str, url: &str, max_body: u64) -> Result<(u16, Option<u64>, Vec<u8>), VideoError> {
    let (host, port, path) = split_url(url)?;
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .map_err(|e| err(url, e))?
        .next()
        .ok_or_else(|| err(url, "host did not resolve"))?;
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| err(url, e))?;
    s.set_read_timeout(Some(TIMEOUT)).map_err(|e| err(url, e))?;
    s.set_write_timeout(Some(TIMEOUT)).map_err(|e| err(url, e))?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: smoothplay-sim\r\n\r\n")
        .map_err(|e| err(url, e))?;
    let mut r = BufReader::new(s);
    let mut header_bytes = 0usize;
    let mut line = String::new();
    let mut read_line = |r: &mut BufReader<TcpStream>, line: &mut String| -> Result<(), VideoError> {
        line.clear();
        let n = r.by_ref().take((MAX_HEADER_BYTES - header_bytes) as u64 + 1).read_line(line).map_err(|e| err(url, e))?;
        header_bytes += n;
        if header_bytes > MAX_HEADER_BYTES {
            return Err(err(url, "response headers too large"));
        }
        if n == 0 {
            return Err(err(url, "connection closed in headers"));
        }
        Ok(())
    };
    read_line(&mut r, &mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| err(url, format!("bad status line {:?}", line.trim_end())))?;
    let mut length = None;
    loop {
        read_line(&mut r, &mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = Some(v.trim().parse::<u64>().map_err(|_| err(url, "bad Content-Length"))?);
            }
        }
    }
    let mut body = Vec::new();
    if method != "HEAD" {
        if length.is_some_and(|l| l > max_body) {
            return Err(err(url, format!("body larger than {max_body} bytes")));
        }
        r.take(max_body + 1).read_to_end(&mut body).map_err(|e| err(url, e))?;
        if body.len() as u64 > max_body {
            return Err(err(url, format!("body larger than {max_body} bytes")));
        }
    }
    Ok((status, length, body))
}

/// Loads a presentation over HTTP. `manifest_url` is the manifest itself
/// (`http://host/video.ism/Manifest`); fragment URLs are relative to its folder.
pub fn load_presentation_http(manifest_url: &str) -> Result<Video, VideoError> {
    let (status, _, body) = request("GET", manifest_url, MAX_MANIFEST_BYTES)?;
    if status != 200 {
        return Err(err(manifest_url, format!("HTTP {status}")));
    }
    let xml = String::from_utf8(body).map_err(|_| err(manifest_url, "manifest is not UTF-8"))?;
    let stream = parse_video_stream(&xml)?;
    let base = match manifest_url.rfind('/') {
        Some(i) if i >= "http://".len() => &manifest_url[..=i],
        _ => return Err(err(manifest_url, "no path")),
    };
    stream.into_video(|rel| {
        let url = format!("{base}{rel}");
        let (status, len, _) = request("HEAD", &url, 0)?;
        if status != 200 {
            return Err(err(&url, format!("HTTP {status}")));
        }
        len.ok_or_else(|| err(&url, "no Content-Length"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::path::{Path, PathBuf};

    /// Serves files under `root` for `n` requests (GET and HEAD), 404 otherwise.
    fn serve(root: PathBuf, n: usize) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in l.incoming().take(n) {
                let Ok(mut s) = stream else { continue };
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut first = String::new();
                r.read_line(&mut first).unwrap();
                let mut h = String::new();
                while r.read_line(&mut h).unwrap() > 2 {
                    h.clear();
                }
                let mut parts = first.split_whitespace();
                let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
                let file = root.join(path.trim_start_matches('/'));
                match std::fs::read(&file) {
                    Ok(body) => {
                        write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
                        if method == "GET" {
                            s.write_all(&body).unwrap();
                        }
                    }
                    Err(_) => write!(s, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").unwrap(),
                }
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn head_sizes_match_disk() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media")).to_path_buf();
        let disk = super::super::smooth::load_presentation(&root.join("small.ism")).unwrap();
        // 1 GET + 2 levels x 5 fragments HEAD.
        let base = serve(root, 11);
        let http = load_presentation_http(&format!("{base}/small.ism/Manifest")).unwrap();
        assert_eq!(http, disk);
    }

    #[test]
    fn errors_name_the_url() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media")).to_path_buf();
        let base = serve(root, 1);
        let e = load_presentation_http(&format!("{base}/missing.ism/Manifest")).unwrap_err().to_string();
        assert!(e.contains("missing.ism") && e.contains("404"), "{e}");
        assert!(split_url("https://x/y").is_err());
        assert_eq!(split_url("http://h:8080/a/b").unwrap(), ("h".into(), 8080, "/a/b".into()));
        assert_eq!(split_url("http://h").unwrap(), ("h".into(), 80, "/".into()));
    }
}
