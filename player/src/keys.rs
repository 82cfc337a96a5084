//! Content keys from the command line: --key, --key-file, --clearkey-url.

use std::sync::Arc;

use smoothplay_engine::drm::{fetch_clearkey_license, describe_kid, KeyProvider, StaticKeys};
use smoothplay_engine::session::Session;

use crate::cli::Cli;

/// The keys the user supplied, or `None` when none was given.
pub async fn load(cli: &Cli, session: &Session) -> Result<Option<Arc<dyn KeyProvider>>, String> {
    if cli.keys.is_empty() && cli.key_file.is_none() && cli.clearkey_url.is_none() {
        return Ok(None);
    }
    let mut keys = StaticKeys::new();
    for k in &cli.keys {
        keys.insert_pair(k).map_err(|e| format!("--key {k}: {e} (expected 32 hex digits, ':', 32 hex digits)"))?;
    }
    if let Some(path) = &cli.key_file {
        keys.insert_key_file(path).map_err(|e| e.to_string())?;
    }
    if let Some(url) = &cli.clearkey_url {
        let Some(info) = session.protection() else {
            return Err("--clearkey-url given but the presentation is not protected".to_string());
        };
        if info.kids.is_empty() {
            return Err("--clearkey-url: the manifest lists no KIDs to ask the license server for".to_string());
        }
        let got = fetch_clearkey_license(url, &info.kids).await.map_err(|e| e.to_string())?;
        if got.is_empty() {
            let kids: Vec<String> = info.kids.iter().map(describe_kid).collect();
            return Err(format!("the ClearKey server {url} returned no keys for {}", kids.join(", ")));
        }
        for (kid, key) in got {
            keys.insert(kid, key);
        }
    }
    Ok(Some(Arc::new(keys)))
}
