//! A plotters drawing backend wrapper that draws text from the embedded font.
//!
//! plotters' SVG backend writes `<text>` elements that a viewer renders with
//! its own fonts, and its bitmap text renderer (plotters 0.3.7 with
//! ab_glyph) drops each glyph's left side bearing. The wrapper replaces both text paths with outlines from
//! [`super::text`], so SVG and PNG charts show the same glyphs on any
//! machine. Every other drawing call goes to the wrapped backend unchanged.

use std::cell::RefCell;

use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use super::svg;
use super::text;

/// Destination of the text drawn through the wrapper.
pub(crate) enum TextOutput<'a> {
    /// Rasterize glyphs into the wrapped backend with anti-aliased pixels.
    Rasterize,
    /// Append one `<path>` element per text to the buffer. The caller inserts
    /// the buffer into the finished SVG document.
    SvgPaths(&'a RefCell<String>),
}

/// Wraps a plotters backend and draws all text as glyph outlines.
pub(crate) struct OutlineTextBackend<'a, B: DrawingBackend> {
    inner: B,
    text_output: TextOutput<'a>,
}

impl<'a, B: DrawingBackend> OutlineTextBackend<'a, B> {
    pub(crate) fn new(inner: B, text_output: TextOutput<'a>) -> Self {
        Self { inner, text_output }
    }
}

impl<B: DrawingBackend> DrawingBackend for OutlineTextBackend<'_, B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vertices, style)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }

        let segments = text::outline(
            text,
            style.size() as f32,
            style.anchor(),
            &style.transform(),
            (pos.0 as f32, pos.1 as f32),
        );

        match &self.text_output {
            TextOutput::SvgPaths(buffer) => {
                svg::write_text_path(&mut buffer.borrow_mut(), text, &segments, color);
                Ok(())
            }
            TextOutput::Rasterize => {
                let inner = &mut self.inner;
                text::rasterize(&segments, |x, y, coverage| {
                    let pixel_color = BackendColor {
                        alpha: color.alpha * f64::from(coverage),
                        rgb: color.rgb,
                    };
                    inner.draw_pixel((x, y), pixel_color)
                })
            }
        }
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let extent = text::measure(text, style.size() as f32);
        Ok((extent.width.ceil() as u32, extent.height.ceil() as u32))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }
}
