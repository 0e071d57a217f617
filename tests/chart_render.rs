//! Renders charts to SVG and PNG and checks the output as a viewer would
//! read it: valid XML without font-dependent text, and a decodable PNG with
//! drawn text. Example files are written to `target/chart-examples/` for
//! inspection.

use std::fs;
use std::path::PathBuf;

use rollout_sim::output::chart::{
    render_png, render_svg, BandPoint, BandSeries, ChartError, HorizontalLine, LineChart,
    VerticalMarker, YAxis,
};

const WIDTH: u32 = 900;
const HEIGHT: u32 = 540;

/// Coverage after a release at hour 0: a saturating curve per policy, with
/// a band that narrows as coverage approaches its ceiling.
fn coverage_series(label: &str, rate: f64, ceiling: f64, gap: Option<(f64, f64)>) -> BandSeries {
    let points = (0..=96)
        .map(|step| {
            let x = step as f64 * 0.75;
            let mean = ceiling * (1.0 - (-rate * x).exp());
            let spread = 0.08 * mean * (1.0 - mean);
            let missing = gap.is_some_and(|(start, end)| x >= start && x <= end);
            BandPoint {
                x,
                mean: if missing { f64::NAN } else { mean },
                low: if missing {
                    f64::NAN
                } else {
                    (mean - spread - 0.02).max(0.0)
                },
                high: if missing {
                    f64::NAN
                } else {
                    (mean + spread + 0.02).min(1.0)
                },
            }
        })
        .collect();
    BandSeries {
        label: label.to_string(),
        points,
    }
}

fn coverage_chart(chinese: bool) -> LineChart {
    let pick = |en: &str, zh: &str| {
        if chinese {
            zh.to_string()
        } else {
            en.to_string()
        }
    };
    LineChart {
        title: pick("Launch coverage", "启动覆盖率"),
        x_label: pick("Hours since release", "发布后小时数"),
        y_label: pick("Launches on new version", "新版本启动占比"),
        series: vec![
            coverage_series(&pick("Force update", "强制更新"), 0.25, 0.99, None),
            coverage_series(&pick("Prompt", "提示"), 0.08, 0.97, None),
            coverage_series(
                &pick("Apply on resume", "恢复时应用"),
                0.05,
                0.95,
                Some((20.0, 26.0)),
            ),
            coverage_series(&pick("None", "无"), 0.02, 0.9, None),
        ],
        y_axis: YAxis::Fraction,
        markers: vec![
            VerticalMarker {
                x: 0.0,
                label: pick("v2.0 release", "v2.0 发布"),
            },
            VerticalMarker {
                x: 48.0,
                label: pick("v2.0.1 hotfix", "v2.0.1 修复"),
            },
        ],
        horizontal_lines: vec![HorizontalLine {
            y: 0.95,
            label: pick("95% target", "95% 目标"),
        }],
    }
}

fn rate_chart() -> LineChart {
    let points = (0..50)
        .map(|step| {
            let x = step as f64;
            let mean = 4e6 * (-(x - 10.0).powi(2) / 40.0).exp() + 2e5;
            BandPoint {
                x,
                mean,
                low: mean * 0.7,
                high: mean * 1.4,
            }
        })
        .collect();
    LineChart {
        title: "CDN egress / CDN 出流量".to_string(),
        x_label: "Minutes since release".to_string(),
        y_label: "Download rate".to_string(),
        series: vec![BandSeries {
            label: "Package downloads 代码包下载".to_string(),
            points,
        }],
        y_axis: YAxis::Rate,
        markers: Vec::new(),
        horizontal_lines: Vec::new(),
    }
}

fn example_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/chart-examples");
    fs::create_dir_all(&dir).expect("create target/chart-examples");
    dir
}

fn write_examples(name: &str, chart: &LineChart) -> (String, Vec<u8>) {
    let svg = render_svg(chart, WIDTH, HEIGHT).expect("render SVG");
    let png = render_png(chart, WIDTH, HEIGHT).expect("render PNG");
    let dir = example_dir();
    fs::write(dir.join(format!("{name}.svg")), &svg).expect("write SVG example");
    fs::write(dir.join(format!("{name}.png")), &png).expect("write PNG example");
    (svg, png)
}

/// Decoded 8-bit RGB image.
struct Image {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Image {
    fn decode(png_bytes: &[u8]) -> Image {
        let decoder = png::Decoder::new(png_bytes);
        let mut reader = decoder.read_info().expect("PNG header decodes");
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader
            .next_frame(&mut pixels)
            .expect("PNG image data decodes");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        pixels.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            pixels,
        }
    }

    /// Counts pixels in the rectangle that differ from white.
    fn count_non_white(&self, x: std::ops::Range<u32>, y: std::ops::Range<u32>) -> usize {
        let mut count = 0;
        for row in y {
            for column in x.clone() {
                let offset = ((row * self.width + column) * 3) as usize;
                if self.pixels[offset..offset + 3] != [255, 255, 255] {
                    count += 1;
                }
            }
        }
        count
    }
}

/// Collects the accessible text of all elements: `aria-label` attributes
/// and `<title>` contents.
fn accessible_texts(document: &roxmltree::Document) -> Vec<String> {
    let mut texts = Vec::new();
    for node in document.descendants() {
        if let Some(label) = node.attribute("aria-label") {
            texts.push(label.to_string());
        }
        if node.has_tag_name("title") {
            texts.push(node.text().unwrap_or_default().to_string());
        }
    }
    texts
}

fn check_svg(svg: &str, chart: &LineChart) {
    let document = roxmltree::Document::parse(svg).expect("SVG parses as XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some(WIDTH.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(HEIGHT.to_string().as_str()));

    let text_elements = document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .count();
    assert_eq!(text_elements, 0, "SVG must not rely on viewer fonts");
    assert!(!svg.contains("font-family"), "SVG must not name fonts");

    let texts = accessible_texts(&document);
    let mut expected = vec![
        chart.title.clone(),
        chart.x_label.clone(),
        chart.y_label.clone(),
    ];
    expected.extend(chart.series.iter().map(|series| series.label.clone()));
    expected.extend(chart.markers.iter().map(|marker| marker.label.clone()));
    expected.extend(chart.horizontal_lines.iter().map(|line| line.label.clone()));
    for text in expected {
        assert!(
            texts.contains(&text),
            "SVG lacks accessible text {text:?}; found {texts:?}"
        );
    }

    let title = root.children().find(|node| node.has_tag_name("title"));
    assert_eq!(
        title.and_then(|node| node.text()),
        Some(chart.title.as_str())
    );
}

fn check_png(png_bytes: &[u8]) {
    let image = Image::decode(png_bytes);
    assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
    assert_eq!(image.pixels.len(), (WIDTH * HEIGHT * 3) as usize);

    // The title is centred in the top 40 pixels; nothing else is drawn there.
    let title_pixels = image.count_non_white(WIDTH / 2 - 60..WIDTH / 2 + 60, 0..40);
    assert!(
        title_pixels > 200,
        "title area has only {title_pixels} drawn pixels"
    );
    let corner_pixels = image.count_non_white(0..10, 0..10);
    assert_eq!(corner_pixels, 0, "background should be white");
}

#[test]
fn english_chart_svg_and_png() {
    let chart = coverage_chart(false);
    let (svg, png) = write_examples("coverage-en", &chart);
    check_svg(&svg, &chart);
    check_png(&png);
}

#[test]
fn chinese_chart_svg_and_png() {
    let chart = coverage_chart(true);
    let (svg, png) = write_examples("coverage-zh", &chart);
    check_svg(&svg, &chart);
    check_png(&png);
}

#[test]
fn rate_chart_uses_byte_units() {
    let chart = rate_chart();
    let (svg, png) = write_examples("rate-mixed", &chart);
    check_svg(&svg, &chart);
    check_png(&png);
    let document = roxmltree::Document::parse(&svg).unwrap();
    let texts = accessible_texts(&document);
    assert!(
        texts.iter().any(|text| text.ends_with(" MB/s")),
        "no MB/s tick label in {texts:?}"
    );
}

#[test]
fn png_keeps_title_metadata() {
    let chart = coverage_chart(true);
    let png = render_png(&chart, WIDTH, HEIGHT).unwrap();
    let reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
    let titles: Vec<String> = reader
        .info()
        .utf8_text
        .iter()
        .filter(|chunk| chunk.keyword == "Title")
        .map(|chunk| chunk.get_text().unwrap())
        .collect();
    assert_eq!(titles, vec!["启动覆盖率".to_string()]);
}

fn chart_with_series(series: Vec<BandSeries>, y_axis: YAxis) -> LineChart {
    LineChart {
        title: "Edge case".to_string(),
        x_label: "x".to_string(),
        y_label: "y".to_string(),
        series,
        y_axis,
        markers: Vec::new(),
        horizontal_lines: Vec::new(),
    }
}

fn series(points: Vec<BandPoint>) -> BandSeries {
    BandSeries {
        label: "s".to_string(),
        points,
    }
}

fn band_point(x: f64, mean: f64) -> BandPoint {
    BandPoint {
        x,
        mean,
        low: mean,
        high: mean,
    }
}

#[test]
fn edge_cases_render_without_error() {
    let cases: Vec<(&str, LineChart)> = vec![
        ("no series", chart_with_series(Vec::new(), YAxis::Count)),
        (
            "empty series",
            chart_with_series(vec![series(Vec::new())], YAxis::Fraction),
        ),
        (
            "all NaN",
            chart_with_series(
                vec![series(vec![
                    band_point(0.0, f64::NAN),
                    band_point(1.0, f64::NAN),
                ])],
                YAxis::Rate,
            ),
        ),
        (
            "single point",
            chart_with_series(vec![series(vec![band_point(3.0, 0.5)])], YAxis::Fraction),
        ),
        (
            "zero-width ranges",
            chart_with_series(
                vec![series(vec![band_point(2.0, 7.0), band_point(2.0, 7.0)])],
                YAxis::Count,
            ),
        ),
        (
            "infinite values",
            chart_with_series(
                vec![series(vec![
                    band_point(f64::INFINITY, 1.0),
                    band_point(0.0, f64::NEG_INFINITY),
                    band_point(1.0, 2.0),
                ])],
                YAxis::Count,
            ),
        ),
        (
            "blank texts",
            LineChart {
                title: String::new(),
                x_label: String::new(),
                y_label: String::new(),
                ..chart_with_series(
                    vec![series(vec![band_point(0.0, 1.0), band_point(1.0, 2.0)])],
                    YAxis::Count,
                )
            },
        ),
        (
            "many series",
            chart_with_series(
                (0..40)
                    .map(|index| BandSeries {
                        label: format!("policy number {index}"),
                        points: vec![
                            band_point(0.0, index as f64),
                            band_point(1.0, index as f64 + 1.0),
                        ],
                    })
                    .collect(),
                YAxis::Count,
            ),
        ),
    ];
    for (name, chart) in cases {
        for (width, height) in [(WIDTH, HEIGHT), (320, 240)] {
            let svg = render_svg(&chart, width, height)
                .unwrap_or_else(|error| panic!("{name}: SVG failed: {error}"));
            roxmltree::Document::parse(&svg)
                .unwrap_or_else(|error| panic!("{name}: SVG is not XML: {error}"));
            let png = render_png(&chart, width, height)
                .unwrap_or_else(|error| panic!("{name}: PNG failed: {error}"));
            let file_name = format!("edge-{}-{width}x{height}.png", name.replace(' ', "-"));
            fs::write(example_dir().join(file_name), &png).expect("write PNG example");
            let image = Image::decode(&png);
            assert_eq!((image.width, image.height), (width, height), "{name}");
        }
    }
}

#[test]
fn invalid_size_is_rejected() {
    let chart = coverage_chart(false);
    for (width, height) in [(0, 0), (319, 540), (900, 239), (8193, 540)] {
        let result = render_png(&chart, width, height);
        assert!(
            matches!(result, Err(ChartError::InvalidSize { .. })),
            "{width}×{height} should be rejected"
        );
        let result = render_svg(&chart, width, height);
        assert!(
            matches!(result, Err(ChartError::InvalidSize { .. })),
            "{width}×{height} SVG"
        );
    }
}

#[test]
fn huge_range_is_rejected() {
    let chart = chart_with_series(
        vec![series(vec![
            band_point(0.0, -f64::MAX),
            band_point(1.0, f64::MAX),
        ])],
        YAxis::Count,
    );
    let result = render_svg(&chart, WIDTH, HEIGHT);
    assert!(
        matches!(result, Err(ChartError::RangeTooLarge { axis: "y", .. })),
        "{result:?}"
    );
}
