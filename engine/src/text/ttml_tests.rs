use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn doc(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling"
    xmlns:ttp="http://www.w3.org/ns/ttml#parameter" xml:lang="en">
  <head>
    <styling>
      <style xml:id="base" tts:color="white"/>
      <style xml:id="it" style="base" tts:fontStyle="italic"/>
    </styling>
    <layout>
      <region xml:id="bottom" tts:origin="10% 80%" tts:extent="80% 15%" tts:displayAlign="after">
        <style tts:textAlign="center"/>
      </region>
    </layout>
  </head>
  <body region="bottom">{body}</body>
</tt>"#
    )
}

fn parse(s: &str) -> Result<Vec<Cue>, TtmlError> {
    parse_document(s.as_bytes(), &TtmlLimits::default())
}

#[test]
fn paragraphs_with_line_breaks_styles_and_region() {
    let cues = parse(&doc(
        r#"<div>
          <p begin="00:00:01.000" end="00:00:03.500">Hello,
             <br/>   world!  </p>
          <p begin="4s" dur="1500ms" style="it">In italics</p>
          <p begin="6s" end="7s"><span tts:color="yellow">Yellow</span> and plain</p>
        </div>"#,
    ))
    .unwrap();
    assert_eq!(cues.len(), 3);
    assert_eq!((cues[0].start, cues[0].end), (ms(1000), ms(3500)));
    assert_eq!(cues[0].text, "Hello,\nworld!");
    assert!(!cues[0].italic);
    let r = cues[0].region.as_ref().unwrap();
    assert_eq!(r.id.as_deref(), Some("bottom"));
    assert_eq!(r.origin, Some(LengthPair { x: Length::Percent(10.0), y: Length::Percent(80.0) }));
    assert_eq!(r.extent, Some(LengthPair { x: Length::Percent(80.0), y: Length::Percent(15.0) }));
    assert_eq!(r.display_align, Some(DisplayAlign::After));
    assert_eq!(r.text_align, Some(TextAlign::Center));

    assert_eq!((cues[1].start, cues[1].end), (ms(4000), ms(5500)));
    assert!(cues[1].italic);
    // Through the style chain it -> base.
    assert_eq!(cues[1].color.as_deref(), Some("white"));

    assert_eq!(cues[2].text, "Yellow and plain");
    assert_eq!(cues[2].color, None, "mixed colours");
    assert_eq!(cues[2].spans.len(), 2);
    assert_eq!(cues[2].spans[0], CueSpan { text: "Yellow".into(), italic: false, color: Some("yellow".into()) });
    assert_eq!(cues[2].spans[1].text, " and plain");
}

#[test]
fn time_containment_nests_and_clips() {
    let cues = parse(&doc(
        r#"<div begin="10s" end="20s">
             <p begin="1s" end="3s">relative to the div</p>
             <div begin="5s">
               <p begin="1s" dur="100s">clipped at the outer div's end</p>
             </div>
             <p begin="15s">starts after the div ended</p>
           </div>"#,
    ))
    .unwrap();
    let got: Vec<_> = cues.iter().map(|c| (c.start, c.end, c.text.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (ms(11_000), ms(13_000), "relative to the div"),
            (ms(16_000), ms(20_000), "clipped at the outer div's end"),
        ]
    );
}

#[test]
fn seq_container_runs_children_one_after_another() {
    let cues = parse(&doc(
        r#"<div timeContainer="seq" begin="1s">
             <p dur="2s">one</p>
             <p dur="3s">two</p>
             <p begin="1s" dur="1s">three</p>
           </div>"#,
    ))
    .unwrap();
    let got: Vec<_> = cues.iter().map(|c| (c.start, c.end, c.text.as_str())).collect();
    assert_eq!(
        got,
        vec![(ms(1000), ms(3000), "one"), (ms(3000), ms(6000), "two"), (ms(7000), ms(8000), "three")]
    );
}

#[test]
fn timed_spans_split_a_paragraph() {
    let cues = parse(&doc(
        r#"<p begin="0s" end="4s">Always <span begin="2s">then more</span></p>"#,
    ))
    .unwrap();
    let got: Vec<_> = cues.iter().map(|c| (c.start, c.end, c.text.as_str())).collect();
    assert_eq!(got, vec![(ms(0), ms(2000), "Always"), (ms(2000), ms(4000), "Always then more")]);
}

#[test]
fn frame_and_tick_times_under_document_parameters() {
    let s = r#"<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"
        ttp:frameRate="25" ttp:tickRate="10000000"><body><div>
        <p begin="00:00:01:05" end="00:00:02:00">frames</p>
        <p begin="30000000t" end="35000000t">ticks</p>
        <p begin="0.5m" end="0.01h">minutes</p></div></body></tt>"#;
    let cues = parse(s).unwrap();
    let got: Vec<_> = cues.iter().map(|c| (c.start, c.end)).collect();
    assert_eq!(got, vec![(ms(1200), ms(2000)), (ms(3000), ms(3500)), (ms(30_000), ms(36_000))]);
}

#[test]
fn default_tick_rate_follows_the_frame_rate() {
    let s = r#"<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"
        ttp:frameRate="30" ttp:subFrameRate="2"><body><p begin="60t" end="120t">x</p></body></tt>"#;
    let cues = parse(s).unwrap();
    assert_eq!((cues[0].start, cues[0].end), (ms(1000), ms(2000)));
}

#[test]
fn namespaces_are_resolved_not_matched_by_prefix() {
    // Other prefixes for the same namespaces, and the old DFXP namespace.
    let s = r#"<t:tt xmlns:t="http://www.w3.org/2006/10/ttaf1" xmlns:s="http://www.w3.org/2006/10/ttaf1#styling">
        <t:body><t:div><t:p begin="1s" end="2s" s:fontStyle="italic" s:color="red">dfxp</t:p>
        <t:p begin="2s" end="3s"><m:metadata xmlns:m="urn:x">not shown</m:metadata>shown</t:p>
        </t:div></t:body></t:tt>"#;
    let cues = parse(s).unwrap();
    assert_eq!(cues.len(), 2);
    assert!(cues[0].italic);
    assert_eq!(cues[0].color.as_deref(), Some("red"));
    assert_eq!(cues[1].text, "shown");
    // A tts-like attribute in some other namespace is not styling.
    let s = r#"<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="urn:not-styling"><body>
        <p begin="0s" end="1s" tts:fontStyle="italic">x</p></body></tt>"#;
    assert!(!parse(s).unwrap()[0].italic);
    // No namespace at all (seen in the wild) still reads.
    let s = r#"<tt><body><p begin="0s" end="1s">bare</p></body></tt>"#;
    assert_eq!(parse(s).unwrap()[0].text, "bare");
}

#[test]
fn preserved_space_and_entities() {
    let s = doc(r#"<p begin="0s" end="1s" xml:space="preserve">a  b
c &amp; &lt;d&gt; &#x263A;</p>"#);
    assert_eq!(parse(&s).unwrap()[0].text, "a  b\nc & <d> \u{263A}");
}

#[test]
fn fragment_time_bases() {
    // A fragment at 60 s for 2 s. Presentation-time document:
    let abs = doc(r#"<p begin="00:01:00.500" end="00:01:01.500">abs</p><p begin="00:01:01.800" end="00:01:05">long</p>"#);
    let span = FragmentSpan { start: ms(60_000), duration: ms(2000) };
    let l = TtmlLimits::default();
    let cues = cues_for_fragment(abs.as_bytes(), span, TimeBase::Presentation, &l).unwrap();
    let got: Vec<_> = cues.iter().map(|c| (c.start, c.end)).collect();
    // The second is clipped to the fragment's end.
    assert_eq!(got, vec![(ms(60_500), ms(61_500)), (ms(61_800), ms(62_000))]);
    assert_eq!(cues_for_fragment(abs.as_bytes(), span, TimeBase::Auto, &l).unwrap(), cues);
    // The same document read as fragment-relative lands far outside the fragment.
    assert!(cues_for_fragment(abs.as_bytes(), span, TimeBase::FragmentRelative, &l).unwrap().is_empty());

    // A fragment-relative document (dash.js's reading of Smooth Streaming).
    let rel = doc(r#"<p begin="0.5s" end="1.5s">rel</p><p begin="1.5s">open-ended</p>"#);
    let want = vec![(ms(60_500), ms(61_500)), (ms(61_500), ms(62_000))];
    for tb in [TimeBase::FragmentRelative, TimeBase::Auto] {
        let cues = cues_for_fragment(rel.as_bytes(), span, tb, &l).unwrap();
        assert_eq!(cues.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>(), want, "{tb:?}");
    }
    // Read as presentation times, only the open-ended cue reaches into the fragment.
    let cues = cues_for_fragment(rel.as_bytes(), span, TimeBase::Presentation, &l).unwrap();
    assert_eq!(cues.iter().map(|c| (c.start, c.end, c.text.as_str())).collect::<Vec<_>>(), vec![(ms(60_000), ms(62_000), "open-ended")]);
    // From MediaTime in a 100 ns timescale.
    let s = FragmentSpan::from_media_time(MediaTime::new(600_000_000, 10_000_000), MediaTime::new(20_000_000, 10_000_000));
    assert_eq!(s, span);
}

#[test]
fn manifest_inline_payload_through_the_manifest_model() {
    use crate::manifest::{Manifest, PayloadData};
    let ttml = doc(r#"<p begin="00:00:02.000" end="00:00:03.000">inline caption</p>"#);
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(ttml.as_bytes())
    };
    let manifest = format!(
        r#"<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="40000000">
        <StreamIndex Type="text" Name="cc" Subtype="CAPT" ManifestOutput="true" Chunks="1"
           Url="QualityLevels({{bitrate}})/Fragments(cc={{start time}})">
          <QualityLevel Index="0" Bitrate="1000" FourCC="TTML"/>
          <c t="20000000" d="20000000"><f i="0">{b64}</f></c>
        </StreamIndex></SmoothStreamingMedia>"#
    );
    let m = Manifest::parse(manifest.as_bytes()).unwrap();
    let stream = &m.streams[0];
    let chunk = &stream.chunks[0];
    let PayloadData::Bytes(bytes) = &chunk.payloads[0].data else { panic!("not bytes") };
    let span = FragmentSpan::from_media_time(chunk.start, chunk.duration.unwrap());
    let cues = cues_for_fragment(bytes, span, TimeBase::Auto, &TtmlLimits::default()).unwrap();
    assert_eq!(cues.len(), 1);
    assert_eq!((cues[0].start, cues[0].end, cues[0].text.as_str()), (ms(2000), ms(3000), "inline caption"));
}

#[test]
fn not_xml_is_a_typed_error() {
    for bad in ["this is not XML", "", "<tt><body><p>unclosed</body></tt>", "<tt></tx>"] {
        let e = parse(bad).unwrap_err();
        assert!(matches!(e, TtmlError::Xml { .. } | TtmlError::Empty), "{bad:?}: {e:?}");
    }
    assert_eq!(
        parse_document(b"<tt>\xFF\xFE</tt>", &TtmlLimits::default()).unwrap_err(),
        TtmlError::Encoding { offset: 4 }
    );
    assert_eq!(parse("<html/>").unwrap_err(), TtmlError::WrongRoot { found: "html".into() });
}

#[test]
fn absurd_times() {
    // End before begin: never active, no cue (TTML's rule), not an error.
    assert!(parse(&doc(r#"<p begin="5s" end="2s">backwards</p>"#)).unwrap().is_empty());
    // Negative and malformed times are errors that name the attribute.
    match parse(&doc(r#"<p begin="-5s" end="2s">neg</p>"#)).unwrap_err() {
        TtmlError::InvalidTime { attribute, value, element, .. } => {
            assert_eq!((attribute, value.as_str(), element.as_str()), ("begin", "-5s", "p"));
        }
        e => panic!("{e:?}"),
    }
    // Hours past the limit (10^6 h by default).
    match parse(&doc(r#"<p begin="0s" end="1000001:00:00">far</p>"#)).unwrap_err() {
        TtmlError::InvalidTime { attribute: "end", reason, .. } => assert!(reason.contains("largest")),
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        parse(&doc(r#"<p dur="99999999999999999999999999999999999999999h">x</p>"#)).unwrap_err(),
        TtmlError::InvalidTime { attribute: "dur", .. }
    ));
    // A zero rate is refused rather than divided by.
    let s = r#"<tt xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:tickRate="0"><body/></tt>"#;
    assert!(matches!(parse(s).unwrap_err(), TtmlError::InvalidParameter { attribute: "tickRate", .. }));
}

#[test]
fn limits() {
    let mut nested = String::new();
    for _ in 0..100 {
        nested.push_str("<div>");
    }
    nested.push_str(r#"<p begin="0s" end="1s">deep</p>"#);
    for _ in 0..100 {
        nested.push_str("</div>");
    }
    assert!(matches!(
        parse(&doc(&nested)).unwrap_err(),
        TtmlError::LimitExceeded { what: "levels of element nesting", limit: 32, .. }
    ));
    let many: String = (0..20).map(|i| format!(r#"<p begin="{i}s" end="{}s">c</p>"#, i + 1)).collect();
    let l = TtmlLimits { max_cues: 10, ..TtmlLimits::default() };
    assert!(matches!(
        parse_document(doc(&many).as_bytes(), &l).unwrap_err(),
        TtmlError::LimitExceeded { what: "cues", limit: 10, .. }
    ));
    let l = TtmlLimits { max_bytes: 100, ..TtmlLimits::default() };
    assert!(matches!(parse_document(doc("").as_bytes(), &l).unwrap_err(), TtmlError::TooLarge { limit: 100, .. }));
    let l = TtmlLimits { max_paragraph_bytes: 8, ..TtmlLimits::default() };
    assert!(matches!(
        parse_document(doc(r#"<p begin="0s" end="1s">more than eight bytes</p>"#).as_bytes(), &l).unwrap_err(),
        TtmlError::LimitExceeded { what: "bytes of text in one <p>", .. }
    ));
    // A style that references itself does not loop.
    let s = r#"<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling"><head><styling>
        <style xml:id="a" style="b" tts:color="red"/><style xml:id="b" style="a"/></styling></head>
        <body><p begin="0s" end="1s" style="b">loop</p></body></tt>"#;
    assert_eq!(parse(s).unwrap()[0].color.as_deref(), Some("red"));
}

#[test]
fn utf16_and_nul_padding() {
    let s = doc(r#"<p begin="0s" end="1s">ünïcode</p>"#);
    let mut le: Vec<u8> = vec![0xFF, 0xFE];
    le.extend(s.replace("utf-8", "utf-16").encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(parse_document(&le, &TtmlLimits::default()).unwrap()[0].text, "ünïcode");
    let mut padded = s.into_bytes();
    padded.extend([0u8; 16]);
    assert_eq!(parse_document(&padded, &TtmlLimits::default()).unwrap().len(), 1);
}
