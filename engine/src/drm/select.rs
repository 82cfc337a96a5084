//! Per-fragment decryption: deciding cipher, IV size and key, then decrypting every
//! sample and checking the result.

use bytes::Bytes;

use crate::fmp4::{Fragment, IvSizeSource, Sample};

use super::error::DrmError;
use super::keys::{ContentKey, KeyProvider, Kid};
use super::sample_decrypt::{decrypt_sample, CipherMode};
use super::{DecryptContext, DecryptReport};

/// Samples trial-decrypted per candidate key when several KIDs may apply.
const TRIAL_SAMPLES: usize = 32;

/// How the key of a fragment was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySelection {
    /// The PIFF override fields name the KID.
    FragmentOverride,
    /// The protection header lists exactly one KID.
    OnlyCandidate,
    /// Several KIDs are listed but a key is known for only one.
    OnlyKeyAvailable,
    /// Several keys were tried; only this one decrypts to valid media.
    Validated {
        /// Every KID whose key was tried (the chosen one included).
        tried: Vec<Kid>,
    },
}

/// The key chosen for a fragment, and why: the KID-to-track mapping to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChoice {
    /// The KID.
    pub kid: Kid,
    /// Its key.
    pub key: ContentKey,
    /// How it was chosen.
    pub selection: KeySelection,
}

/// Decrypts every sample of `frag` in place and checks the result.
///
/// Cipher: PIFF override AlgorithmID, else `ctx.algorithm`, else AES-CTR (the only
/// algorithm of PlayReady headers before 4.3). IV size: override fields, else `saiz`,
/// else the ALGID (CTR 8, CBC 16), else the size that consumes the box exactly. Key: the
/// override KID, else the header KIDs (tried in turn when several have keys).
///
/// On success every sample's `data` is the plaintext, its `encryption` and the fragment's
/// `encryption` are `None` (a second call is a no-op). On error the fragment is unchanged
/// apart from the IV-size bookkeeping: no ciphertext or garbage is ever passed on as clear.
pub fn decrypt_fragment(
    frag: &mut Fragment,
    keys: &dyn KeyProvider,
    ctx: &DecryptContext,
) -> Result<DecryptReport, DrmError> {
    let Some(enc) = frag.encryption.as_ref() else {
        return Ok(DecryptReport::clear());
    };
    let mode = match enc.overrides {
        Some(o) => CipherMode::from_piff_algorithm_id(o.algorithm_id)?,
        None => Some(ctx.algorithm.unwrap_or(CipherMode::AesCtr)),
    };
    let Some(mode) = mode else {
        // AlgorithmID 0: this fragment is clear despite its encryption box.
        frag.encryption = None;
        frag.samples.iter_mut().for_each(|s| s.encryption = None);
        return Ok(DecryptReport::clear());
    };
    let iv = resolve_iv_size(frag, ctx, mode)?;
    if let Some(i) = frag.samples.iter().position(|s| s.encryption.is_none()) {
        return Err(DrmError::MissingSampleInfo { sample: i });
    }
    let choice = select_key(frag, keys, ctx, mode)?;
    let mut plain = Vec::with_capacity(frag.samples.len());
    let mut bytes_decrypted = 0u64;
    let mut samples_validated = 0usize;
    for (i, s) in frag.samples.iter().enumerate() {
        let (data, n) = decrypt_copy(s, mode, &choice.key, i)?;
        match sample_is_valid(&data, ctx) {
            Some(false) => {
                return Err(DrmError::WrongKey {
                    kid: choice.kid,
                    sample: i,
                    codec: ctx.codec.name(),
                })
            }
            Some(true) => samples_validated += 1,
            None => {}
        }
        bytes_decrypted += n;
        plain.push(data);
    }
    for (s, data) in frag.samples.iter_mut().zip(plain) {
        s.data = Bytes::from(data);
        s.encryption = None;
    }
    frag.encryption = None;
    Ok(DecryptReport {
        kid: Some(choice.kid),
        selection: Some(choice.selection),
        mode: Some(mode),
        iv_size: Some(iv),
        samples: frag.samples.len(),
        bytes_decrypted,
        samples_validated,
    })
}

/// Decrypts a copy of one sample.
fn decrypt_copy(
    s: &Sample,
    mode: CipherMode,
    key: &ContentKey,
    i: usize,
) -> Result<(Vec<u8>, u64), DrmError> {
    let crypto = s
        .encryption
        .as_ref()
        .ok_or(DrmError::MissingSampleInfo { sample: i })?;
    let mut data = s.data.to_vec();
    let n = decrypt_sample(&mut data, mode, key, crypto, i)?;
    Ok((data, n))
}

/// The structural check and the caller's extra check; `None` when neither exists.
/// Empty samples are not judged.
fn sample_is_valid(data: &[u8], ctx: &DecryptContext) -> Option<bool> {
    if data.is_empty() {
        return None;
    }
    let structural = ctx.codec.check(data);
    let extra = ctx.validator.as_ref().map(|v| v.looks_valid(data));
    match (structural, extra) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(true) && b.unwrap_or(true)),
    }
}

/// Settles the IV size (see [`decrypt_fragment`] for the order) and fills the samples'
/// encryption entries with it.
fn resolve_iv_size(
    frag: &mut Fragment,
    ctx: &DecryptContext,
    mode: CipherMode,
) -> Result<(u8, IvSizeSource), DrmError> {
    let Some(enc) = frag.encryption.as_ref() else {
        return Err(DrmError::IvSizeUnknown { candidates: vec![] });
    };
    if let (Some(size), Some(src @ (IvSizeSource::Override | IvSizeSource::AuxInfoSizes))) =
        (enc.iv_size, enc.iv_size_source)
    {
        return Ok((size, src));
    }
    let intrinsic = enc.iv_size.zip(enc.iv_size_source);
    let candidates = enc.candidate_iv_sizes();
    if ctx.algorithm.is_some() {
        let want = mode.default_iv_size();
        match frag.apply_iv_size(want, IvSizeSource::ProtectionHeader) {
            Ok(()) => return Ok((want, IvSizeSource::ProtectionHeader)),
            // The header's ALGID implies a size the box cannot hold (e.g. CENC CTR with
            // 16-byte IVs): the box itself decides, if it can.
            Err(e) => {
                if let Some((size, src)) = intrinsic {
                    frag.apply_iv_size(size, src)?;
                    return Ok((size, src));
                }
                return Err(e.into());
            }
        }
    }
    intrinsic.ok_or(DrmError::IvSizeUnknown { candidates })
}

/// Chooses the key for `frag` (its IV size already settled): the override KID, else the
/// header KIDs; with several keys, the one whose trial decryption of the first samples
/// passes the validity check, refusing when none or more than one does.
pub fn select_key(
    frag: &Fragment,
    keys: &dyn KeyProvider,
    ctx: &DecryptContext,
    mode: CipherMode,
) -> Result<KeyChoice, DrmError> {
    let overridden = frag
        .encryption
        .as_ref()
        .and_then(|e| e.overrides)
        .map(|o| Kid(o.kid));
    let mut candidates: Vec<Kid> = match overridden {
        Some(kid) => vec![kid],
        None => ctx.kids.clone(),
    };
    candidates.dedup();
    if candidates.is_empty() {
        return Err(DrmError::NoKid);
    }
    let with_keys: Vec<(Kid, ContentKey)> = candidates
        .iter()
        .filter_map(|kid| keys.key(kid).map(|key| (*kid, key)))
        .collect();
    match with_keys.as_slice() {
        [] => Err(DrmError::MissingKey {
            kids: candidates,
            la_url: ctx.la_url.clone(),
        }),
        [(kid, key)] => {
            let selection = if overridden.is_some() {
                KeySelection::FragmentOverride
            } else if candidates.len() == 1 {
                KeySelection::OnlyCandidate
            } else {
                KeySelection::OnlyKeyAvailable
            };
            Ok(KeyChoice {
                kid: *kid,
                key: *key,
                selection,
            })
        }
        several => {
            let tried: Vec<Kid> = several.iter().map(|(k, _)| *k).collect();
            let mut passing = Vec::new();
            for (kid, key) in several {
                match trial_passes(frag, mode, key, ctx)? {
                    Some(true) => passing.push((*kid, *key)),
                    Some(false) => {}
                    // No check exists: any choice would be a guess.
                    None => return Err(DrmError::AmbiguousKey { kids: tried }),
                }
            }
            match passing.as_slice() {
                [(kid, key)] => Ok(KeyChoice {
                    kid: *kid,
                    key: *key,
                    selection: KeySelection::Validated { tried },
                }),
                [] => Err(DrmError::NoValidKey {
                    tried,
                    codec: ctx.codec.name(),
                }),
                _ => Err(DrmError::AmbiguousKey {
                    kids: passing.iter().map(|(k, _)| *k).collect(),
                }),
            }
        }
    }
}

/// Whether decrypting the first samples with `key` gives valid media (`None` when no
/// sample could be judged).
fn trial_passes(
    frag: &Fragment,
    mode: CipherMode,
    key: &ContentKey,
    ctx: &DecryptContext,
) -> Result<Option<bool>, DrmError> {
    let mut judged = 0;
    for (i, s) in frag.samples.iter().take(TRIAL_SAMPLES).enumerate() {
        let (data, _) = decrypt_copy(s, mode, key, i)?;
        match sample_is_valid(&data, ctx) {
            Some(false) => return Ok(Some(false)),
            Some(true) => judged += 1,
            None => {}
        }
    }
    Ok((judged > 0).then_some(true))
}
