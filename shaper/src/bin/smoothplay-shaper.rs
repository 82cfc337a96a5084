//! `smoothplay-shaper`: replay a network trace in front of an HTTP origin.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use smoothplay_heuristics::sim::trace::Trace;
use std::io::Write;

use smoothplay_shaper::{ClockStart, Shaper, ShaperConfig, LOG_HEADER};

/// A loopback HTTP proxy that shapes responses by a network trace: bandwidth per period
/// (looped), latency per request, outages (zero-bandwidth periods: connections stay open,
/// bytes stop). One link shared by all connections. Point any player at
/// http://LISTEN/<path on the upstream>.
#[derive(Parser, Debug)]
#[command(name = "smoothplay-shaper", version)]
struct Args {
    /// Trace file: `<duration_ms> <bandwidth_kbps> <latency_ms>` per line, or Sabre JSON.
    #[arg(long)]
    trace: PathBuf,
    /// The origin, `http://host:port[/prefix]`.
    #[arg(long)]
    upstream: String,
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Multiply the trace's bandwidth by this (the simulator's --throughput-scale).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Fixed latency per request in ms, instead of the trace's.
    #[arg(long)]
    latency_ms: Option<f64>,
    /// Start the trace's clock when the proxy starts listening, not at the first request.
    #[arg(long)]
    clock_at_listen: bool,
    /// Append one tab-separated line per finished request to FILE (header first):
    /// arrival, response headers, first and last body byte (seconds on the trace's clock),
    /// status, body bytes, method and path. Enough to score a session of any player.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Print one line per finished request on stderr.
    #[arg(short, long)]
    verbose: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let trace = match Trace::load(&args.trace) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("smoothplay-shaper: {}: {e}", args.trace.display());
            std::process::exit(2);
        }
    };
    let cycle: f64 = trace.periods.iter().map(|p| p.duration_ms).sum::<f64>() / 1000.0;
    let config = ShaperConfig {
        trace,
        scale: args.scale,
        latency: args.latency_ms.map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0)),
        clock: if args.clock_at_listen { ClockStart::Listen } else { ClockStart::FirstRequest },
    };
    let shaper = match Shaper::start(args.listen, &args.upstream, config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("smoothplay-shaper: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on {} -> {} (trace {}, {cycle:.1} s per cycle)", shaper.url(), args.upstream, args.trace.display());
    let mut log_file = match &args.log {
        Some(p) => match std::fs::File::create(p).and_then(|mut f| writeln!(f, "{LOG_HEADER}").map(|_| f)) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("smoothplay-shaper: {}: {e}", p.display());
                std::process::exit(2);
            }
        },
        None => None,
    };
    // Runs until killed (Ctrl-C). Requests are reported in arrival order once finished or
    // cut short (a request still in progress holds back the ones after it).
    let mut reported = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if !args.verbose && log_file.is_none() {
            continue;
        }
        let log = shaper.log();
        while reported < log.len() && (log[reported].done_at.is_some() || log[reported].cut_at.is_some()) {
            let r = &log[reported];
            if args.verbose {
                let s = |t: Option<Duration>| t.map_or("-".into(), |t| format!("{:.3}", t.as_secs_f64()));
                eprintln!(
                    "{:.3} {} {} {} B, headers {} first byte {} done {}",
                    r.at.as_secs_f64(),
                    r.request,
                    r.status,
                    r.bytes,
                    s(r.headers_at),
                    s(r.first_byte_at),
                    s(r.done_at)
                );
            }
            if let Some(f) = log_file.as_mut() {
                if let Err(e) = writeln!(f, "{}", r.tsv()).and_then(|_| f.flush()) {
                    eprintln!("smoothplay-shaper: log: {e}");
                    std::process::exit(1);
                }
            }
            reported += 1;
        }
    }
}
