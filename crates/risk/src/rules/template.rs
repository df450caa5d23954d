//! Reason templates: text with `{feature_name}` placeholders.

use crate::features::{Feature, Features};

/// A compiled reason template, e.g. `"{ip_events_1h} registrations from
/// this IP in 1h"`. `{{` and `}}` write literal braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Feature),
}

impl Template {
    /// Compiles `source`; an error names the unknown feature or the
    /// unclosed brace.
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        while let Some(i) = rest.find(['{', '}']) {
            text.push_str(&rest[..i]);
            let tail = &rest[i..];
            if tail.starts_with("{{") || tail.starts_with("}}") {
                text.push_str(&tail[..1]);
                rest = &tail[2..];
                continue;
            }
            if tail.starts_with('}') {
                return Err("unmatched `}` (write `}}` for a brace)".into());
            }
            let end = tail
                .find('}')
                .ok_or("unclosed `{` (write `{{` for a brace)")?;
            let name = tail[1..end].trim();
            let feature =
                Feature::from_name(name).ok_or_else(|| format!("unknown feature `{{{name}}}`"))?;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Value(feature));
            rest = &tail[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// The text with each placeholder replaced by the feature's value.
    pub fn render(&self, features: &Features) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Value(f) => out.push_str(&features.get(*f).to_string()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_feature_values() {
        let mut f = Features::new();
        f.set(Feature::IpEvents1h, 23);
        f.set(Feature::UaFamily, "curl");
        let t = Template::parse("{ip_events_1h} events in 1h via {ua_family} {{literal}}").unwrap();
        assert_eq!(t.render(&f), "23 events in 1h via curl {literal}");
    }

    #[test]
    fn unknown_names_and_stray_braces_are_refused() {
        assert_eq!(
            Template::parse("{nope}"),
            Err("unknown feature `{nope}`".into())
        );
        assert!(Template::parse("open {ip_events_1h").is_err());
        assert!(Template::parse("close }").is_err());
    }
}
