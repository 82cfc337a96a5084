//! Expands `<c n t d r>` elements into a stream's absolute chunk timeline.
//!
//! Rules (MS-SSTR §2.2.2.6, and every peer player for `r`):
//! - start = `t`, else the previous chunk's start + duration, else 0 for the first chunk;
//! - `r` is the number of chunks the element stands for, itself included (`r=1` is one
//!   chunk; `r=0` is read as 1), each `d` long; `r > 1` needs `d`;
//! - a missing `d` is inferred afterwards from the next chunk's start (see [`finish`]);
//! - starts must increase strictly (binary search depends on it); `n` is ignored
//!   because real manifests number chunks with gaps.

use crate::manifest::error::{ManifestError, TimelineProblem};
use crate::manifest::model::{Chunk, ChunkPayload};
use crate::time::MediaTime;

/// The attributes of one `<c>` element.
#[derive(Debug, Default)]
pub(crate) struct ChunkSpec {
    pub t: Option<u64>,
    pub d: Option<u64>,
    pub r: Option<u64>,
    /// Byte offset of the `<c>` element, for errors.
    pub offset: u64,
}

/// Accumulates one stream's chunks.
#[derive(Debug)]
pub(crate) struct TimelineBuilder {
    /// Position of the stream in the document, for errors.
    stream: usize,
    timescale: u64,
    chunks: Vec<Chunk>,
}

impl TimelineBuilder {
    pub(crate) fn new(stream: usize, timescale: u64) -> Self {
        TimelineBuilder {
            stream,
            timescale,
            chunks: Vec::new(),
        }
    }

    /// Number of chunks so far.
    pub(crate) fn len(&self) -> usize {
        self.chunks.len()
    }

    fn error(&self, spec: &ChunkSpec, problem: TimelineProblem) -> ManifestError {
        ManifestError::Timeline {
            stream: self.stream,
            chunk: self.chunks.len(),
            offset: spec.offset,
            problem,
        }
    }

    /// Appends the chunks that `spec` stands for. `budget` is how many more chunks the
    /// limits allow (checked before anything is allocated).
    pub(crate) fn push(
        &mut self,
        spec: &ChunkSpec,
        payloads: Vec<ChunkPayload>,
        budget: usize,
        limit: usize,
    ) -> Result<usize, ManifestError> {
        let count = spec.r.unwrap_or(1).max(1);
        if count > 1 && spec.d.is_none() {
            return Err(self.error(spec, TimelineProblem::RepeatWithoutDuration));
        }
        let count = match usize::try_from(count) {
            Ok(c) if c <= budget => c,
            _ => {
                return Err(ManifestError::LimitExceeded {
                    element: "c",
                    what: "chunks",
                    limit,
                    offset: spec.offset,
                })
            }
        };
        let start = match (spec.t, self.chunks.last()) {
            (Some(t), _) => t,
            (None, None) => 0,
            (None, Some(prev)) => match prev.duration {
                Some(d) => prev
                    .start
                    .ticks
                    .checked_add(d.ticks)
                    .ok_or_else(|| self.error(spec, TimelineProblem::TimeOverflow))?,
                None => return Err(self.error(spec, TimelineProblem::MissingStartTime)),
            },
        };
        if let Some(prev) = self.chunks.last() {
            if start <= prev.start.ticks {
                let problem = TimelineProblem::NotIncreasing {
                    previous: prev.start.ticks,
                    start,
                };
                return Err(self.error(spec, problem));
            }
        }
        // The end of the last repetition must fit in u64, so every start does too.
        if let Some(d) = spec.d {
            let span = d.checked_mul(count as u64);
            if span.and_then(|s| start.checked_add(s)).is_none() {
                return Err(self.error(spec, TimelineProblem::TimeOverflow));
            }
            if d == 0 && count > 1 {
                // Zero-length repeats would all share one start time.
                let problem = TimelineProblem::NotIncreasing {
                    previous: start,
                    start,
                };
                return Err(self.error(spec, problem));
            }
        }
        let duration = spec.d.map(|d| MediaTime::new(d, self.timescale));
        self.chunks.reserve(count);
        let d = spec.d.unwrap_or(0);
        let mut payloads = Some(payloads);
        for k in 0..count as u64 {
            // Checked above: start + d * count fits, so saturation never kicks in.
            let ticks = start.saturating_add(d.saturating_mul(k));
            let p = if k + 1 == count as u64 {
                payloads.take().unwrap_or_default()
            } else {
                payloads.clone().unwrap_or_default()
            };
            self.chunks.push(Chunk {
                start: MediaTime::new(ticks, self.timescale),
                duration,
                payloads: p,
            });
        }
        Ok(count)
    }

    /// The finished timeline: chunks without `d` get the gap to the next start.
    pub(crate) fn finish(mut self) -> Vec<Chunk> {
        let mut next_start: Option<u64> = None;
        for chunk in self.chunks.iter_mut().rev() {
            if let (None, Some(next)) = (chunk.duration, next_start) {
                let gap = next.saturating_sub(chunk.start.ticks);
                chunk.duration = Some(MediaTime::new(gap, self.timescale));
            }
            next_start = Some(chunk.start.ticks);
        }
        self.chunks
    }
}
