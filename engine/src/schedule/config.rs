use std::time::Duration;

/// Buffer policy of the scheduler.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Stop fetching a track once this much media is buffered ahead of the playhead.
    pub forward_buffer: Duration,
    /// Video level pinned by the user, if any (`--video-bitrate`).
    pub video_pin: LevelPin,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        // 30 s: enough to ride out a long network dip, small enough to switch up quickly.
        ScheduleConfig { forward_buffer: Duration::from_secs(30), video_pin: LevelPin::Auto }
    }
}

/// How the video level is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelPin {
    /// The quality selector decides per fragment.
    Auto,
    /// Always the lowest level.
    Min,
    /// Always the highest level.
    Max,
    /// The highest level at or below this bitrate (the lowest if none is).
    AtMostBps(u64),
}

impl LevelPin {
    /// The ladder index this pin resolves to, given ascending bitrates; `None` for `Auto`.
    pub fn resolve(self, ascending_bitrates: &[u64]) -> Option<usize> {
        let top = ascending_bitrates.len().saturating_sub(1);
        match self {
            LevelPin::Auto => None,
            LevelPin::Min => Some(0),
            LevelPin::Max => Some(top),
            LevelPin::AtMostBps(bps) => {
                Some(ascending_bitrates.iter().rposition(|&b| b <= bps).unwrap_or(0))
            }
        }
    }
}

impl std::str::FromStr for LevelPin {
    type Err = String;
    /// `auto`, `min`, `max`, or a bitrate in bit/s (`k`/`M` suffixes allowed: `400k`).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "auto" => return Ok(LevelPin::Auto),
            "min" => return Ok(LevelPin::Min),
            "max" => return Ok(LevelPin::Max),
            _ => {}
        }
        let (num, mult) = if let Some(n) = t.strip_suffix('k') {
            (n, 1_000)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, 1_000_000)
        } else {
            (t.as_str(), 1)
        };
        num.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .map(LevelPin::AtMostBps)
            .ok_or_else(|| format!("invalid video bitrate {s:?}: use auto, min, max or bits per second like 400000 or 400k"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_picks_highest_at_or_below() {
        let ladder = [200_000, 400_000, 1_200_000];
        assert_eq!("400k".parse::<LevelPin>().unwrap().resolve(&ladder), Some(1));
        assert_eq!("399999".parse::<LevelPin>().unwrap().resolve(&ladder), Some(0));
        assert_eq!("1".parse::<LevelPin>().unwrap().resolve(&ladder), Some(0));
        assert_eq!("max".parse::<LevelPin>().unwrap().resolve(&ladder), Some(2));
        assert_eq!("auto".parse::<LevelPin>().unwrap().resolve(&ladder), None);
        assert!("fast".parse::<LevelPin>().is_err());
    }
}
