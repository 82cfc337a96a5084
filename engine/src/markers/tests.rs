//! Marker decoding against the peer fixture's payloads, the SCTE 35 specification's
//! sample sections (§14 of ANSI/SCTE 35 2019+, decoded values as published with them and
//! reproduced by threefive and other decoders), and hostile input.

use super::scte35::{DescriptorInfo, SegmentationDescriptor, CUEI};
use super::*;
use crate::manifest::{Manifest, PayloadData, StreamKind};

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/peer-manifests/");

/// §14.1 time_signal, placement opportunity start.
const TIME_SIGNAL_14_1: &str = "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg==";
/// §14.2 splice_insert.
const SPLICE_INSERT_14_2: &str = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";
/// §14.3 time_signal, placement opportunity end.
const TIME_SIGNAL_14_3: &str = "/DAvAAAAAAAA///wBQb+dGKQoAAZAhdDVUVJSAAAjn+fCAgAAAAALKChijUCAKnMZ1g=";
/// §14.4 time_signal, program end and program start.
const TIME_SIGNAL_14_4: &str =
    "/DBIAAAAAAAA///wBQb+ek2ItgAyAhdDVUVJSAAAGH+fCAgAAAAALMvDRBEAAAIXQ1VFSUgAABl/nwgIAAAAACyk26AQAACZcuND";

fn b64(s: &str) -> Vec<u8> {
    decode_base64(s).unwrap()
}

fn section(s: &str) -> SpliceInfoSection {
    match decode_marker(s.as_bytes()).unwrap() {
        Marker::Section(s) => s,
        other => panic!("{other:?}"),
    }
}

fn segmentation(d: &scte35::SpliceDescriptor) -> &SegmentationDescriptor {
    match &d.decoded {
        Some(DescriptorInfo::Segmentation(s)) => s,
        other => panic!("{other:?}"),
    }
}

/// Re-seals a modified section with a correct CRC_32.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len();
    let crc = crc::crc32_mpeg2(&bytes[..n - 4]);
    bytes[n - 4..].copy_from_slice(&crc.to_be_bytes());
    bytes
}

#[test]
fn peer_fixture_payloads_are_scte67_acquired_signals() {
    let bytes = std::fs::read(format!("{PEER}msdocs_live_sparse_scte35.ismc")).unwrap();
    let m = Manifest::parse(&bytes).unwrap();
    let sparse = m.streams.iter().find(|s| s.kind == StreamKind::Text).unwrap();
    assert_eq!(sparse.levels[0].custom_attributes, vec![("Scheme".into(), "urn:scte:scte35:2013:bin".into())]);
    let mut seen = Vec::new();
    for chunk in &sparse.chunks {
        for p in &chunk.payloads {
            let PayloadData::Bytes(data) = &p.data else { panic!("{:?}", p.data) };
            let marker = decode_marker(data).unwrap();
            let Marker::Xml(x) = &marker else { panic!("{marker:?}") };
            assert_eq!(x.root, "AcquiredSignal");
            assert_eq!(x.acquisition_point_identity.as_deref(), Some("ESPN_East_Acquisition_Point_1"));
            assert_eq!(x.acquisition_signal_id.as_deref(), Some("4A6A94EE-62FA11E1B1CA882F4824019B"));
            assert_eq!(x.acquisition_time.as_deref(), Some("2012-09-18T10:14:26Z"));
            assert_eq!(x.utc_point.as_deref(), Some("2012-09-18T10:14:34Z"));
            assert_eq!(x.splice_command_type, Some(5));
            let si = x.splice_insert.as_ref().unwrap();
            assert_eq!(si.event_id, Some(344_568_691));
            assert_eq!(si.out_of_network, Some(true));
            assert_eq!(si.unique_program_id, Some(55_355));
            assert_eq!(si.duration, Some(Duration::from_secs(60)));
            assert_eq!((si.avail_num, si.avails_expected), (Some(1), Some(10)));
            assert!(!si.cancel && x.binary.is_none());
            assert_eq!(x.stream_times.len(), 1);
            assert_eq!(x.stream_times[0].time_type, "HSS");
            let s = marker.summary();
            assert_eq!(
                s,
                SpliceSummary {
                    command_type: Some(5),
                    event_id: Some(344_568_691),
                    cancel: false,
                    out_of_network: Some(true),
                    splice_time: None,
                    duration: Some(Duration::from_secs(60)),
                    auto_return: None,
                    segmentation_type_id: None,
                }
            );
            seen.push((chunk.start.ticks, x.stream_times[0].time_value.clone()));
        }
    }
    assert_eq!(
        seen,
        vec![(600_000_000, "515000000000".to_string()), (1_200_000_000, "516200000000".to_string())]
    );
}

#[test]
fn base64_text_of_the_fixture_payload_decodes_the_same() {
    let text = std::fs::read_to_string(format!("{PEER}msdocs_live_sparse_scte35.ismc")).unwrap();
    // The first <f> element (the comment above them mentions "<f>" too).
    let start = text.find("<f>PD94").unwrap() + 3;
    let end = start + text[start..].find("</f>").unwrap();
    let from_text = decode_marker(text[start..end].as_bytes()).unwrap();
    let from_bytes = decode_marker(&b64(&text[start..end])).unwrap();
    assert_eq!(from_text, from_bytes);
}

#[test]
fn spec_sample_14_1_time_signal_placement_opportunity_start() {
    let s = section(TIME_SIGNAL_14_1);
    assert_eq!((s.protocol_version, s.pts_adjustment, s.cw_index, s.tier), (0, 0, 0xFF, 0xFFF));
    assert_eq!(s.sap_type, 3);
    assert_eq!(s.crc32, 0x9AC9_D17E);
    let SpliceCommand::TimeSignal { time: Some(t) } = s.command else { panic!("{:?}", s.command) };
    assert_eq!(t.raw, 0x0_72BD_0050);
    assert_eq!(t.adjusted, 1_924_989_008);
    assert_eq!(t.to_duration(), Duration::from_nanos(21_388_766_755_555));
    assert_eq!(s.descriptors.len(), 1);
    let d = &s.descriptors[0];
    assert_eq!((d.tag, d.identifier), (2, CUEI));
    let seg = segmentation(d);
    assert_eq!(
        *seg,
        SegmentationDescriptor {
            event_id: 0x4800_008E,
            cancel: false,
            program_segmentation: true,
            delivery_not_restricted: false,
            restrictions: Some((false, true, true, 3)),
            components: vec![],
            duration_ticks: Some(0x00_01A5_99B0),
            upid_type: 8,
            upid: vec![0, 0, 0, 0, 0x2C, 0xA0, 0xA1, 0x8A],
            type_id: 0x34,
            segment_num: 2,
            segments_expected: 0,
            // The sample predates sub_segment_num; the descriptor ends after segments_expected.
            sub_segment: None,
        }
    );
    assert_eq!(seg.duration(), Some(Duration::from_secs(307)));
    let sum = Marker::Section(s.clone()).summary();
    assert_eq!((sum.command_type, sum.event_id, sum.segmentation_type_id), (Some(6), Some(0x4800_008E), Some(0x34)));
    assert_eq!(sum.splice_time, Some(MediaTime::new(1_924_989_008, 90_000)));
    assert_eq!(sum.duration, Some(Duration::from_secs(307)));
}

#[test]
fn spec_sample_14_2_splice_insert() {
    let s = section(SPLICE_INSERT_14_2);
    assert_eq!((s.tier, s.crc32), (0xFFF, 0x62DB_A30A));
    let SpliceCommand::Insert(i) = &s.command else { panic!("{:?}", s.command) };
    assert_eq!(i.event_id, 0x4800_008F);
    assert!(!i.cancel && i.out_of_network && i.program_splice && !i.splice_immediate);
    let t = i.splice_time.unwrap();
    assert_eq!((t.raw, t.adjusted), (0x0_7369_C02E, 1_936_310_318));
    let b = i.break_duration.unwrap();
    assert!(b.auto_return);
    assert_eq!(b.ticks, 0x0_0052_CCF5);
    assert_eq!(b.to_duration(), Duration::from_nanos(60_293_566_666));
    assert_eq!((i.unique_program_id, i.avail_num, i.avails_expected), (0, 0, 0));
    assert!(i.components.is_empty());
    assert_eq!(s.descriptors.len(), 1);
    assert_eq!(s.descriptors[0].decoded, Some(DescriptorInfo::Avail { provider_avail_id: 0x135 }));
    let sum = Marker::Section(s.clone()).summary();
    assert_eq!(sum.out_of_network, Some(true));
    assert_eq!(sum.auto_return, Some(true));
    assert_eq!(sum.event_id, Some(1_207_959_695));
}

#[test]
fn spec_samples_14_3_and_14_4() {
    let s = section(TIME_SIGNAL_14_3);
    assert_eq!(s.crc32, 0xA9CC_6758);
    assert!(matches!(s.command, SpliceCommand::TimeSignal { time: Some(Pts { raw: 0x0_7462_90A0, .. }) }));
    let seg = segmentation(&s.descriptors[0]);
    assert_eq!((seg.event_id, seg.type_id, seg.duration_ticks), (0x4800_008E, 0x35, None));
    assert_eq!(seg.restrictions, Some((true, true, true, 3)));

    let s = section(TIME_SIGNAL_14_4);
    assert_eq!(s.crc32, 0x9972_E343);
    assert!(matches!(s.command, SpliceCommand::TimeSignal { time: Some(Pts { raw: 0x0_7A4D_88B6, .. }) }));
    let segs: Vec<_> = s.descriptors.iter().map(|d| {
        let g = segmentation(d);
        (g.event_id, g.type_id, g.upid.clone())
    }).collect();
    assert_eq!(
        segs,
        vec![
            (0x4800_0018, 0x11, vec![0, 0, 0, 0, 0x2C, 0xCB, 0xC3, 0x44]),
            (0x4800_0019, 0x10, vec![0, 0, 0, 0, 0x2C, 0xA4, 0xDB, 0xA0]),
        ]
    );
}

#[test]
fn hls_oatcls_sample() {
    // Decoded by Comcast's scte35-js as tier 0, pts 3150057, segmentation event
    // 1073741883 of 18132042 ticks (201.467 s, the #EXT-X-CUE-OUT it came with).
    let s = section("/DA0AAAAAAAAAAAABQb+ADAQ6QAeAhxDVUVJQAAAO3/PAAEUrEoICAAAAAAg+2UBNAAANvrtoQ==");
    assert_eq!(s.tier, 0);
    assert!(matches!(s.command, SpliceCommand::TimeSignal { time: Some(Pts { adjusted: 3_150_057, .. }) }));
    let seg = segmentation(&s.descriptors[0]);
    assert_eq!((seg.event_id, seg.duration_ticks), (1_073_741_883, Some(18_132_042)));
    assert_eq!(seg.duration().map(|d| d.as_millis()), Some(201_467));
}

#[test]
fn pts_adjustment_is_added_modulo_2_33() {
    let mut bytes = b64(SPLICE_INSERT_14_2);
    // pts_adjustment sits in bytes 4..9 (after the encrypted/algorithm bits).
    let adj: u64 = (1u64 << 33) - 0x0_7369_C02E + 10;
    let field = (bytes[4] as u64 & 0xFE) << 32 | adj;
    bytes[4] = (field >> 32) as u8;
    bytes[5..9].copy_from_slice(&(field as u32).to_be_bytes());
    let s = parse_splice_info_section(&reseal(bytes)).unwrap();
    assert_eq!(s.pts_adjustment, adj);
    let SpliceCommand::Insert(i) = s.command else { panic!() };
    assert_eq!(i.splice_time, Some(Pts { raw: 0x0_7369_C02E, adjusted: 10 }));
    // The break duration is a duration: never adjusted.
    assert_eq!(i.break_duration.unwrap().ticks, 0x0_0052_CCF5);
}

#[test]
fn truncated_sections() {
    let bytes = b64(SPLICE_INSERT_14_2);
    for n in 0..bytes.len() {
        let e = parse_splice_info_section(&bytes[..n]).unwrap_err();
        assert!(
            matches!(e, MarkerError::Truncated { .. } | MarkerError::SectionLength { .. }),
            "{n}: {e:?}"
        );
    }
    assert_eq!(
        parse_splice_info_section(&bytes[..20]).unwrap_err(),
        MarkerError::SectionLength { declared: 50, available: 20 }
    );
    // A section_length too short to hold the fixed fields.
    assert!(matches!(
        parse_splice_info_section(&[0xFC, 0x30, 0x04, 0, 0, 0, 0]).unwrap_err(),
        MarkerError::Malformed { field: "section_length", .. }
    ));
    // A command that runs past its declared length, with a valid CRC.
    let mut short = bytes.clone();
    short[11] &= 0xF0; // splice_command_length 20 -> 5
    short[12] = 0x05;
    let e = parse_splice_info_section(&reseal(short)).unwrap_err();
    assert!(matches!(e, MarkerError::Truncated { .. }), "{e:?}");
    // Trailing bytes (transport stream stuffing) are ignored.
    let mut stuffed = bytes.clone();
    stuffed.extend([0xFF; 10]);
    assert!(parse_splice_info_section(&stuffed).is_ok());
}

#[test]
fn wrong_crc() {
    let mut bytes = b64(SPLICE_INSERT_14_2);
    bytes[20] ^= 0x01;
    match parse_splice_info_section(&bytes).unwrap_err() {
        MarkerError::Crc { stored, computed } => {
            assert_eq!(stored, 0x62DB_A30A);
            assert_ne!(computed, stored);
        }
        e => panic!("{e:?}"),
    }
    // The whole section checks to zero, as the MPEG-2 CRC should.
    assert_eq!(crc::crc32_mpeg2(&b64(SPLICE_INSERT_14_2)), 0);
}

#[test]
fn encrypted_section_is_refused() {
    let mut bytes = b64(SPLICE_INSERT_14_2);
    bytes[4] |= 0x80 | (2 << 1); // encrypted_packet, DES-CBC
    assert_eq!(
        parse_splice_info_section(&reseal(bytes)).unwrap_err(),
        MarkerError::Encrypted { algorithm: 2 }
    );
}

#[test]
fn unknown_command_length_is_inferred() {
    // splice_command_length 0xFFF on a splice_insert (legacy encoders).
    let mut bytes = b64(SPLICE_INSERT_14_2);
    bytes[11] |= 0x0F;
    bytes[12] = 0xFF;
    let s = parse_splice_info_section(&reseal(bytes)).unwrap();
    assert!(matches!(s.command, SpliceCommand::Insert(_)));
    assert_eq!(s.descriptors.len(), 1);
}

#[test]
fn xml_forms() {
    let xml = br#"<?xml version="1.0"?>
      <SpliceInfoSection xmlns="http://www.scte.org/schemas/35/2016" ptsAdjustment="100" tier="4095">
        <SpliceInsert spliceEventId="7" outOfNetworkIndicator="true" uniqueProgramId="3" availNum="1" availsExpected="2">
          <Program><SpliceTime ptsTime="900000"/></Program>
          <BreakDuration autoReturn="true" duration="2700000"/>
        </SpliceInsert>
      </SpliceInfoSection>"#;
    let m = decode_marker(xml).unwrap();
    let sum = m.summary();
    assert_eq!(sum.command_type, Some(5));
    assert_eq!(sum.event_id, Some(7));
    assert_eq!(sum.splice_time, Some(MediaTime::new(900_100, 90_000)));
    assert_eq!(sum.duration, Some(Duration::from_secs(30)));
    assert_eq!(sum.auto_return, Some(true));

    // <Signal><Binary> with the §14.2 section, base64 of the whole XML on top.
    let xml = format!(
        r#"<Signal xmlns="http://www.scte.org/schemas/35/2016"><Binary>{SPLICE_INSERT_14_2}</Binary></Signal>"#
    );
    let encoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(xml.as_bytes())
    };
    let m = decode_marker(encoded.as_bytes()).unwrap();
    assert_eq!(m.section().unwrap().crc32, 0x62DB_A30A);
    assert_eq!(m.summary().event_id, Some(0x4800_008F));

    let ts = br#"<AcquiredSignal xmlns="urn:cablelabs:md:xsd:signaling:3.0"><SCTE35PointDescriptor spliceCommandType="6">
        <SegmentationDescriptorInfo segmentEventId="1" segmentationEventId="9" segmentTypeId="52" duration="PT30S"/>
        </SCTE35PointDescriptor></AcquiredSignal>"#;
    let sum = decode_marker(ts).unwrap().summary();
    assert_eq!((sum.command_type, sum.event_id, sum.segmentation_type_id), (Some(6), Some(9), Some(52)));
    assert_eq!(sum.duration, Some(Duration::from_secs(30)));
}

#[test]
fn bad_payloads() {
    assert_eq!(decode_marker(b"").unwrap_err(), MarkerError::Unrecognized);
    assert_eq!(decode_marker(b"hello, world").unwrap_err(), MarkerError::Unrecognized);
    assert_eq!(decode_marker(&[0x00, 0x01, 0xFF]).unwrap_err(), MarkerError::Unrecognized);
    // base64 of base64 is not unwrapped twice.
    let twice = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(SPLICE_INSERT_14_2)
    };
    assert_eq!(decode_marker(twice.as_bytes()).unwrap_err(), MarkerError::Unrecognized);
    assert!(matches!(decode_marker(b"<AcquiredSignal><oops></AcquiredSignal>").unwrap_err(), MarkerError::Xml { .. }));
    assert_eq!(
        decode_marker(b"<html><body/></html>").unwrap_err(),
        MarkerError::XmlNoSignal { root: "html".into() }
    );
    assert!(matches!(
        decode_marker(br#"<AcquiredSignal><SpliceInsert spliceEventID="-1"/></AcquiredSignal>"#).unwrap_err(),
        MarkerError::XmlAttribute { .. }
    ));
    assert!(matches!(
        decode_marker(br#"<AcquiredSignal><SpliceInsert duration="P1Y"/></AcquiredSignal>"#).unwrap_err(),
        MarkerError::XmlAttribute { .. }
    ));
    assert!(matches!(
        decode_marker(b"<Signal><Binary>!!!</Binary></Signal>").unwrap_err(),
        MarkerError::XmlAttribute { .. }
    ));
    let deep = "<a>".repeat(100) + &"</a>".repeat(100);
    assert!(matches!(decode_marker(deep.as_bytes()).unwrap_err(), MarkerError::Malformed { .. }));
    assert!(matches!(
        decode_marker(&vec![b'A'; MAX_PAYLOAD_BYTES + 1]).unwrap_err(),
        MarkerError::TooLarge { .. }
    ));
    assert_eq!(
        parse_splice_info_section(&[0x00, 0x00, 0x00]).unwrap_err(),
        MarkerError::WrongTableId { found: 0 }
    );
}
