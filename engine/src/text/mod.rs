//! Timed text: TTML documents from Smooth Streaming text streams turned into cues
//! ([`ttml`]), and cues written out as SubRip or WebVTT ([`writers`]).
//!
//! Sans-I/O: every function takes bytes or cues and returns values; fetching the
//! fragments and deciding which cues played is the caller's business.

pub mod ttml;
mod ttml_time;
pub mod writers;
pub(crate) mod xml_doc;

pub use ttml::{
    cues_for_fragment, parse_document, Cue, CueRegion, CueSpan, DisplayAlign, FragmentSpan, Length,
    LengthPair, TextAlign, TimeBase, TtmlError, TtmlLimits,
};
pub use writers::{srt_timestamp, write_srt, write_webvtt};
