//! Reading the signal document: validation, the fingerprint and its
//! strength, and what the signals say of the client.

use super::model::{DeviceError, DeviceSignals, SignalDoc};

/// Largest accepted signal document.
pub const MAX_DOC_BYTES: usize = 8 * 1024;

fn invalid(field: &'static str, message: impl Into<String>) -> DeviceError {
    DeviceError::Invalid(field, format!("{field}: {}", message.into()))
}

fn text(field: &'static str, value: &Option<String>, max: usize) -> Result<(), DeviceError> {
    match value {
        Some(v) if v.chars().count() > max => {
            Err(invalid(field, format!("must be at most {max} characters")))
        }
        Some(v) if v.chars().any(char::is_control) => {
            Err(invalid(field, "must not contain control characters"))
        }
        _ => Ok(()),
    }
}

fn list(field: &'static str, value: &Option<Vec<String>>, items: usize) -> Result<(), DeviceError> {
    let Some(v) = value else { return Ok(()) };
    if v.len() > items {
        return Err(invalid(field, format!("must have at most {items} entries")));
    }
    for item in v {
        text(field, &Some(item.clone()), 64)?;
    }
    Ok(())
}

fn range(field: &'static str, value: Option<u32>, max: u32) -> Result<(), DeviceError> {
    match value {
        Some(v) if v > max => Err(invalid(field, format!("must be from 0 to {max}"))),
        _ => Ok(()),
    }
}

/// Checks every field's bounds; the error names the first bad one.
pub fn validate(doc: &SignalDoc) -> Result<(), DeviceError> {
    text("user_agent", &doc.user_agent, 1024)?;
    text("platform", &doc.platform, 64)?;
    list("languages", &doc.languages, 16)?;
    text("timezone", &doc.timezone, 64)?;
    if let Some(s) = &doc.screen {
        range("screen.width", s.width, 100_000)?;
        range("screen.height", s.height, 100_000)?;
        range("screen.color_depth", s.color_depth, 64)?;
    }
    range("hardware_concurrency", doc.hardware_concurrency, 4096)?;
    if let Some(m) = doc.device_memory
        && !(m.is_finite() && (0.0..=4096.0).contains(&m))
    {
        return Err(invalid("device_memory", "must be GiB, from 0 to 4096"));
    }
    range("touch_points", doc.touch_points, 256)?;
    text("canvas_hash", &doc.canvas_hash, 128)?;
    text("webgl_renderer", &doc.webgl_renderer, 256)?;
    if let Some(id) = &doc.device_id
        && !crate::ids::is_valid_id("dev", id)
    {
        return Err(invalid(
            "device_id",
            "must be a device id phoneguard issued (dev_ and 32 hex digits)",
        ));
    }
    if let Some(h) = &doc.client_hints {
        list("client_hints.brands", &h.brands, 16)?;
        text("client_hints.platform", &h.platform, 64)?;
    }
    text("android_id", &doc.android_id, 64)?;
    text("idfv", &doc.idfv, 64)?;
    text("model", &doc.model, 128)?;
    text("os_version", &doc.os_version, 64)?;
    Ok(())
}

/// Points each present fingerprint field adds to the fingerprint's strength;
/// a stored device is matched back by fingerprint only from
/// [`super::MIN_MATCH_SCORE`] points on.
const WEIGHTS: &[(&str, u32)] = &[
    ("android_id", 8),
    ("idfv", 8),
    ("canvas_hash", 4),
    ("webgl_renderer", 3),
    ("user_agent", 2),
    ("screen", 2),
    ("timezone", 1),
    ("languages", 1),
    ("platform", 1),
    ("hardware_concurrency", 1),
    ("device_memory", 1),
    ("touch_points", 1),
    ("model", 1),
    ("os_version", 1),
];

/// The stable fields of the document in one canonical string (the stored id,
/// `webdriver` and storage are not part of it), with the strength of the
/// fingerprint they make.
pub fn canonical(doc: &SignalDoc) -> (String, u32) {
    let screen = doc.screen.as_ref().map(|s| {
        format!(
            "{}x{}x{}",
            s.width.unwrap_or(0),
            s.height.unwrap_or(0),
            s.color_depth.unwrap_or(0)
        )
    });
    let parts: [(&str, Option<String>); 14] = [
        ("android_id", doc.android_id.clone()),
        ("idfv", doc.idfv.clone()),
        ("canvas_hash", doc.canvas_hash.clone()),
        ("webgl_renderer", doc.webgl_renderer.clone()),
        ("user_agent", doc.user_agent.clone()),
        ("screen", screen),
        ("timezone", doc.timezone.clone()),
        ("languages", doc.languages.as_ref().map(|l| l.join(","))),
        ("platform", doc.platform.clone()),
        (
            "hardware_concurrency",
            doc.hardware_concurrency.map(|v| v.to_string()),
        ),
        ("device_memory", doc.device_memory.map(|v| v.to_string())),
        ("touch_points", doc.touch_points.map(|v| v.to_string())),
        ("model", doc.model.clone()),
        ("os_version", doc.os_version.clone()),
    ];
    let mut out = String::with_capacity(512);
    let mut score = 0;
    for (name, value) in parts {
        let value = value.filter(|v| !v.is_empty());
        if value.is_some() {
            score += WEIGHTS
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0, |(_, w)| *w);
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value.as_deref().unwrap_or(""));
        out.push('\u{1f}');
    }
    (out, score)
}

/// The strength of the document's fingerprint (see [`canonical`]).
pub fn fingerprint_score(doc: &SignalDoc) -> u32 {
    canonical(doc).1
}

const EMULATOR_MARKERS: &[&str] = &[
    "sdk_gphone",
    "generic_x86",
    "emulator",
    "android sdk built for",
    "genymotion",
    "bluestacks",
    "nox",
    "ldplayer",
    "simulator",
];

fn os_of(s: &str) -> Option<&'static str> {
    let s = s.to_ascii_lowercase();
    if s.contains("android") {
        Some("android")
    } else if s.contains("iphone") || s.contains("ipad") || s.contains("ios") {
        Some("ios")
    } else if s.contains("win") {
        Some("windows")
    } else if s.contains("mac") {
        Some("mac")
    } else if s.contains("cros") || s.contains("chrome os") {
        Some("chromeos")
    } else if s.contains("linux") {
        Some("linux")
    } else {
        None
    }
}

/// What the signals say; `unknown_stored_id`: the document carried an id
/// this tenant never issued.
pub fn read_signals(doc: &SignalDoc, unknown_stored_id: bool) -> DeviceSignals {
    let ua = doc.user_agent.as_deref().unwrap_or("");
    let ua_lower = ua.to_ascii_lowercase();
    let brands: Vec<String> = doc
        .client_hints
        .as_ref()
        .and_then(|h| h.brands.clone())
        .unwrap_or_default()
        .iter()
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let webdriver = doc.webdriver == Some(true);
    let renderer = doc
        .webgl_renderer
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let software_gl = renderer.contains("swiftshader") || renderer.contains("llvmpipe");
    let headless = webdriver
        || ua_lower.contains("headless")
        || ua_lower.contains("phantomjs")
        || brands.iter().any(|b| b.contains("headless"))
        || software_gl;
    let model = doc.model.as_deref().unwrap_or("").to_ascii_lowercase();
    let emulator = doc.emulator == Some(true)
        || EMULATOR_MARKERS
            .iter()
            .any(|m| model.contains(m) || ua_lower.contains(m));
    // Contradictions a real browser does not show.
    let ua_os = os_of(ua);
    let platform_os = doc.platform.as_deref().and_then(os_of);
    let hints_os = doc
        .client_hints
        .as_ref()
        .and_then(|h| h.platform.as_deref())
        .and_then(os_of);
    let differs = |other: Option<&str>| {
        matches!((ua_os, other), (Some(a), Some(b)) if a != b
        // iPads present themselves as Macs; Android's platform is Linux.
        && !(a == "ios" && b == "mac") && !(a == "android" && b == "linux"))
    };
    let chromium_ua = ua_lower.contains("chrome/") && !ua_lower.contains("edg/");
    let hints_not_chromium =
        !brands.is_empty() && chromium_ua && !brands.iter().any(|b| b.contains("chrom"));
    let mobile_without_touch = (ua_lower.contains("iphone") || ua_lower.contains("android"))
        && doc.touch_points == Some(0);
    let tampering = unknown_stored_id
        || differs(platform_os)
        || differs(hints_os)
        || hints_not_chromium
        || mobile_without_touch;
    DeviceSignals {
        headless,
        webdriver,
        emulator,
        rooted: doc.rooted == Some(true),
        tampering,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome() -> SignalDoc {
        SignalDoc {
            user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into()),
            platform: Some("Win32".into()),
            canvas_hash: Some("ab12".into()),
            webgl_renderer: Some("ANGLE (NVIDIA GeForce RTX 3060)".into()),
            webdriver: Some(false),
            ..SignalDoc::default()
        }
    }

    #[test]
    fn a_plain_browser_has_no_signals() {
        assert_eq!(read_signals(&chrome(), false), DeviceSignals::default());
    }

    #[test]
    fn webdriver_and_software_gl_are_headless_whatever_the_ua() {
        let mut d = chrome();
        d.webdriver = Some(true);
        assert!(read_signals(&d, false).headless);
        let mut d = chrome();
        d.webgl_renderer = Some("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device))".into());
        assert!(read_signals(&d, false).headless);
    }

    #[test]
    fn a_ua_contradicting_the_platform_is_tampering() {
        let mut d = chrome();
        d.platform = Some("Linux x86_64".into());
        assert!(read_signals(&d, false).tampering);
        assert!(read_signals(&chrome(), true).tampering);
    }

    #[test]
    fn the_fingerprint_ignores_the_stored_id_and_scores_fields() {
        let mut a = chrome();
        let (fa, score) = canonical(&a);
        a.device_id = Some("dev_0".into());
        a.webdriver = Some(true);
        assert_eq!(canonical(&a).0, fa);
        assert_eq!(score, 4 + 3 + 2 + 1);
        assert_eq!(fingerprint_score(&SignalDoc::default()), 0);
    }
}
