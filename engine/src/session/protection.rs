//! Decryption in a session: what the manifest says, which keys we have, and the fragment
//! hook that decrypts (and validates) every fragment before decoding.

use std::sync::{Arc, Mutex};

use crate::decode::CodecKind as DecoderCodec;
use crate::drm::{self, CipherMode, DecryptContext, KeyProvider, Kid};
use crate::manifest::{Algorithm, Manifest};

use super::tracks::LevelConfig;
use super::worker::{FragmentHook, HookError};
use super::Error;

/// What the manifest's `<Protection>` says, for key acquisition and messages.
#[derive(Debug, Clone, Default)]
pub struct ProtectionInfo {
    /// KIDs listed by the PlayReady header (CENC byte order).
    pub kids: Vec<Kid>,
    /// The header's license URL.
    pub la_url: Option<String>,
    /// Cipher from ALGID.
    pub algorithm: Option<CipherMode>,
    /// Every SystemID in the manifest, as written (PlayReady and others).
    pub system_ids: Vec<String>,
}

impl ProtectionInfo {
    /// `None` for a clear presentation.
    pub fn from_manifest(m: &Manifest) -> Option<ProtectionInfo> {
        if !m.is_protected() {
            return None;
        }
        let pr = m.playready();
        Some(ProtectionInfo {
            kids: pr.map(|h| h.kids.iter().map(|k| Kid(k.cenc_bytes())).collect()).unwrap_or_default(),
            la_url: pr.and_then(|h| h.la_url.clone()),
            algorithm: pr.and_then(|h| match h.default_algorithm() {
                Some(Algorithm::AesCtr) => Some(CipherMode::AesCtr),
                Some(Algorithm::AesCbc) => Some(CipherMode::AesCbc),
                _ => None,
            }),
            system_ids: m.protection.iter().map(|p| p.system_id.clone()).collect(),
        })
    }
}

/// Which key a track ended up using, and how it was chosen (reported in the stats).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeyUse {
    /// `video` or `audio`.
    pub track: String,
    /// KID, CENC byte order, hex.
    pub kid: String,
    /// How it was chosen.
    pub how: String,
}

/// Checks before playback that keys exist and agree with the header's CHECKSUMs, so a
/// missing or wrong key stops playback before anything is rendered.
pub(super) fn preflight(m: &Manifest, info: &ProtectionInfo, keys: &dyn KeyProvider) -> Result<(), Error> {
    if !info.kids.is_empty() && info.kids.iter().all(|k| keys.key(k).is_none()) {
        return Err(Error::Drm(drm::DrmError::MissingKey { kids: info.kids.clone(), la_url: info.la_url.clone() }));
    }
    if let Some(pr) = m.playready() {
        for k in &pr.kids {
            let kid = Kid(k.cenc_bytes());
            if let Some(key) = keys.key(&kid) {
                if k.checksum_matches(&key.0) == Some(false) {
                    return Err(Error::WrongKey { kid: drm::describe_kid(&kid) });
                }
            }
        }
    }
    Ok(())
}

/// The hook that decrypts each fragment of a track. DRM failures are fatal: a wrong key
/// never becomes garbage on screen.
pub(super) fn decrypt_hook(info: ProtectionInfo, keys: Arc<dyn KeyProvider>, used: Arc<Mutex<Vec<KeyUse>>>) -> FragmentHook {
    Arc::new(move |fragment, level: &LevelConfig| {
        if fragment.encryption.is_none() {
            return Ok(()); // clear fragment (text streams, or a clear lead-in)
        }
        let codec = match level.codec {
            DecoderCodec::H264 => drm::CodecKind::H264 { nal_length_size: level.nal_length_size },
            DecoderCodec::AacLc => drm::CodecKind::Aac,
        };
        let mut ctx = DecryptContext::new(info.kids.clone(), info.algorithm, codec);
        ctx.la_url = info.la_url.clone();
        if level.codec == DecoderCodec::H264 {
            ctx.validator = Some(Arc::new(TrialDecode { config: level.config.clone(), nal_length_size: level.nal_length_size }));
        }
        let report = drm::decrypt_fragment(fragment, keys.as_ref(), &ctx).map_err(|e| HookError::Fatal(e.to_string()))?;
        if let (Some(kid), Some(sel)) = (report.kid, report.selection) {
            let track = if matches!(level.codec, DecoderCodec::H264) { "video" } else { "audio" };
            let mut used = used.lock().unwrap_or_else(|p| p.into_inner());
            if !used.iter().any(|u| u.track == track) {
                tracing::info!(track, %kid, ?sel, "content key chosen");
                used.push(KeyUse { track: track.to_string(), kid: kid.to_string(), how: format!("{sel:?}") });
            }
        }
        Ok(())
    })
}

/// A wrong key on subsample-encrypted H.264 leaves NAL lengths and slice headers clear, so
/// only the slice data is garbled and the structural check rarely sees it. Decoding each
/// IDR picture with a fresh decoder does: openh264 rejects garbled slice data. Costs one
/// extra IDR decode per 2 s fragment (about 1% of decoding).
struct TrialDecode {
    config: Vec<u8>,
    nal_length_size: u8,
}

impl drm::SampleValidator for TrialDecode {
    fn looks_valid(&self, sample: &[u8]) -> bool {
        if !crate::decode::annexb::sample_has_idr(sample, self.nal_length_size) {
            return true; // a non-IDR picture cannot be decoded on its own
        }
        let Ok(mut dec) = crate::decode::H264Decoder::new() else { return true };
        if dec.configure(&self.config, self.nal_length_size).is_err() {
            return true; // not this check's business: the decoder will report it
        }
        let pts = crate::time::MediaTime::zero(1);
        match dec.decode(sample, pts) {
            Err(_) => false,
            Ok(frames) => !frames.is_empty() || dec.flush().is_ok_and(|f| !f.is_empty()),
        }
    }
}
