//! A writer for ffmpeg's `framemd5` text format (libavformat/framehash.c, version 2), so
//! `smoothplay --framemd5` output can be diffed against
//! `ffmpeg -fflags +bitexact -i IN -pix_fmt yuv420p -f framemd5 OUT`.

use std::io::{self, Write};

use super::frame::VideoFrame;

/// Writes one line per decoded picture: `0, dts, pts, duration, size, md5`, after ffmpeg's
/// `#` header lines (the `#software` line is left out, as ffmpeg does with `+bitexact`).
///
/// Times are printed in the time base `1/timescale` given to [`new`](Self::new) (pass the
/// frame rate, e.g. 25, to get ffmpeg's numbering for raw H.264 input; pass the stream's
/// timescale to keep Smooth times). dts is printed equal to pts (these are decoded
/// pictures, in presentation order). A line's duration is the gap to the next picture, so
/// each line is written when the next picture arrives; the last picture repeats the
/// previous duration (0 if it is the only one). The header is written with the first
/// picture, whose size `#dimensions` gives; a later size change (a quality switch) is
/// not rescaled: its lines carry the new size and the md5 of the new-size picture.
/// Call [`finish`](Self::finish) to write the last line.
#[derive(Debug)]
pub struct FrameMd5Writer<W: Write> {
    out: W,
    timescale: u64,
    header_written: bool,
    pending: Option<Line>,
    last_duration: u64,
}

#[derive(Debug)]
struct Line {
    pts: u64,
    size: usize,
    md5: String,
}

impl<W: Write> FrameMd5Writer<W> {
    /// A writer printing times in the time base `1/timescale` (0 is treated as 1).
    pub fn new(out: W, timescale: u64) -> Self {
        FrameMd5Writer {
            out,
            timescale: timescale.max(1),
            header_written: false,
            pending: None,
            last_duration: 0,
        }
    }

    /// Records one picture (in presentation order).
    pub fn write_frame(&mut self, frame: &VideoFrame) -> io::Result<()> {
        if !self.header_written {
            write!(
                self.out,
                "#format: frame checksums\n#version: 2\n#hash: MD5\n#tb 0: 1/{}\n#media_type 0: video\n\
                 #codec_id 0: rawvideo\n#dimensions 0: {}x{}\n#sar 0: 1/1\n\
                 #stream#, dts,        pts, duration,     size, hash\n",
                self.timescale, frame.width, frame.height
            )?;
            self.header_written = true;
        }
        let pts = frame.pts.rescale(self.timescale).ticks;
        if let Some(prev) = self.pending.take() {
            self.last_duration = pts.saturating_sub(prev.pts);
            self.write_line(&prev, self.last_duration)?;
        }
        self.pending = Some(Line {
            pts,
            size: frame.byte_len(),
            md5: frame.md5_hex(),
        });
        Ok(())
    }

    fn write_line(&mut self, line: &Line, duration: u64) -> io::Result<()> {
        writeln!(
            self.out,
            "0, {:>10}, {:>10}, {:>8}, {:>8}, {}",
            line.pts, line.pts, duration, line.size, line.md5
        )
    }

    /// Writes the last line, flushes, and gives the output back.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(last) = self.pending.take() {
            self.write_line(&last, self.last_duration)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MediaTime;

    fn frame(t: u64, w: u32, h: u32, fill: u8) -> VideoFrame {
        VideoFrame::flat(MediaTime::new(t, 10_000_000), w, h, fill)
    }

    #[test]
    fn lines_follow_ffmpeg_layout_and_durations() {
        let mut w = FrameMd5Writer::new(Vec::new(), 25);
        for (i, f) in [
            frame(0, 4, 2, 1),
            frame(400_000, 4, 2, 2),
            frame(800_000, 4, 2, 3),
        ]
        .iter()
        .enumerate()
        {
            w.write_frame(f)
                .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        }
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], "#tb 0: 1/25");
        assert_eq!(lines[6], "#dimensions 0: 4x2");
        assert_eq!(
            lines[8],
            "#stream#, dts,        pts, duration,     size, hash"
        );
        assert_eq!(lines.len(), 12);
        let expect_md5 = frame(400_000, 4, 2, 2).md5_hex();
        assert_eq!(
            lines[10],
            format!("0,          1,          1,        1,       12, {expect_md5}")
        );
        assert!(
            lines[11].starts_with("0,          2,          2,        1,       12, "),
            "{}",
            lines[11]
        );
    }

    #[test]
    fn nothing_is_written_without_frames() {
        assert!(FrameMd5Writer::new(Vec::new(), 25)
            .finish()
            .unwrap()
            .is_empty());
    }
}
