//! A loopback W3C ClearKey license server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;

/// A running license server; it stops when dropped.
pub struct LicenseServer {
    /// The license URL to POST to.
    pub url: String,
    /// Request bodies received.
    pub requests: Arc<Mutex<Vec<serde_json::Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LicenseServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Keys = Arc<(HashMap<[u8; 16], [u8; 16]>, Arc<Mutex<Vec<serde_json::Value>>>)>;

/// Serves `keys` (KID in CENC order -> key): answers a ClearKey license request with the
/// JWK set of the requested KIDs it knows.
pub async fn serve(keys: HashMap<[u8; 16], [u8; 16]>) -> LicenseServer {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let state: Keys = Arc::new((keys, requests.clone()));
    let app = axum::Router::new().route("/license", axum::routing::post(license)).with_state(state);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    LicenseServer { url: format!("http://{addr}/license"), requests, task }
}

async fn license(State(state): State<Keys>, body: Bytes) -> (StatusCode, String) {
    let Ok(req) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON".into());
    };
    state.1.lock().unwrap().push(req.clone());
    let keys: Vec<serde_json::Value> = req["kids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str())
        .filter_map(|k| {
            let raw = URL_SAFE_NO_PAD.decode(k).ok()?;
            let kid: [u8; 16] = raw.try_into().ok()?;
            let key = state.0.get(&kid)?;
            Some(serde_json::json!({"kty": "oct", "kid": k, "k": URL_SAFE_NO_PAD.encode(key)}))
        })
        .collect();
    (StatusCode::OK, serde_json::json!({ "keys": keys, "type": "temporary" }).to_string())
}
