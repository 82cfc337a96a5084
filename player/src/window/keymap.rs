//! winit's key names to mpv's (`SPACE`, `LEFT`, `]`...), the names the binding table in
//! `control.rs` uses, so keys, IPC and scripts share one vocabulary.

use winit::keyboard::{Key, NamedKey};

/// mpv's name for a key, or `None` for keys that have no binding vocabulary.
pub fn mpv_key_name(key: &Key) -> Option<String> {
    Some(match key {
        Key::Named(n) => match n {
            NamedKey::Space => "SPACE",
            NamedKey::ArrowLeft => "LEFT",
            NamedKey::ArrowRight => "RIGHT",
            NamedKey::ArrowUp => "UP",
            NamedKey::ArrowDown => "DOWN",
            NamedKey::Escape => "ESC",
            NamedKey::End => "END",
            NamedKey::Home => "HOME",
            NamedKey::Backspace => "BS",
            NamedKey::Enter => "ENTER",
            NamedKey::PageUp => "PGUP",
            NamedKey::PageDown => "PGDWN",
            NamedKey::F11 => "F11",
            _ => return None,
        }
        .to_string(),
        Key::Character(c) if c.as_str() == " " => "SPACE".to_string(),
        Key::Character(c) => c.to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_character_keys_get_mpv_names() {
        assert_eq!(mpv_key_name(&Key::Named(NamedKey::Space)).as_deref(), Some("SPACE"));
        assert_eq!(mpv_key_name(&Key::Named(NamedKey::ArrowLeft)).as_deref(), Some("LEFT"));
        assert_eq!(mpv_key_name(&Key::Named(NamedKey::End)).as_deref(), Some("END"));
        assert_eq!(mpv_key_name(&Key::Character("]".into())).as_deref(), Some("]"));
        assert_eq!(mpv_key_name(&Key::Character("q".into())).as_deref(), Some("q"));
        assert_eq!(mpv_key_name(&Key::Named(NamedKey::CapsLock)), None);
    }
}
