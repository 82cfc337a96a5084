//! smoothplay-player as a library: the parts of the desktop player that the `smoothplay`
//! binary, tests and other front ends share: [`video`] (the colour pipeline and the GPU
//! renderer) and [`audio`] (the sound output and its clock).
#![forbid(unsafe_code)]

pub mod audio;
pub mod video;
