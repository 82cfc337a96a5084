//! Fills a `StreamIndex@Url` template as plain text.
//!
//! Servers differ in spelling (`{bitrate}`/`{Bitrate}`, `{start time}`/`{start_time}`)
//! and some test servers strip the parentheses, so tokens are substituted textually
//! and the rest of the template is copied byte for byte. Unknown `{...}` tokens are
//! kept as written.

use std::fmt::Write;

/// The template with every known token replaced.
pub(crate) fn fill(
    template: &str,
    bitrate: u64,
    start_ticks: u64,
    custom: &[(String, String)],
) -> String {
    let mut out = String::with_capacity(template.len() + 24);
    let mut rest = template;
    while let Some((before, after_open)) = rest.split_once('{') {
        out.push_str(before);
        let Some((token, after)) = after_open.split_once('}') else {
            // An unclosed brace: nothing more to substitute.
            out.push('{');
            out.push_str(after_open);
            return out;
        };
        match token {
            "bitrate" | "Bitrate" => push_u64(&mut out, bitrate),
            "start time" | "start_time" | "Start time" | "Start_time" => {
                push_u64(&mut out, start_ticks)
            }
            "CustomAttributes" => push_custom(&mut out, custom),
            _ => {
                out.push('{');
                out.push_str(token);
                out.push('}');
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn push_u64(out: &mut String, v: u64) {
    // Integer formatting is exact for all of u64 (no float round trip).
    let _ = write!(out, "{v}");
}

/// `Name=Value,Name=Value`; with no attributes, also drops the `,` that the template
/// put before the token, so `QualityLevels({bitrate},{CustomAttributes})` becomes
/// `QualityLevels(300000)` rather than `QualityLevels(300000,)`.
fn push_custom(out: &mut String, custom: &[(String, String)]) {
    if custom.is_empty() {
        if out.ends_with(',') {
            out.pop();
        }
        return;
    }
    for (i, (name, value)) in custom.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::fill;

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fills_every_spelling() {
        assert_eq!(
            fill(
                "QualityLevels({bitrate})/Fragments(video={start time})",
                200000,
                40,
                &[]
            ),
            "QualityLevels(200000)/Fragments(video=40)"
        );
        assert_eq!(
            fill("Q({Bitrate})/F(v={start_time})", 7, 8, &[]),
            "Q(7)/F(v=8)"
        );
    }

    #[test]
    fn prints_times_above_2_pow_53_exactly() {
        let t = (1u64 << 53) + 1;
        assert_eq!(
            fill("F(v={start time})", 1, t, &[]),
            "F(v=9007199254740993)"
        );
        assert_eq!(
            fill("F(v={start time})", 1, u64::MAX, &[]),
            "F(v=18446744073709551615)"
        );
    }

    #[test]
    fn expands_custom_attributes() {
        let a = attrs(&[("hardwareProfile", "1000")]);
        assert_eq!(
            fill(
                "QualityLevels({bitrate},{CustomAttributes})/F",
                300000,
                0,
                &a
            ),
            "QualityLevels(300000,hardwareProfile=1000)/F"
        );
        let two = attrs(&[("A", "1"), ("B", "x y")]);
        assert_eq!(
            fill("Q({bitrate},{CustomAttributes})", 1, 0, &two),
            "Q(1,A=1,B=x y)"
        );
        assert_eq!(fill("Q({bitrate},{CustomAttributes})", 5, 0, &[]), "Q(5)");
    }

    #[test]
    fn keeps_unknown_and_unclosed_tokens() {
        assert_eq!(fill("a{other}b{bitrate", 1, 2, &[]), "a{other}b{bitrate");
        assert_eq!(fill("", 1, 2, &[]), "");
        assert_eq!(fill("{{bitrate}}", 3, 0, &[]), "{{bitrate}}");
    }
}
