//! SVG document assembly: text as glyph paths, and the document title.

use std::fmt::Write as _;

use plotters_backend::BackendColor;

use super::text::{self, Segment};

/// Appends `text` as one filled `<path>` of glyph outlines, with the text
/// itself in `aria-label` so the SVG stays searchable and accessible.
/// Text without any visible glyph (only spaces) writes nothing.
pub(crate) fn write_text_path(
    buffer: &mut String,
    label: &str,
    segments: &[Segment],
    color: BackendColor,
) {
    if segments.is_empty() {
        return;
    }
    let (red, green, blue) = color.rgb;
    let _ = write!(
        buffer,
        "<path role=\"img\" aria-label=\"{}\" fill=\"#{red:02X}{green:02X}{blue:02X}\"",
        escape_xml(label)
    );
    if color.alpha < 1.0 {
        let _ = write!(buffer, " fill-opacity=\"{:.3}\"", color.alpha);
    }
    let _ = writeln!(buffer, " d=\"{}\"/>", text::svg_path_data(segments));
}

/// Inserts a `<title>` element after the opening `<svg>` tag and the text
/// paths before the closing `</svg>` tag of a document that plotters'
/// SVGBackend finished. Text is drawn last, so it lies on top of all shapes.
///
/// Returns `None` if `document` has no `<svg ...>` start tag or no
/// `</svg>` end tag.
pub(crate) fn finish_document(document: &str, title: &str, text_paths: &str) -> Option<String> {
    let start_tag_end = document.find("<svg").and_then(|start| {
        let offset = document[start..].find('>')?;
        Some(start + offset + 1)
    })?;
    let end_tag_start = document.rfind("</svg>")?;
    if end_tag_start < start_tag_end {
        return None;
    }

    let mut finished = String::with_capacity(document.len() + title.len() + text_paths.len() + 32);
    finished.push_str(&document[..start_tag_end]);
    finished.push('\n');
    if !title.is_empty() {
        let _ = writeln!(finished, "<title>{}</title>", escape_xml(title));
    }
    finished.push_str(&document[start_tag_end..end_tag_start]);
    finished.push_str(text_paths);
    finished.push_str(&document[end_tag_start..]);
    Some(finished)
}

/// Escapes text for XML character data and double- or single-quoted
/// attribute values.
fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::chart::text::Point;

    const BLACK: BackendColor = BackendColor {
        alpha: 1.0,
        rgb: (0, 0, 0),
    };

    #[test]
    fn escape_xml_covers_markup_characters() {
        assert_eq!(
            escape_xml(r#"a<b>&"c"'d'"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
    }

    #[test]
    fn text_path_carries_label_and_color() {
        let mut buffer = String::new();
        let segments = [Segment::MoveTo(Point { x: 1.0, y: 2.0 }), Segment::Close];
        let color = BackendColor {
            alpha: 0.5,
            rgb: (0x12, 0xAB, 0xFF),
        };
        write_text_path(&mut buffer, "p05 < p95", &segments, color);
        assert_eq!(
            buffer,
            "<path role=\"img\" aria-label=\"p05 &lt; p95\" fill=\"#12ABFF\" fill-opacity=\"0.500\" d=\"M1 2Z\"/>\n"
        );
    }

    #[test]
    fn text_path_skips_blank_text() {
        let mut buffer = String::new();
        write_text_path(&mut buffer, " ", &[], BLACK);
        assert_eq!(buffer, "");
    }

    #[test]
    fn finish_document_inserts_title_and_paths() {
        let document = "<svg width=\"10\" height=\"10\">\n<rect/>\n</svg>\n";
        let finished = finish_document(document, "A & B", "<path d=\"M0 0Z\"/>\n").unwrap();
        assert_eq!(
            finished,
            "<svg width=\"10\" height=\"10\">\n<title>A &amp; B</title>\n\n<rect/>\n<path d=\"M0 0Z\"/>\n</svg>\n"
        );
    }

    #[test]
    fn finish_document_rejects_non_svg() {
        assert_eq!(finish_document("<html></html>", "t", ""), None);
    }
}
