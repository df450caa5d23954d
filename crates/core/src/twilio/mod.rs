//! Twilio Verify v2 and Lookup v2 compatibility: Twilio-style identifiers
//! (`AC…`, `SK…`, `VA…`, `VE…`) and Verify services.
//!
//! Every Twilio sid here is the 32 hex digits of a phoneguard id under
//! another prefix: `ten_<hex>` is `AC<hex>`, `key_<hex>` is `SK<hex>`,
//! `ver_<hex>` is `VE<hex>`. They are stable (the id is), unique, and need
//! no lookup table. A Verify service (`VA<hex>`) is stored
//! ([`TwilioStore`]); a Twilio-path verification is a `/v1` verification
//! whose purpose is its service's sid.
//!
//! - [`model`] holds [`VerifyServiceRecord`], [`port`] the [`TwilioStore`].
//! - [`service`]: [`TwilioServices`] (validation; a per-node cache of the
//!   services read, 30 s, which every Twilio-path start and check and the
//!   message texts' app names use: a change through another node shows
//!   within that time, one through this node at once).

pub mod model;
pub mod port;
pub mod service;

pub use model::{ServiceInput, VerifyServiceRecord};
pub use port::TwilioStore;
pub use service::TwilioServices;

/// `AC`, `SK`, `VE`, `VA` + 32 lowercase hex for a phoneguard id
/// `<prefix>_<32 hex>`; `None` when `id` does not have that form.
pub fn sid_of(sid_prefix: &str, id: &str) -> Option<String> {
    let (_, hex) = id.split_once('_')?;
    is_hex32(hex).then(|| format!("{sid_prefix}{hex}"))
}

/// The phoneguard id `<id_prefix>_<hex>` of a sid `<sid_prefix><hex>`;
/// `None` when the sid is malformed.
pub fn id_of(sid: &str, sid_prefix: &str, id_prefix: &str) -> Option<String> {
    let hex = sid.strip_prefix(sid_prefix)?;
    is_hex32(hex).then(|| format!("{id_prefix}_{hex}"))
}

/// Whether `sid` is `<prefix>` + 32 lowercase hex.
pub fn is_sid(sid: &str, prefix: &str) -> bool {
    sid.strip_prefix(prefix).is_some_and(is_hex32)
}

fn is_hex32(hex: &str) -> bool {
    hex.len() == 32
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A tenant's account sid: `AC` + the 32 hex digits of its id.
pub fn account_sid(tenant_id: &str) -> String {
    sid_of("AC", tenant_id).unwrap_or_default()
}

/// An API key's sid: `SK` + the 32 hex digits of its id.
pub fn key_sid(key_id: &str) -> String {
    sid_of("SK", key_id).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_map_ids_both_ways_and_refuse_malformed_ones() {
        let id = crate::ids::new_id("ten");
        let sid = account_sid(&id);
        assert!(is_sid(&sid, "AC") && sid.len() == 34);
        assert_eq!(id_of(&sid, "AC", "ten").as_deref(), Some(id.as_str()));
        assert_eq!(account_sid(&id), sid, "stable");
        for bad in [
            "",
            "AC",
            "ACxyz",
            "AC0196F6D1C3A47B6E8F5C2D1A9B3E7F40",
            "SK0196f6d1c3a47b6e8f5c2d1a9b3e7f40",
        ] {
            assert_eq!(id_of(bad, "AC", "ten"), None, "{bad}");
        }
        assert_eq!(sid_of("AC", "ten_short"), None);
    }
}
