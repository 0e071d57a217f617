//! The font embedded in the binary for all chart text.
//!
//! Charts must render Chinese labels on machines without installed fonts, so
//! the binary carries a subset of Noto Sans CJK SC (SIL Open Font License 1.1).
//! `assets/fonts/README.md` lists what the subset contains and how
//! `scripts/subset-font.sh` rebuilds it.

use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId};

/// The subset font file: OpenType with CFF outlines, a single face.
pub(crate) const FONT_BYTES: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

/// Family name under which the font is registered with plotters.
pub(crate) const FONT_FAMILY: &str = "rollout-sim-noto-sans-cjk-sc";

/// Returns the parsed embedded font.
///
/// # Panics
///
/// Panics if the embedded font cannot be parsed. The bytes are fixed at
/// compile time, and the unit test `font_is_single_cff_face` parses them.
pub(crate) fn face() -> &'static Face<'static> {
    static FACE: OnceLock<Face<'static>> = OnceLock::new();
    FACE.get_or_init(|| {
        Face::parse(FONT_BYTES, 0).expect("embedded chart font is a valid OpenType font")
    })
}

/// Registers the embedded font with plotters' ab_glyph text renderer.
///
/// The chart backends draw all text themselves, so plotters only needs the
/// registration for text paths that bypass them. Repeated calls are cheap.
pub(crate) fn register_with_plotters() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(
                FONT_FAMILY,
                plotters::style::FontStyle::Normal,
                FONT_BYTES,
            )
            .map_err(|_| format!("plotters rejected the embedded font {FONT_FAMILY}"))
        })
        .clone()
}

/// Returns the glyph for `character`, or `None` if the font has no glyph for it.
pub(crate) fn glyph_for(character: char) -> Option<GlyphId> {
    face().glyph_index(character)
}

/// Lists the characters of `text` that the embedded font has no glyph for,
/// each once, in order of first appearance.
///
/// Charts draw such characters as the font's `.notdef` box. Whitespace other
/// than U+0020 and U+3000 is not in the font either, so labels should not
/// contain tabs or line breaks.
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let mut missing = Vec::new();
    for character in text.chars() {
        if glyph_for(character).is_none() && !missing.contains(&character) {
            missing.push(character);
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 6,763 hanzi of GB 2312, written by `scripts/subset-font.sh`.
    const GB2312_HANZI: &str = include_str!("../../../tests/data/gb2312-hanzi.txt");

    #[test]
    fn font_is_single_cff_face() {
        assert_eq!(
            ttf_parser::fonts_in_collection(FONT_BYTES),
            None,
            "font must not be a .ttc collection"
        );
        let face = Face::parse(FONT_BYTES, 0).expect("font parses");
        assert_eq!(face.units_per_em(), 1000);
        assert!(face.tables().cff.is_some(), "font should have CFF outlines");
    }

    #[test]
    fn plotters_ab_glyph_accepts_font() {
        assert_eq!(register_with_plotters(), Ok(()));
    }

    #[test]
    fn chinese_labels_have_glyphs() {
        let labels = "启动覆盖率 新版本 强制更新 提示 恢复时应用 无";
        assert_eq!(missing_glyphs(labels), Vec::<char>::new());
    }

    #[test]
    fn latin_and_punctuation_have_glyphs() {
        let text = "Launch coverage (p05–p95), 95 % target: 1.5 MB/s; “quoted” · ×÷ 0123456789";
        assert_eq!(missing_glyphs(text), Vec::<char>::new());
        assert_eq!(
            missing_glyphs("，。：；！？（）【】《》、"),
            Vec::<char>::new()
        );
    }

    #[test]
    fn every_gb2312_hanzi_has_glyph() {
        let hanzi: Vec<char> = GB2312_HANZI
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert_eq!(
            hanzi.len(),
            6763,
            "tests/data/gb2312-hanzi.txt should list all GB 2312 hanzi"
        );
        assert_eq!(
            missing_glyphs(&hanzi.iter().collect::<String>()),
            Vec::<char>::new()
        );
    }

    #[test]
    fn missing_glyphs_lists_each_once() {
        assert_eq!(
            missing_glyphs("a\u{1F600}b\u{1F600}\t"),
            vec!['\u{1F600}', '\t']
        );
    }
}
