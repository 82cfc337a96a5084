//! Helpers shared by the player's integration tests (each test crate uses a part).
#![allow(dead_code)]

pub mod mpv_ipc;
pub mod pulse;
