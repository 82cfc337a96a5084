//! W3C ClearKey license acquisition (Encrypted Media Extensions, "Clear Key" key system):
//! POST `{"kids":[base64url..],"type":"temporary"}`, read a JSON Web Key set
//! `{"keys":[{"kty":"oct","k":base64url,"kid":base64url}]}`.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::error::DrmError;
use super::keys::{ContentKey, Kid};

/// Largest license response read (a JWK set for a handful of keys is a few hundred bytes).
const MAX_LICENSE_BYTES: usize = 1024 * 1024;

/// Time limit of the whole license request.
const LICENSE_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Serialize)]
struct LicenseRequest<'a> {
    kids: Vec<String>,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    k: String,
    kid: String,
}

/// Builds the ClearKey license request body for `kids` (CENC byte order).
pub fn clearkey_request_body(kids: &[Kid]) -> Vec<u8> {
    let req = LicenseRequest {
        kids: kids.iter().map(|k| URL_SAFE_NO_PAD.encode(k.0)).collect(),
        kind: "temporary",
    };
    serde_json::to_vec(&req).unwrap_or_default()
}

/// base64url, tolerating the `=` padding and the standard alphabet that some servers send.
fn decode_b64_16(s: &str, what: &str) -> Result<[u8; 16], String> {
    let cleaned: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let bytes = URL_SAFE_NO_PAD
        .decode(cleaned)
        .map_err(|e| format!("{what} {s:?} is not base64url: {e}"))?;
    <[u8; 16]>::try_from(bytes.as_slice())
        .map_err(|_| format!("{what} {s:?} is {} bytes, not 16", bytes.len()))
}

/// Parses a ClearKey JWK set into `(KID, key)` pairs; non-`oct` keys are skipped.
pub fn parse_clearkey_response(body: &[u8]) -> Result<Vec<(Kid, ContentKey)>, String> {
    let set: JwkSet = serde_json::from_slice(body).map_err(|e| format!("not a JWK set: {e}"))?;
    let mut out = Vec::new();
    for jwk in set.keys {
        if jwk.kty != "oct" {
            continue;
        }
        let kid = Kid(decode_b64_16(&jwk.kid, "kid")?);
        let key = ContentKey(decode_b64_16(&jwk.k, "k")?);
        out.push((kid, key));
    }
    Ok(out)
}

/// Requests the keys for `kids` from a ClearKey license server at `url`.
pub async fn fetch_clearkey_license(
    url: &str,
    kids: &[Kid],
) -> Result<Vec<(Kid, ContentKey)>, DrmError> {
    let client = reqwest::Client::builder()
        .timeout(LICENSE_TIMEOUT)
        .build()
        .map_err(|e| DrmError::License {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
    fetch_clearkey_license_with(&client, url, kids).await
}

/// Like [`fetch_clearkey_license`], with the caller's HTTP client.
pub async fn fetch_clearkey_license_with(
    client: &reqwest::Client,
    url: &str,
    kids: &[Kid],
) -> Result<Vec<(Kid, ContentKey)>, DrmError> {
    let fail = |reason: String| DrmError::License {
        url: url.to_string(),
        reason,
    };
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(clearkey_request_body(kids))
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("HTTP status {status}")));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_LICENSE_BYTES as u64)
    {
        return Err(fail(format!(
            "response larger than {MAX_LICENSE_BYTES} bytes"
        )));
    }
    // Read chunk by chunk so a server without Content-Length cannot make us buffer more
    // than the limit.
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
        if body.len() + chunk.len() > MAX_LICENSE_BYTES {
            return Err(fail(format!(
                "response larger than {MAX_LICENSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let keys = parse_clearkey_response(&body).map_err(fail)?;
    if keys.is_empty() {
        return Err(fail("the license holds no keys".into()));
    }
    Ok(keys)
}
