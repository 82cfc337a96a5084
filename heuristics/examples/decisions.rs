//! Prints smoothplay's decisions (time, buffer, prediction, level) on one trace (development aid):
//! `cargo run --release --example decisions -- VIDEO TRACE`
use smoothplay_heuristics::algo::smoothplay::Smoothplay;
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
    let mut s = Printing(Smoothplay::new(&video.ladder));
    simulate(&video, &trace, &mut s, &SimConfig::validation());
}
