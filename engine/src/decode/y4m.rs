//! A YUV4MPEG2 writer for `--dump-video FILE.y4m` (4:2:0, 8 bit, progressive).

use std::io::{self, Write};

use super::frame::VideoFrame;
use crate::time::MediaTime;

/// Frame rate written when it is not given and cannot be inferred (a one-picture stream).
pub const FALLBACK_FRAME_RATE: (u32, u32) = (25, 1);

/// Writes pictures as a YUV4MPEG2 stream (`C420jpeg`, square pixels).
///
/// Y4M has one picture size for the whole file, fixed by the header, while a Smooth
/// stream changes size at quality switches: every picture is written at the first
/// picture's size, later pictures of another size scaled to it nearest-neighbour (crude
/// but exact to reproduce; the md5 of such a picture differs from the decoder's, use
/// framemd5 for bit-exact checks). With no frame rate given, the rate is inferred from
/// the first two pictures' pts gap, so the first picture is held until the second arrives
/// or [`finish`](Self::finish) is called.
#[derive(Debug)]
pub struct Y4mWriter<W: Write> {
    out: W,
    frame_rate: Option<(u32, u32)>,
    size: Option<(u32, u32)>,
    held: Option<VideoFrame>,
}

impl<W: Write> Y4mWriter<W> {
    /// A writer with a known frame rate `(numerator, denominator)` in frames per second,
    /// or `None` to infer it from the pictures' pts.
    pub fn new(out: W, frame_rate: Option<(u32, u32)>) -> Self {
        Y4mWriter {
            out,
            frame_rate: frame_rate.filter(|&(n, d)| n > 0 && d > 0),
            size: None,
            held: None,
        }
    }

    /// Writes one picture (in presentation order).
    pub fn write_frame(&mut self, frame: &VideoFrame) -> io::Result<()> {
        if self.size.is_none() && self.frame_rate.is_none() {
            match self.held.take() {
                None => {
                    self.held = Some(frame.clone());
                    return Ok(());
                }
                Some(first) => {
                    self.frame_rate =
                        Some(rate_between(first.pts, frame.pts).unwrap_or(FALLBACK_FRAME_RATE));
                    self.emit(&first)?;
                }
            }
        }
        self.emit(frame)
    }

    fn emit(&mut self, frame: &VideoFrame) -> io::Result<()> {
        let (w, h) = match self.size {
            Some(size) => size,
            None => {
                let (n, d) = self.frame_rate.unwrap_or(FALLBACK_FRAME_RATE);
                writeln!(
                    self.out,
                    "YUV4MPEG2 W{} H{} F{n}:{d} Ip A1:1 C420jpeg XYSCSS=420JPEG",
                    frame.width, frame.height
                )?;
                self.size = Some((frame.width, frame.height));
                (frame.width, frame.height)
            }
        };
        self.out.write_all(b"FRAME\n")?;
        if (frame.width, frame.height) == (w, h) {
            self.out.write_all(&frame.y)?;
            self.out.write_all(&frame.u)?;
            self.out.write_all(&frame.v)?;
        } else {
            let (sw, sh) = frame.chroma_size();
            let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
            self.out
                .write_all(&scale_nearest(&frame.y, frame.width, frame.height, w, h))?;
            self.out
                .write_all(&scale_nearest(&frame.u, sw, sh, cw, ch))?;
            self.out
                .write_all(&scale_nearest(&frame.v, sw, sh, cw, ch))?;
        }
        Ok(())
    }

    /// Writes a picture still held for frame-rate inference, flushes, and gives the output back.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(first) = self.held.take() {
            self.emit(&first)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Frames per second as a reduced fraction from two consecutive pts.
fn rate_between(a: MediaTime, b: MediaTime) -> Option<(u32, u32)> {
    let b = b.rescale(a.timescale);
    let gap = b.ticks.checked_sub(a.ticks).filter(|&g| g > 0)?;
    let g = gcd(a.timescale, gap);
    Some((
        u32::try_from(a.timescale / g).ok()?,
        u32::try_from(gap / g).ok()?,
    ))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Nearest-neighbour resize of one packed plane; missing source bytes read as 128 (grey).
fn scale_nearest(src: &[u8], sw: u32, sh: u32, dw: u32, dh: u32) -> Vec<u8> {
    let (sw, sh, dw, dh) = (sw as usize, sh as usize, dw as usize, dh as usize);
    let mut out = Vec::with_capacity(dw * dh);
    for y in 0..dh {
        let sy = y * sh / dh; // dh > 0 inside this loop
        for x in 0..dw {
            let sx = x * sw / dw;
            out.push(src.get(sy * sw + sx).copied().unwrap_or(128));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(t: u64, w: u32, h: u32, fill: u8) -> VideoFrame {
        VideoFrame::flat(MediaTime::new(t, 10_000_000), w, h, fill)
    }

    #[test]
    fn infers_rate_and_scales_later_sizes_to_the_first() {
        let mut w = Y4mWriter::new(Vec::new(), None);
        w.write_frame(&frame(0, 4, 2, 1)).unwrap();
        w.write_frame(&frame(400_000, 4, 2, 2)).unwrap();
        w.write_frame(&frame(800_000, 8, 4, 3)).unwrap();
        let bytes = w.finish().unwrap();
        let header = b"YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n";
        assert!(bytes.starts_with(header));
        let per_frame = 6 + 8 + 2 + 2;
        assert_eq!(bytes.len(), header.len() + 3 * per_frame);
        let third = &bytes[header.len() + 2 * per_frame..];
        assert_eq!(&third[..6], b"FRAME\n");
        assert!(
            third[6..].iter().all(|&b| b == 3),
            "scaled picture keeps its content"
        );
    }

    #[test]
    fn single_frame_uses_the_fallback_rate() {
        let mut w = Y4mWriter::new(Vec::new(), None);
        w.write_frame(&frame(0, 2, 2, 9)).unwrap();
        let bytes = w.finish().unwrap();
        assert!(bytes.starts_with(b"YUV4MPEG2 W2 H2 F25:1 "));
        assert!(bytes.ends_with(b"FRAME\n\x09\x09\x09\x09\x09\x09"));
    }

    #[test]
    fn rate_is_reduced() {
        assert_eq!(
            rate_between(
                MediaTime::new(0, 10_000_000),
                MediaTime::new(417_083, 10_000_000)
            ),
            Some((10_000_000, 417_083))
        );
        assert_eq!(
            rate_between(MediaTime::new(0, 30_000), MediaTime::new(1001, 30_000)),
            Some((30_000, 1001))
        );
        assert_eq!(
            rate_between(MediaTime::new(5, 25), MediaTime::new(5, 25)),
            None
        );
    }
}
