//! [`AudioControl`]: volume and mute, set from any thread (key handler, IPC) and read by
//! the device callback.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

/// The loudest volume accepted (130 %, a little headroom above the source's level).
pub const MAX_VOLUME: f32 = 1.3;

/// A cloneable handle on an output's volume and mute. Changes are heard within one device
/// callback and are ramped (see [`super::ramp`]), so they never click.
#[derive(Clone, Debug)]
pub struct AudioControl {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `f32` bits of the volume, 0..=[`MAX_VOLUME`].
    volume: AtomicU32,
    muted: AtomicBool,
}

impl Default for AudioControl {
    fn default() -> Self {
        Self::new()
    }
}

impl AudioControl {
    /// Volume 1.0 (the source's level), not muted.
    pub fn new() -> Self {
        AudioControl { inner: Arc::new(Inner { volume: AtomicU32::new(1.0f32.to_bits()), muted: AtomicBool::new(false) }) }
    }

    /// Sets the volume, clamped to `0..=`[`MAX_VOLUME`] (1.0 plays the source's level; NaN is
    /// ignored).
    pub fn set_volume(&self, volume: f32) {
        if volume.is_nan() {
            return;
        }
        self.inner.volume.store(volume.clamp(0.0, MAX_VOLUME).to_bits(), Ordering::Relaxed);
    }

    /// The volume last set.
    pub fn volume(&self) -> f32 {
        f32::from_bits(self.inner.volume.load(Ordering::Relaxed))
    }

    /// Mutes or unmutes (the volume is kept).
    pub fn set_muted(&self, muted: bool) {
        self.inner.muted.store(muted, Ordering::Relaxed);
    }

    /// Whether muted.
    pub fn muted(&self) -> bool {
        self.inner.muted.load(Ordering::Relaxed)
    }

    /// The gain the output should have: 0 while muted, else the volume.
    pub fn gain(&self) -> f32 {
        if self.muted() {
            0.0
        } else {
            self.volume()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_is_clamped_and_shared_between_clones() {
        let a = AudioControl::new();
        let b = a.clone();
        assert_eq!(b.gain(), 1.0);
        a.set_volume(2.0);
        assert_eq!(b.volume(), MAX_VOLUME);
        a.set_volume(-1.0);
        assert_eq!(b.volume(), 0.0);
        a.set_volume(0.5);
        a.set_volume(f32::NAN);
        assert_eq!(b.volume(), 0.5);
        b.set_muted(true);
        assert!(a.muted());
        assert_eq!(a.gain(), 0.0);
        assert_eq!(a.volume(), 0.5, "muting keeps the volume");
    }
}
