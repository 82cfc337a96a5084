//! Protected presentations (PIFF CTR, PIFF CBC, Bento4 CENC) decode to exactly the frames
//! and audio of the clear one, from disk and over HTTP, with keys given or licensed.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use smoothplay::engine::drm::{fetch_clearkey_license, DrmError, Kid, StaticKeys};
use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::session::{Error, Session};
use smoothplay_testkit::origin::Origin;
use smoothplay_testkit::sinks::{RecordingAudio, RecordingVideo};
use smoothplay_testkit::{clearkey, fixture_media, repo_root};

const KID: &str = "00112233445566778899aabbccddeeff";
const KID_GUID_ORDER: &str = "33221100554477668899aabbccddeeff";
const KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const PROTECTED: [&str; 3] = ["small-piff-ctr.ism", "small-piff-cbc.ism", "small-bento-cenc.ism"];

fn keys(pair: &str) -> Arc<StaticKeys> {
    let mut k = StaticKeys::new();
    k.insert_pair(pair).unwrap();
    Arc::new(k)
}

async fn play_protected(input: &str, pin: LevelPin, k: Arc<StaticKeys>) -> Result<(Vec<String>, Vec<f32>), Error> {
    let mut session = Session::open(input, common::untimed(pin)).await?;
    session.set_keys(k);
    let mut video = RecordingVideo::default();
    let mut audio = RecordingAudio::default();
    let stats = session.play(&mut video, &mut audio, None, &mut |_| {}).await?;
    assert!(stats.decryption.iter().any(|u| u.track == "video" && u.kid == KID), "{:?}", stats.decryption);
    let md5 = video.frames.lock().unwrap().iter().map(|f| f.md5.clone()).collect();
    let samples = audio.samples.lock().unwrap().clone();
    Ok((md5, samples))
}

async fn clear_reference(pin: LevelPin) -> (Vec<String>, Vec<f32>) {
    let p = common::play(fixture_media("small.ism").to_str().unwrap(), common::untimed(pin)).await;
    let md5 = common::md5s(&p);
    let samples = p.audio.samples.lock().unwrap().clone();
    (md5, samples)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scheme_decrypts_to_the_clear_frames_from_disk_and_http() {
    let origin = Origin::serve(repo_root().join("tests/fixtures/media")).await;
    for pin in [LevelPin::Min, LevelPin::Max] {
        let (clear_video, clear_audio) = clear_reference(pin).await;
        assert_eq!(clear_video.len(), 250);
        for name in PROTECTED {
            // Both KID byte orders are accepted on input.
            for pair in [format!("{KID}:{KEY}"), format!("{KID_GUID_ORDER}:{KEY}")] {
                let disk = fixture_media(name).to_str().unwrap().to_string();
                let (v, a) = play_protected(&disk, pin, keys(&pair)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(v, clear_video, "{name} from disk, {pin:?}: same md5 per frame as the clear presentation");
                assert_eq!(a, clear_audio, "{name} from disk: same audio samples");
            }
            let http = format!("{}{name}/Manifest", origin.base);
            let (v, a) = play_protected(&http, pin, keys(&format!("{KID}:{KEY}"))).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(v, clear_video, "{name} over HTTP");
            assert_eq!(a, clear_audio);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearkey_license_server_supplies_the_key() {
    let server = clearkey::serve(HashMap::from([(hex16(KID), hex16(KEY))])).await;
    let session = Session::open(fixture_media("small-piff-cbc.ism").to_str().unwrap(), common::untimed(LevelPin::Min)).await.unwrap();
    let info = session.protection().expect("protected");
    assert_eq!(info.kids, vec![Kid(hex16(KID))], "KID from the PlayReady header, in CENC order");
    let got = fetch_clearkey_license(&server.url, &info.kids).await.unwrap();
    let request = server.requests.lock().unwrap()[0].clone();
    assert_eq!(request["kids"][0], "ABEiM0RVZneImaq7zN3u_w", "base64url KID, no padding");
    assert_eq!(request["type"], "temporary");
    let mut k = StaticKeys::new();
    for (kid, key) in got {
        k.insert(kid, key);
    }
    let (v, _) = play_protected(fixture_media("small-piff-cbc.ism").to_str().unwrap(), LevelPin::Min, Arc::new(k)).await.unwrap();
    let (clear, _) = clear_reference(LevelPin::Min).await;
    assert_eq!(v, clear);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_wrong_keys_stop_before_anything_is_shown() {
    for name in PROTECTED {
        let input = fixture_media(name).to_str().unwrap().to_string();
        // No key at all.
        let session = Session::open(&input, common::untimed(LevelPin::Min)).await.unwrap();
        let mut video = RecordingVideo::default();
        let err = session.play(&mut video, &mut RecordingAudio::default(), None, &mut |_| {}).await.unwrap_err();
        match &err {
            Error::Drm(DrmError::MissingKey { kids, .. }) => assert_eq!(kids, &vec![Kid(hex16(KID))]),
            other => panic!("{name}: expected a missing-key error, got {other}"),
        }
        let text = err.to_string();
        assert!(text.contains(KID) && text.contains(KID_GUID_ORDER), "both byte orders named: {text}");
        assert!(video.frames.lock().unwrap().is_empty());

        // A key for another KID only.
        let session = Session::open(&input, common::untimed(LevelPin::Min)).await.unwrap();
        let mut s = session;
        s.set_keys(keys(&format!("ffeeddccbbaa99887766554433221100:{KEY}")));
        assert!(matches!(s.play(&mut RecordingVideo::default(), &mut RecordingAudio::default(), None, &mut |_| {}).await, Err(Error::Drm(DrmError::MissingKey { .. }))));

        // The right KID with a wrong key: detected (CHECKSUM, or invalid media after
        // decryption), never rendered.
        let mut s = Session::open(&input, common::untimed(LevelPin::Min)).await.unwrap();
        s.set_keys(keys(&format!("{KID}:2b7e151628aed2a6abf7158809cf4f3d")));
        let mut video = RecordingVideo::default();
        let err = s.play(&mut video, &mut RecordingAudio::default(), None, &mut |_| {}).await.unwrap_err();
        assert!(matches!(err, Error::WrongKey { .. } | Error::Decryption { .. }), "{name}: {err}");
        assert!(video.presented.lock().unwrap().is_empty(), "{name}: nothing shown with a wrong key");
    }
}

fn hex16(s: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// Without audio to give it away, a wrong key on subsample-encrypted video leaves NAL
/// structure intact; the trial decode of each IDR picture must still catch it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_on_video_only_is_caught_by_the_trial_decode() {
    for name in PROTECTED {
        let dir = std::env::temp_dir().join(format!("smoothplay-vo-{}-{name}", std::process::id()));
        copy_video_only(&fixture_media(name), &dir);
        for last in ["00", "3d", "ff", "a5", "5a", "11"] {
            let mut s = Session::open(dir.to_str().unwrap(), common::untimed(LevelPin::Min)).await.unwrap();
            s.set_keys(keys(&format!("{KID}:2b7e151628aed2a6abf7158809cf4f{last}")));
            let mut video = RecordingVideo::default();
            let err = s.play(&mut video, &mut RecordingAudio::default(), None, &mut |_| {}).await.unwrap_err();
            assert!(matches!(err, Error::WrongKey { .. } | Error::Decryption { fragment: 0, .. }), "{name} key ..{last}: {err}");
            assert!(video.frames.lock().unwrap().is_empty(), "{name}: no picture decoded from a wrong key");
        }
    }
}

fn copy_video_only(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            let sub = to.join(&name);
            std::fs::create_dir_all(&sub).unwrap();
            for f in std::fs::read_dir(entry.path()).unwrap() {
                let f = f.unwrap();
                std::fs::copy(f.path(), sub.join(f.file_name())).unwrap();
            }
        } else if name == "Manifest" {
            let xml = std::fs::read_to_string(entry.path()).unwrap();
            let start = xml
                .match_indices("<StreamIndex")
                .map(|(i, _)| i)
                .find(|&i| xml[i..].split('>').next().unwrap().contains("Type=\"audio\""))
                .unwrap();
            let end = start + xml[start..].find("</StreamIndex>").unwrap() + "</StreamIndex>".len();
            std::fs::write(to.join("Manifest"), format!("{}{}", &xml[..start], &xml[end..])).unwrap();
        }
    }
}

/// A PlayReady header listing two KIDs (a decoy first) with keys for both: the fragments do
/// not say which applies, so the engine must pick the key that yields valid media.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_kids_choose_the_key_that_yields_valid_media() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    const DECOY: &str = "ffeeddccbbaa99887766554433221100";
    let guid = |cenc: &str| {
        let b = hex16(cenc);
        let swapped = [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]];
        b64.encode(swapped)
    };
    let xml = format!(
        "<WRMHEADER xmlns=\"http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader\" version=\"4.3.0.0\"><DATA><PROTECTINFO><KIDS>\
         <KID ALGID=\"AESCBC\" VALUE=\"{}\"></KID><KID ALGID=\"AESCBC\" VALUE=\"{}\"></KID></KIDS></PROTECTINFO></DATA></WRMHEADER>",
        guid(DECOY),
        guid(KID)
    );
    let record: Vec<u8> = xml.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut pro = Vec::new();
    pro.extend_from_slice(&((10 + record.len()) as u32).to_le_bytes());
    pro.extend_from_slice(&1u16.to_le_bytes()); // one record
    pro.extend_from_slice(&1u16.to_le_bytes()); // type 1: WRMHEADER
    pro.extend_from_slice(&(record.len() as u16).to_le_bytes());
    pro.extend_from_slice(&record);

    let dir = std::env::temp_dir().join(format!("smoothplay-2kids-{}", std::process::id()));
    copy_video_only(&fixture_media("small-piff-cbc.ism"), &dir);
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap();
    let start = manifest.find("<ProtectionHeader").unwrap();
    let body_start = start + manifest[start..].find('>').unwrap() + 1;
    let body_end = body_start + manifest[body_start..].find('<').unwrap();
    std::fs::write(dir.join("Manifest"), format!("{}{}{}", &manifest[..body_start], b64.encode(&pro), &manifest[body_end..])).unwrap();

    let mut session = Session::open(dir.to_str().unwrap(), common::untimed(LevelPin::Min)).await.unwrap();
    assert_eq!(session.protection().unwrap().kids, vec![Kid(hex16(DECOY)), Kid(hex16(KID))]);
    let mut k = StaticKeys::new();
    k.insert_pair(&format!("{DECOY}:000102030405060708090a0b0c0d0e0f")).unwrap();
    k.insert_pair(&format!("{KID}:{KEY}")).unwrap();
    session.set_keys(Arc::new(k));
    let mut video = RecordingVideo::default();
    let stats = session.play(&mut video, &mut RecordingAudio::default(), None, &mut |_| {}).await.unwrap();
    assert_eq!(stats.decryption.len(), 1);
    assert_eq!(stats.decryption[0].kid, KID, "the real KID was chosen: {:?}", stats.decryption);
    assert!(stats.decryption[0].how.contains("Validated"), "{:?}", stats.decryption);
    let (clear, _) = clear_reference(LevelPin::Min).await;
    assert_eq!(video.frames.lock().unwrap().iter().map(|f| f.md5.clone()).collect::<Vec<_>>(), clear);
}
