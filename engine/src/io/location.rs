use std::path::{Path, PathBuf};

/// Where a presentation lives: its manifest and the base that fragment URLs are relative to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An http(s) manifest URL.
    Http {
        /// The manifest URL as requested.
        manifest: String,
        /// The manifest URL with its last segment (and query) removed, ending in `/`.
        base: String,
    },
    /// A manifest on disk.
    File {
        /// The manifest file.
        manifest: PathBuf,
        /// Its directory.
        base: PathBuf,
    },
}

/// A location the user gave that we cannot use, with what to do about it.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocationError {
    /// A URL scheme other than http, https or file.
    #[error("unsupported URL scheme in {0:?}: use http://, https://, file:// or a local path")]
    UnsupportedScheme(String),
    /// A local path that does not exist.
    #[error("{0}: no such file or directory (give a Smooth Streaming manifest URL, a presentation directory or its Manifest file)")]
    NotFound(String),
    /// A directory without a manifest in it.
    #[error("{0}: directory has no file named Manifest (is it a Smooth Streaming presentation?)")]
    NoManifestInDirectory(String),
}

impl Location {
    /// Interprets what a user typed: an http(s) URL (`.../Name.ism` gets `/Manifest`
    /// appended, as IIS serves it), a `file://` URL, a presentation directory, or a
    /// manifest file.
    pub fn parse(input: &str) -> Result<Location, LocationError> {
        let lower = input.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let without_query = input.split(['?', '#']).next().unwrap_or(input);
            let trimmed = without_query.trim_end_matches('/');
            let tl = trimmed.to_ascii_lowercase();
            let manifest = if tl.ends_with(".ism") || tl.ends_with(".isml") {
                format!("{trimmed}/Manifest")
            } else {
                input.to_string()
            };
            let path_part = manifest.split(['?', '#']).next().unwrap_or(&manifest);
            let base = match path_part.rfind('/') {
                Some(i) if i > "https://".len() => path_part[..=i].to_string(),
                _ => format!("{path_part}/"),
            };
            return Ok(Location::Http { manifest, base });
        }
        let path_str = if lower.starts_with("file://") { &input[7..] } else { input };
        if let Some(idx) = path_str.find("://") {
            if !path_str[..idx].contains('/') {
                return Err(LocationError::UnsupportedScheme(input.to_string()));
            }
        }
        let path = Path::new(path_str);
        if path.is_dir() {
            let manifest = path.join("Manifest");
            if !manifest.is_file() {
                return Err(LocationError::NoManifestInDirectory(path_str.to_string()));
            }
            return Ok(Location::File { manifest, base: path.to_path_buf() });
        }
        if path.is_file() {
            let base = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
            return Ok(Location::File { manifest: path.to_path_buf(), base });
        }
        Err(LocationError::NotFound(path_str.to_string()))
    }

    /// The manifest's URL or path, as text for fetching and messages.
    pub fn manifest_url(&self) -> String {
        match self {
            Location::Http { manifest, .. } => manifest.clone(),
            Location::File { manifest, .. } => manifest.display().to_string(),
        }
    }

    /// A fragment URL relative to the manifest, joined as text (no re-escaping: the
    /// template is filled textually, as servers expect).
    pub fn resolve(&self, relative: &str) -> String {
        match self {
            Location::Http { base, .. } => format!("{base}{relative}"),
            Location::File { base, .. } => base.join(relative).display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_ism_gets_manifest_appended() {
        let l = Location::parse("http://h/p/Big.ism").unwrap();
        assert_eq!(l.manifest_url(), "http://h/p/Big.ism/Manifest");
        assert_eq!(l.resolve("QualityLevels(1)/Fragments(video=0)"), "http://h/p/Big.ism/QualityLevels(1)/Fragments(video=0)");
    }

    #[test]
    fn http_manifest_base_drops_last_segment_and_query() {
        let l = Location::parse("https://h/a/b.isml/manifest?token=x").unwrap();
        assert_eq!(l.resolve("Q(1)"), "https://h/a/b.isml/Q(1)");
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(matches!(Location::parse("ftp://h/x"), Err(LocationError::UnsupportedScheme(_))));
    }

    #[test]
    fn local_directory_and_file() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media/small.ism");
        let l = Location::parse(dir).unwrap();
        assert!(matches!(&l, Location::File { manifest, .. } if manifest.ends_with("Manifest")));
        let f = Location::parse(&format!("file://{dir}/Manifest")).unwrap();
        assert_eq!(f.resolve("x"), format!("{dir}/x"));
        assert!(matches!(Location::parse("/no/such/thing"), Err(LocationError::NotFound(_))));
        let empty = std::env::temp_dir();
        assert!(matches!(Location::parse(empty.to_str().unwrap()), Err(LocationError::NoManifestInDirectory(_))));
    }
}
