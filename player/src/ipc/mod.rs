//! mpv-compatible JSON IPC (`--input-ipc-server PATH`): scripts and remote controls
//! written for mpv's socket work with smoothplay, within the supported subset (see the
//! README's "Scripting: mpv's JSON IPC").
//!
//! [`protocol`] is the protocol without I/O, [`properties`] the property names,
//! [`server`] the tokio Unix-socket server.

pub mod properties;
pub mod protocol;
pub mod server;

pub use server::IpcServer;
