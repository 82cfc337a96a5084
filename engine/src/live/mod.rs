//! Live presentations: the timeline that grows from manifest refreshes and tfrf boxes,
//! and the decisions of following the live edge (join point, playback-rate nudges,
//! when to refresh the manifest, when the stream has gone idle). Sans-I/O: the session
//! driver feeds them what happened and carries out what they say.

pub mod child_track;
pub mod follow;
pub mod idle;
pub mod refresh;
pub mod timeline;

pub use child_track::{parse_child_track, SparsePointer};
pub use follow::{EdgeFollower, FollowConfig, Steer};
pub use idle::{IdleWatch, Liveness};
pub use refresh::RefreshPolicy;
pub use timeline::{Entry, LiveTimeline, Merge, Source, TimelineConfig};
