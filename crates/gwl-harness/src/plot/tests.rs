use super::*;
use crate::spec::FigureFormat;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 1000, "{} is too small", path.display());
    assert!(
        bytes.starts_with(PNG_MAGIC),
        "{} is not a PNG",
        path.display()
    );
}

fn assert_svg(path: &Path, must_contain: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with("<svg") || text.starts_with("<?xml"),
        "{}",
        path.display()
    );
    assert!(text.trim_end().ends_with("</svg>"), "{}", path.display());
    assert!(
        text.contains(must_contain),
        "{} lacks `{must_contain}`",
        path.display()
    );
}

const BOTH: [FigureFormat; 2] = [FigureFormat::Png, FigureFormat::Svg];

#[test]
fn line_chart_with_bands_on_log_axes_renders_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let x: Vec<f64> = (1..=20).map(|i| 1000.0 * i as f64).collect();
    let curve = |name: &str, k: f64| Curve {
        name: name.into(),
        x: x.clone(),
        y: x.iter().map(|e| k / e.sqrt()).collect(),
        spread: Some(x.iter().map(|e| 2.0 * k / e.sqrt()).collect()),
    };
    let chart = LineChart {
        title: "error against evaluations".into(),
        x_label: "evaluations".into(),
        y_label: "mean |ln g error|".into(),
        x_scale: Scale::Log10,
        y_scale: Scale::Log10,
        curves: vec![curve("wl", 10.0), curve("gwl", 4.0)],
        guides: vec![0.1, 0.05],
    };
    let files = render(&chart, &dir.path().join("err"), &BOTH, FIGURE_SIZE).unwrap();
    assert_eq!(files.len(), 2);
    assert_png(&files[0]);
    assert_svg(&files[1], "gwl");
}

#[test]
fn line_chart_refuses_curves_of_unequal_length() {
    let dir = tempfile::tempdir().unwrap();
    let chart = LineChart {
        curves: vec![Curve {
            name: "a".into(),
            x: vec![1.0, 2.0],
            y: vec![1.0],
            spread: None,
        }],
        ..LineChart::default()
    };
    let err = render(&chart, &dir.path().join("x"), &BOTH, FIGURE_SIZE).unwrap_err();
    assert!(err.to_string().contains("curve `a`"), "{err}");
}

#[test]
fn density_chart_with_overlay_renders_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let truth: Vec<(f64, f64)> = (-10..=10)
        .map(|b| (b as f64 + 0.5, -0.02 * (b * b) as f64))
        .collect();
    // A gap in the estimate: the line must break there, not bridge it.
    let estimate: Vec<(f64, f64)> = truth
        .iter()
        .filter(|p| p.0.abs() > 2.0)
        .map(|&(x, y)| (x, y + 0.1))
        .collect();
    let logits: Vec<f64> = (0..500).map(|i| -8.0 + 0.03 * i as f64).collect();
    let chart = DensityChart {
        title: "cnn-5".into(),
        x_label: String::new(),
        series: vec![
            DensitySeries {
                name: "gwl".into(),
                points: estimate,
                reference: false,
            },
            DensitySeries {
                name: "enumeration".into(),
                points: truth,
                reference: true,
            },
        ],
        overlay: Some(Histogram::from_values("test set", &logits, 1.0)),
        guides: vec![0.0],
    };
    let files = render(&chart, &dir.path().join("density"), &BOTH, FIGURE_SIZE).unwrap();
    assert_png(&files[0]);
    assert_svg(&files[1], "enumeration");
}

#[test]
fn histogram_bins_align_to_multiples_of_the_width() {
    let h = Histogram::from_values("t", &[-1.5, -1.2, 0.1, 2.9, f64::NAN], 1.0);
    assert_eq!(h.start, -2.0);
    assert_eq!(h.counts, vec![2, 0, 1, 0, 1]);
}

#[test]
fn gaps_split_lines_into_segments() {
    let pts = [(0.5, 1.0), (1.5, 1.0), (4.5, 1.0), (5.5, 1.0)];
    let segments = split_at_gaps(&pts);
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[1], vec![(4.5, 1.0), (5.5, 1.0)]);
}

#[test]
fn image_grid_renders_a_png_of_the_expected_size() {
    let dir = tempfile::tempdir().unwrap();
    let image = |k: usize| {
        (0..25)
            .map(|i| u8::from(i % (k + 2) == 0))
            .collect::<Vec<u8>>()
    };
    let grid = ImageGrid {
        title: "cnn-5: inputs per logit bin".into(),
        height: 5,
        width: 5,
        scale: 6,
        rows: (0..3)
            .map(|r| GridRow {
                label: format!("logit {r}..{}", r + 1),
                images: (0..4).map(image).collect(),
            })
            .collect(),
    };
    let path = dir.path().join("grid.png");
    grid.render(&path).unwrap();
    assert_png(&path);
    let bytes = std::fs::read(&path).unwrap();
    let (w, h) = grid.size();
    // PNG IHDR: width and height as big-endian u32 at bytes 16..24.
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), w);
    assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), h);
}

#[test]
fn image_grid_refuses_images_of_the_wrong_size() {
    let grid = ImageGrid {
        title: "g".into(),
        height: 2,
        width: 2,
        scale: 1,
        rows: vec![GridRow {
            label: "r".into(),
            images: vec![vec![1, 0, 1]],
        }],
    };
    let dir = tempfile::tempdir().unwrap();
    assert!(grid.render(&dir.path().join("g.png")).is_err());
}

#[test]
fn log_axes_drop_values_they_cannot_show() {
    assert_eq!(Scale::Log10.to_axis(0.0), None);
    assert_eq!(Scale::Log10.to_axis(100.0), Some(2.0));
    let r = Scale::Log10.range_from_axis(1.0..3.0);
    assert!((r.start - 10.0).abs() < 1e-9 && (r.end - 1000.0).abs() < 1e-9);
}

#[test]
fn ticks_at_rounding_noise_read_as_zero() {
    assert_eq!(tick_label(-2.220446e-16, 2.0), "0");
    assert_eq!(tick_label(-0.2, 2.0), "-0.2");
}

#[test]
fn thinning_keeps_the_first_and_last_rows() {
    let rows = (0..10)
        .map(|i| GridRow {
            label: i.to_string(),
            images: Vec::new(),
        })
        .collect();
    let grid = ImageGrid {
        rows,
        ..ImageGrid::default()
    }
    .thinned(4);
    let labels: Vec<&str> = grid.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, vec!["0", "3", "6", "9"]);
}
