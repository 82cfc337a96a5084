//! `smoothplay-live-origin`: serves an on-demand Smooth Streaming presentation as an endless
//! live one (testkit's simulated live origin), to try live playback, captions, markers,
//! track switching and DVR with smoothplay or any other player.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use smoothplay_testkit::live_origin::{LiveConfig, LiveOrigin, Style};

/// Re-publish a presentation directory as a live Smooth Streaming stream over HTTP.
///
/// The source loops forever on the live timeline; fragments become available as the clock
/// reaches their end, the manifest lists a DVR window, and fragments carry tfrf as IIS or
/// ffmpeg lay them out. Text (TTML) and sparse streams (SCTE-35 markers) are re-published
/// too, with MS-SSTR's sparse stream pointers on the parent track's responses.
#[derive(Parser, Debug)]
#[command(name = "smoothplay-live-origin", version)]
struct Args {
    /// The presentation directory (holding `Manifest` and `QualityLevels(..)/`), e.g.
    /// tests/fixtures/media/multitrack.ism; every timescale must be 10^7.
    source: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The presentation's name: it is served at /NAME.ism/Manifest.
    #[arg(long, default_value = "live")]
    name: String,
    /// How fragments announce their successors.
    #[arg(long, value_enum, default_value_t = StyleArg::Iis)]
    style: StyleArg,
    /// No tfrf at all (clients must poll the manifest).
    #[arg(long)]
    no_tfrf: bool,
    /// No sparse stream pointers on fragment responses (markers only from the manifest).
    #[arg(long)]
    no_sparse_pointers: bool,
    /// DVR window in seconds (0 keeps everything).
    #[arg(long, default_value_t = 30.0)]
    window: f64,
    /// Seconds of stream already published at start (a window to seek back in).
    #[arg(long, default_value_t = 30.0)]
    head_start: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StyleArg {
    /// IIS Media Services: every fragment's tfrf sized to its entries.
    Iis,
    /// ffmpeg's smoothstreaming muxer: room reserved, the newest fragment without entries.
    Ffmpeg,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let seconds = |s: f64, what: &str| {
        Duration::try_from_secs_f64(s).unwrap_or_else(|_| {
            eprintln!("smoothplay-live-origin: --{what} must be a number of seconds, 0 or more (got {s})");
            std::process::exit(2)
        })
    };
    let config = LiveConfig {
        name: args.name,
        style: match args.style {
            StyleArg::Iis => Style::Iis,
            StyleArg::Ffmpeg => Style::Ffmpeg,
        },
        tfrf: !args.no_tfrf,
        sparse_pointers: !args.no_sparse_pointers,
        window: seconds(args.window, "window"),
        ..LiveConfig::default()
    };
    let head_start = seconds(args.head_start, "head-start");
    let origin = match LiveOrigin::start_at(&args.source, config, args.listen).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("smoothplay-live-origin: cannot serve {} on {}: {e}", args.source.display(), args.listen);
            std::process::exit(1);
        }
    };
    origin.advance(head_start);
    println!("live: {}", origin.manifest_url());
    println!("(Ctrl-C stops it)");
    std::future::pending::<()>().await; // serves until killed
}
