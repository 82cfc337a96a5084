//! `--list-tracks`, and the line saying which tracks play when there is a choice.

use smoothplay_engine::session::{fetch_manifest, select_tracks_with, PlayerConfig, Session, Track, TrackLevel, TrackSelection, TrackType};

use crate::cli::Cli;

/// `--list-tracks`: reads the manifest and prints its tracks, playable or not.
pub async fn list(cli: &Cli) -> Result<(), String> {
    let url = crate::url_of(cli)?;
    let manifest = fetch_manifest(&url, &PlayerConfig::default()).await.map_err(|e| e.to_string())?;
    let selection = select_tracks_with(&manifest, &cli.track_preferences()).map_err(|e| e.to_string())?;
    print!("{}", listing(&selection.available, &selection));
    Ok(())
}

/// One line per track: `*` when it would play, kind, name, language, subtype, levels,
/// and notes (sparse parent, data in the manifest, why it cannot be played).
pub fn listing(tracks: &[Track], selection: &TrackSelection) -> String {
    let rows: Vec<[String; 6]> = tracks
        .iter()
        .map(|t| {
            let mark = if selection.contains(t.stream) { "*" } else { " " };
            // A track that cannot play says why once, not once per level.
            let levels = t
                .levels
                .iter()
                .map(|l| if t.is_playable() { l.to_string() } else { TrackLevel { unplayable: None, ..l.clone() }.to_string() })
                .collect::<Vec<_>>()
                .join(", ");
            [mark.to_string(), t.kind.to_string(), t.label(), dash(t.language.as_deref()), dash(t.subtype.as_deref()), format!("{}{}", dash(Some(&levels)), notes(t))]
        })
        .collect();
    let header = [" ", "kind", "name", "language", "subtype", "levels"].map(String::from);
    let widths: Vec<usize> = (0..5).map(|c| rows.iter().chain([&header]).map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            match widths.get(c) {
                Some(w) => line.push_str(&format!("{cell:<w$}  ")),
                None => line.push_str(cell),
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("(* = plays with these options; choose with --video-track, --audio-track, --audio-lang, --text-track, --text-lang)\n");
    out
}

fn dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

fn notes(t: &Track) -> String {
    let mut n = Vec::new();
    if let Some(p) = &t.parent {
        n.push(format!("follows {p}"));
    }
    if t.manifest_output {
        n.push("data in the manifest".to_string());
    }
    if let Some(why) = &t.unplayable {
        // Every level unplayable: their distinct reasons, without the level numbers.
        let mut reasons: Vec<&str> = t.levels.iter().filter_map(|l| l.unplayable.as_deref()).collect();
        let every_level = !t.levels.is_empty() && reasons.len() == t.levels.len();
        reasons.sort_unstable();
        reasons.dedup();
        if !every_level {
            n.push(format!("not playable: {why}"));
        } else {
            n.push(format!("not playable: {}", reasons.join("; ")));
        }
    }
    if n.is_empty() {
        String::new()
    } else {
        format!(" ({})", n.join("; "))
    }
}

/// When the presentation offers a choice of angles, languages or captions: which ones
/// play (one line on stderr, e.g. `tracks: video camera2, audio audio_fra (fra)`).
pub fn announce(session: &Session) {
    let tracks = session.tracks();
    let count = |k: TrackType| tracks.iter().filter(|t| t.kind == k).count();
    if count(TrackType::Video) < 2 && count(TrackType::Audio) < 2 && count(TrackType::Text) == 0 {
        return;
    }
    let selection = session.selection();
    let chosen: Vec<String> = tracks
        .iter()
        .filter(|t| selection.contains(t.stream))
        .map(|t| match &t.language {
            Some(l) => format!("{} {} ({l})", t.kind, t.label()),
            None => format!("{} {}", t.kind, t.label()),
        })
        .collect();
    eprintln!("tracks: {} (--list-tracks lists them)", chosen.join(", "));
}
