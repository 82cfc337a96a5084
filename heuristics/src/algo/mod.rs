//! Built-in quality-selection algorithms, one file each: the published rules and smoothplay's
//! default. The research selectors `mdp` and `scenario` live in [`crate::research`]; `build`
//! constructs those too.

pub mod bba;
pub mod bola;
pub mod bolae;
pub mod capacity;
pub mod classic;
pub mod dynamic;
pub mod mpc;
pub mod plan;
pub mod smoothplay;
pub mod throughput;
#[cfg(test)]
pub(crate) mod test_util;

use crate::selector::QualitySelector;
use crate::types::Ladder;
use std::time::Duration;

/// Constructs the named algorithm (see [`crate::ALGORITHMS`]).
pub(crate) fn build(name: &str, ladder: &Ladder, max_buffer: Duration) -> Option<Box<dyn QualitySelector>> {
    Some(match name {
        "throughput" => Box::new(throughput::ThroughputRule::new(ladder)),
        "bba" => Box::new(bba::Bba::new(ladder, max_buffer)),
        "bola" => Box::new(bola::Bola::new(ladder, max_buffer)),
        "bolae" => Box::new(bolae::BolaE::new(ladder, max_buffer)),
        "dynamic" => Box::new(dynamic::Dynamic::new(ladder, max_buffer)),
        "dynamicdash" => Box::new(dynamic::DynamicDash::new(ladder, max_buffer)),
        "robustmpc" => Box::new(mpc::RobustMpc::new(ladder)),
        "classic" => Box::new(classic::Classic::new(ladder)),
        "smoothplay" => Box::new(smoothplay::Smoothplay::new(ladder)),
        "smoothplay-outages" => Box::new(smoothplay::Smoothplay::with_params(ladder, smoothplay::SmoothplayParams::links_with_outages())),
        "scenario" => Box::new(crate::research::scenario::ScenarioPlay::new(ladder)),
        "mdp" => Box::new(crate::research::mdp::Mdp::new(ladder, max_buffer.as_secs_f64())),
        _ => return None,
    })
}

/// Highest level whose fragment, at nominal bitrate, downloads within one fragment duration
/// including `latency_s`: `latency + d * bitrate / tput <= d` (Sabre's
/// `quality_from_throughput`, dash.js `getQualityForBitrate`). Level 0 when none fits.
pub fn quality_from_throughput(ladder: &Ladder, throughput_bps: f64, latency_s: f64) -> usize {
    let d = ladder.fragment_s();
    if !(throughput_bps > 0.0) {
        return 0;
    }
    let mut q = 0;
    while q + 1 < ladder.len() && latency_s + d * ladder.bitrate_bps(q + 1) as f64 / throughput_bps <= d {
        q += 1;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_from_throughput_counts_latency() {
        let l = Ladder::from_kbps(&[300, 750, 1200, 1850], Duration::from_secs(4));
        // 1000 kbps, no latency: 750 fits (3 s), 1200 does not (4.8 s).
        assert_eq!(quality_from_throughput(&l, 1_000_000.0, 0.0), 1);
        // 1200 kbps exactly fits with zero latency, not with 80 ms.
        assert_eq!(quality_from_throughput(&l, 1_200_000.0, 0.0), 2);
        assert_eq!(quality_from_throughput(&l, 1_200_000.0, 0.08), 1);
        assert_eq!(quality_from_throughput(&l, 0.0, 0.0), 0);
        assert_eq!(quality_from_throughput(&l, 1e12, 0.0), 3);
    }
}
