//! smoothplay-player as a library: the parts of the desktop player that tests and other
//! front ends use without the command line (today: [`video`], the colour pipeline).
#![forbid(unsafe_code)]

pub mod video;
