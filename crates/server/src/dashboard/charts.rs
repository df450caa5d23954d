//! Charts drawn by `plotters` with its SVG backend, returned as inline SVG.

use plotters::prelude::*;

/// Width and height of every chart (the page scales it with CSS).
const SIZE: (u32, u32) = (760, 280);

/// Series colours, in order.
const COLOURS: &[RGBColor] = &[
    RGBColor(37, 99, 235),
    RGBColor(220, 38, 38),
    RGBColor(22, 163, 74),
    RGBColor(217, 119, 6),
    RGBColor(124, 58, 237),
    RGBColor(8, 145, 178),
    RGBColor(190, 24, 93),
];

/// One named series of values, one per x label.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Values, aligned with the chart's labels.
    pub values: Vec<f64>,
}

/// Text safe to put into the SVG (labels come from admin-chosen ids).
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '<' | '>' | '&' | '"' | '\''))
        .collect()
}

fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

fn y_max(series: &[Series]) -> f64 {
    let m = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max);
    if m <= 0.0 { 1.0 } else { m * 1.1 }
}

/// A line chart of `series` over the time buckets `labels`.
pub fn lines(caption: &str, labels: &[String], series: &[Series]) -> String {
    let mut svg = String::new();
    let drawn = draw_lines(&mut svg, caption, labels, series);
    finish(svg, drawn)
}

fn draw_lines(
    svg: &mut String,
    caption: &str,
    labels: &[String],
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = labels.len().max(2);
    let mut chart = ChartBuilder::on(&root)
        .caption(clean(caption), ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(56)
        .build_cartesian_2d(0..(n - 1), 0.0..y_max(series))?;
    chart
        .configure_mesh()
        .x_labels(6)
        .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
        .y_labels(5)
        .label_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let c = colour(i);
        chart
            .draw_series(LineSeries::new(
                s.values.iter().copied().enumerate(),
                c.stroke_width(2),
            ))?
            .label(clean(&s.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.8))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// A grouped bar chart: one group per category, one bar per series.
pub fn bars(caption: &str, categories: &[String], series: &[Series]) -> String {
    let mut svg = String::new();
    let drawn = draw_bars(&mut svg, caption, categories, series);
    finish(svg, drawn)
}

fn draw_bars(
    svg: &mut String,
    caption: &str,
    categories: &[String],
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = categories.len().max(1);
    let k = series.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(clean(caption), ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..n as f64, 0.0..y_max(series))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 1e-6 {
                categories.get(i).map(|c| clean(c)).unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_labels(5)
        .label_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (j, s) in series.iter().enumerate() {
        let c = colour(j);
        let width = 0.8 / k;
        chart
            .draw_series(s.values.iter().enumerate().map(|(i, v)| {
                let x0 = i as f64 + 0.1 + j as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width * 0.9, *v)], c.filled())
            }))?
            .label(clean(&s.name))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.8))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// The SVG, made scalable, or a note when drawing failed.
fn finish(svg: String, drawn: Result<(), Box<dyn std::error::Error>>) -> String {
    match drawn {
        Ok(()) => svg,
        Err(e) => {
            tracing::warn!(error = %e, "chart not drawn");
            String::from("<p class=\"muted\">chart unavailable</p>")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_chart_is_an_svg_with_the_series_names_and_no_markup_from_labels() {
        let labels: Vec<String> = (0..4).map(|i| format!("10:0{i}")).collect();
        let svg = lines(
            "calls",
            &labels,
            &[Series {
                name: "status<script>".into(),
                values: vec![1.0, 3.0, 2.0, 5.0],
            }],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("statusscript"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains("10:01"));
    }

    #[test]
    fn a_bar_chart_names_its_categories() {
        let svg = bars(
            "funnel",
            &["sms".into(), "voice".into()],
            &[Series {
                name: "started".into(),
                values: vec![4.0, 1.0],
            }],
        );
        assert!(svg.contains("<rect"));
        assert!(svg.contains("voice"));
    }
}
