//! The `verify-pair` scenario: one verification started and checked, as an app
//! and its user do it against the sandbox suppliers: `POST /v1/verifications`
//! on one node, the code read from that node's sandbox outbox (standing in for
//! the phone), `POST /v1/verifications/{id}/check` on the next node of the list.

use anyhow::{Context, bail};
use reqwest::Client;
use serde_json::{Value, json};

/// The phone of pair `i` of a run: `139` and eight digits, offset by `seed` so
/// that runs in a row do not meet the per-phone send limit.
pub fn phone(seed: u64, i: u64) -> String {
    format!("139{:08}", (seed + i) % 100_000_000)
}

/// The code in a sandbox message text (the first run of 4 or more digits).
fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() >= 4)
        .map(str::to_string)
}

async fn send_json(req: reqwest::RequestBuilder, key: &str) -> anyhow::Result<(u16, Value)> {
    let r = req.bearer_auth(key).send().await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

/// Runs one pair: start on `start_base`, check on `check_base`. `Ok` only when
/// the check approved.
pub async fn pair(
    client: &Client,
    start_base: &str,
    check_base: &str,
    key: &str,
    phone: &str,
) -> anyhow::Result<()> {
    let (st, v) = send_json(
        client
            .post(format!("{start_base}/v1/verifications"))
            .json(&json!({"phone": phone, "channel": "sms", "purpose": "login"})),
        key,
    )
    .await?;
    if st != 201 {
        bail!("start answered {st}: {v}");
    }
    let id = v["id"].as_str().context("start answered no id")?;
    let (st, m) = send_json(
        client.get(format!("{start_base}/v1/sandbox/messages?phone={phone}")),
        key,
    )
    .await?;
    let code = m["messages"][0]["text"]
        .as_str()
        .and_then(code_in)
        .with_context(|| format!("no code in the outbox ({st})"))?;
    let (st, v) = send_json(
        client
            .post(format!("{check_base}/v1/verifications/{id}/check"))
            .json(&json!({"code": code})),
        key,
    )
    .await?;
    if st != 200 || v["status"] != "approved" {
        bail!("check answered {st}: {v}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{code_in, phone};

    #[test]
    fn phones_are_distinct_per_pair_and_codes_are_found_in_texts() {
        assert_eq!(phone(7, 0), "13900000007");
        assert_ne!(phone(7, 1), phone(7, 2));
        assert_eq!(
            code_in("【phoneguard】123456 is your code (10 min)").as_deref(),
            Some("123456")
        );
        assert_eq!(code_in("valid for 10 min"), None);
    }
}
