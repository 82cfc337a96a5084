//! Prints smoothplay's decisions (time, buffer, prediction, level) on one trace (development aid):
//! `cargo run --release --example decisions -- VIDEO TRACE [max_buffer=S] [live=J]`
//! (default: the validation settings, 60 s, on demand; throughput x0.95 always)
use smoothplay_heuristics::algo::smoothplay::{Smoothplay, SmoothplayParams};
use smoothplay_heuristics::sim::{simulate, SimConfig, Trace, Video};
use smoothplay_heuristics::{Context, Decision, DownloadProgress, DownloadReport, QualitySelector};
use std::path::Path;

struct Printing(Smoothplay);

impl QualitySelector for Printing {
    fn name(&self) -> &str {
        "smoothplay"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let d = self.0.choose(ctx);
        println!(
            "t {:7.2} fragment {:2} buffer {:6.2} prediction {:8.0} kbps -> level {}",
            ctx.now.as_secs_f64(),
            ctx.fragment_index,
            ctx.buffer.level.as_secs_f64(),
            self.0.prediction_bps().unwrap_or(0.0) / 1000.0,
            d.level
        );
        d
    }
    fn on_download(&mut self, ctx: &Context, r: &DownloadReport) {
        println!(
            "  {} level {} {:6.0} kB in {:5.2} s ({:6.0} kbit/s) buffer {:6.2}",
            if r.abandoned { "abandoned" } else { "done     " },
            r.level,
            r.bytes as f64 / 1000.0,
            r.duration.as_secs_f64(),
            r.throughput_bps().unwrap_or(0.0) / 1000.0,
            ctx.buffer.level.as_secs_f64()
        );
        self.0.on_download(ctx, r)
    }
    fn should_abandon(&mut self, ctx: &Context, p: &DownloadProgress) -> Option<usize> {
        self.0.should_abandon(ctx, p)
    }
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (Some(v), Some(t)) = (a.first(), a.get(1)) else { return };
    let video = Video::load(Path::new(v)).expect("video");
    let trace = Trace::load(Path::new(t)).expect("trace");
    let mut cfg = SimConfig::validation();
    let mut p = SmoothplayParams::default();
    for kv in &a[2..] {
        match kv.split_once('=') {
            Some(("max_buffer", v)) => cfg.max_buffer_s = v.parse().expect("seconds"),
            Some(("live", v)) => {
                cfg.live = Some(smoothplay_heuristics::sim::LiveConfig { join_fragments: v.parse().expect("fragments") })
            }
            Some(("outage_count", v)) => p.outage_count = v.parse().expect("count"),
            _ => panic!("unknown argument {kv}"),
        }
    }
    let mut s = Printing(Smoothplay::with_params(&video.ladder, p));
    let r = simulate(&video, &trace, &mut s, &cfg);
    let m = &r.metrics;
    println!("outage mode {}", s.0.outage_seen());
    println!("qoe_lin {:.2} rebuffer {:.2} s startup {:.2} s abandoned {}", m.qoe_lin, m.rebuffer_s, m.startup_s, m.abandoned);
}
