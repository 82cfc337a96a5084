//! Helpers for the algorithms' unit tests.

use crate::types::{BufferState, Context, DownloadReport, Ladder};
use std::time::Duration;

/// The envivio ladder (Pensieve / Sabre), 48 fragments of 4 s at nominal sizes.
pub fn envivio() -> Ladder {
    let mut l = Ladder::from_kbps(&[300, 750, 1200, 1850, 2850, 4300], Duration::from_secs(4));
    l.fragment_count = Some(48);
    l
}

/// A context at `fragment` with `buffer_s` seconds buffered, 60 s maximum.
pub fn ctx(l: &Ladder, fragment: usize, buffer_s: f64) -> Context<'_> {
    Context {
        ladder: l,
        fragment_index: fragment,
        buffer: BufferState {
            level: Duration::from_secs_f64(buffer_s),
            target: Duration::from_secs(60),
            max: Duration::from_secs(60),
        },
        last_level: None,
        live_edge_distance: None,
        decode: None,
        viewport: None,
        playing: true,
        now: Duration::ZERO,
    }
}

/// A completed download of `kbits` at `level` that took `transfer_s` after `ttfb_s`.
pub fn report(level: usize, kbits: f64, ttfb_s: f64, transfer_s: f64) -> DownloadReport {
    DownloadReport {
        level,
        bytes: (kbits * 125.0).round() as u64,
        ttfb: Duration::from_secs_f64(ttfb_s),
        duration: Duration::from_secs_f64(ttfb_s + transfer_s),
        media_duration: Duration::from_secs(4),
        abandoned: false,
    }
}
