//! Language tags as manifests and locales write them: `en`, `en-US`, `eng`, `en_US.UTF-8`.

/// ISO 639-2 codes (bibliographic and terminologic) of common languages and their
/// ISO 639-1 equivalents. Manifests write either (`eng` from IIS, `en` from others).
const ISO_639_2_TO_1: &[(&str, &str)] = &[
    ("ara", "ar"), ("arm", "hy"), ("baq", "eu"), ("ben", "bn"), ("bul", "bg"), ("cat", "ca"),
    ("ces", "cs"), ("chi", "zh"), ("cym", "cy"), ("cze", "cs"), ("dan", "da"), ("deu", "de"),
    ("dut", "nl"), ("ell", "el"), ("eng", "en"), ("est", "et"), ("eus", "eu"), ("fas", "fa"),
    ("fin", "fi"), ("fra", "fr"), ("fre", "fr"), ("geo", "ka"), ("ger", "de"), ("gle", "ga"),
    ("glg", "gl"), ("gre", "el"), ("heb", "he"), ("hin", "hi"), ("hrv", "hr"), ("hun", "hu"),
    ("hye", "hy"), ("ice", "is"), ("ind", "id"), ("isl", "is"), ("ita", "it"), ("jpn", "ja"),
    ("kat", "ka"), ("kor", "ko"), ("lav", "lv"), ("lit", "lt"), ("may", "ms"), ("msa", "ms"),
    ("nld", "nl"), ("nno", "nn"), ("nob", "nb"), ("nor", "no"), ("per", "fa"), ("pol", "pl"),
    ("por", "pt"), ("ron", "ro"), ("rum", "ro"), ("rus", "ru"), ("slk", "sk"), ("slo", "sk"),
    ("slv", "sl"), ("spa", "es"), ("srp", "sr"), ("swe", "sv"), ("tam", "ta"), ("tel", "te"),
    ("tha", "th"), ("tur", "tr"), ("ukr", "uk"), ("urd", "ur"), ("vie", "vi"), ("wel", "cy"),
    ("zho", "zh"),
];

/// The primary language of a tag, lower case, as ISO 639-1 where the table knows it:
/// `en-US` -> `en`, `eng` -> `en`, `fr_CA.UTF-8` -> `fr`, `FRE` -> `fr`. `None` for an
/// empty tag and for the "no language" codes `und`, `mul`, `zxx`, `mis`, `C` and `POSIX`.
pub fn primary_language(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_', '.', '@']).next()?.trim().to_ascii_lowercase();
    if primary.is_empty() || matches!(primary.as_str(), "und" | "mul" | "zxx" | "mis" | "c" | "posix") {
        return None;
    }
    let short = ISO_639_2_TO_1.iter().find(|(long, _)| *long == primary).map(|(_, short)| (*short).to_string());
    Some(short.unwrap_or(primary))
}

/// `true` when both tags name the same primary language (`eng` = `en-GB` = `EN`).
pub fn same_language(a: &str, b: &str) -> bool {
    matches!((primary_language(a), primary_language(b)), (Some(x), Some(y)) if x == y)
}

/// The user's language from the environment, POSIX order: `LC_ALL`, then `LC_MESSAGES`,
/// then `LANG` (the first one set and not empty); `None` for `C`/`POSIX` or when unset.
pub fn system_language() -> Option<String> {
    let get = |k: &str| std::env::var(k).ok();
    language_from_env(get("LC_ALL"), get("LC_MESSAGES"), get("LANG"))
}

fn language_from_env(lc_all: Option<String>, lc_messages: Option<String>, lang: Option<String>) -> Option<String> {
    [lc_all, lc_messages, lang].into_iter().flatten().find(|v| !v.trim().is_empty()).and_then(|v| primary_language(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_reduce_to_their_primary_language() {
        assert_eq!(primary_language("en_US.UTF-8").as_deref(), Some("en"));
        assert_eq!(primary_language("eng").as_deref(), Some("en"));
        assert_eq!(primary_language("FRE").as_deref(), Some("fr"));
        assert_eq!(primary_language("pt-BR").as_deref(), Some("pt"));
        assert_eq!(primary_language("sr@latin").as_deref(), Some("sr"));
        assert_eq!(primary_language("tlh").as_deref(), Some("tlh"), "unknown codes are kept");
        for none in ["", "und", "C", "POSIX", "C.UTF-8", " "] {
            assert_eq!(primary_language(none), None, "{none:?}");
        }
        assert!(same_language("eng", "en-GB"));
        assert!(same_language("deu", "ger"));
        assert!(!same_language("eng", "fra"));
        assert!(!same_language("und", "und"));
    }

    #[test]
    fn locale_variables_in_posix_order() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(language_from_env(s("fr_FR.UTF-8"), s("de_DE"), s("en_US.UTF-8")).as_deref(), Some("fr"));
        assert_eq!(language_from_env(None, s("de_DE"), s("en_US.UTF-8")).as_deref(), Some("de"));
        assert_eq!(language_from_env(s(""), None, s("en_US.UTF-8")).as_deref(), Some("en"));
        assert_eq!(language_from_env(None, None, s("C.UTF-8")), None);
        assert_eq!(language_from_env(None, None, None), None);
    }
}
