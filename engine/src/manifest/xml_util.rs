//! Small helpers over quick-xml shared by the manifest and WRMHEADER parsers.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::XmlVersion;

/// The local name (prefix stripped) of an element, as written.
pub(crate) fn local_name<'a>(e: &'a BytesStart<'_>) -> &'a str {
    let full: &str = e.name().0;
    full.rsplit(':').next().unwrap_or(full)
}

/// One attribute, its key's local name and its normalized (entity-resolved) value.
pub(crate) struct Attr<'a> {
    pub name: &'a str,
    pub value: Cow<'a, str>,
}

/// Why an attribute could not be read.
pub(crate) enum AttrProblem {
    /// Bad attribute syntax (quick-xml's message).
    Syntax(String),
    /// Value longer than the limit.
    TooLong,
}

/// Iterates over the attributes of `e` without allocating (values are borrowed unless
/// they hold entity references); values longer than `max_len` bytes are refused.
/// Attribute syntax is lenient about whitespace around `=` (quick-xml accepts it), and
/// a duplicated attribute is not an error: the last one wins, as in browser-based
/// players (the uniqueness check also costs an allocation per element).
pub(crate) fn attributes<'a>(
    e: &'a BytesStart<'_>,
    max_len: usize,
) -> impl Iterator<Item = Result<Attr<'a>, AttrProblem>> + 'a {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    attrs.map(move |attr| {
        let attr = attr.map_err(|err| AttrProblem::Syntax(err.to_string()))?;
        let key: &'a str = attr.key.0;
        let name = key.rsplit(':').next().unwrap_or(key);
        if attr.value.len() > max_len {
            return Err(AttrProblem::TooLong);
        }
        // A bare `&` (an unescaped query string in a Url) makes normalization fail;
        // like lenient players, keep the value as written then.
        let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
            Ok(v) => v,
            Err(_) => attr.value,
        };
        Ok(Attr { name, value })
    })
}

/// The character data an event contributes to its element's text, with predefined
/// and numeric entity references resolved; `None` for non-text events. An unknown
/// entity is kept as written (`&name;`).
pub(crate) fn text_piece<'a>(ev: &'a Event<'_>) -> Option<Cow<'a, str>> {
    match ev {
        Event::Text(t) => Some(t.xml10_content()),
        Event::CData(c) => Some(c.xml10_content()),
        Event::GeneralRef(r) => {
            if r.is_char_ref() {
                return Some(match r.resolve_char_ref() {
                    Ok(Some(ch)) => Cow::Owned(ch.to_string()),
                    _ => Cow::Owned(format!("&{};", &**r)),
                });
            }
            Some(match resolve_predefined_entity(r) {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(format!("&{};", &**r)),
            })
        }
        _ => None,
    }
}
