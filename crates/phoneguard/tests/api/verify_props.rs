//! Property test of the verification state machine: random sequences of
//! checks (right and wrong), resends, reports and cancels against the real
//! service on SQLite, compared with a small model; and the start-up replay of
//! recorded sends into a single node's send windows when the stream breaks.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use phoneguard_core::suppliers::{SupplierConfig, SupplierError};
use phoneguard_core::tenants::Principal;
use phoneguard_core::verify::*;
use phoneguard_core::{KeyMode, Tenant};
use proptest::prelude::*;

/// Keeps the last code sent.
struct Capture(Mutex<String>);

#[async_trait]
impl MessageSender for Capture {
    async fn send(&self, m: &Outbound) -> Result<Accepted, SupplierError> {
        *self.0.lock().unwrap() = m.code.clone();
        Ok(Accepted::default())
    }
}

struct Fixed(Arc<Vec<Arc<MessagingRoute>>>);

#[async_trait]
impl MessagingDirectory for Fixed {
    async fn routes(&self) -> Result<Arc<Vec<Arc<MessagingRoute>>>, SupplierError> {
        Ok(self.0.clone())
    }
}

#[derive(Debug, Clone)]
enum Op {
    Right,
    Wrong,
    Resend,
    Report,
    Cancel,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![1 => Just(Op::Right), 3 => Just(Op::Wrong), 1 => Just(Op::Resend), 1 => Just(Op::Report), 1 => Just(Op::Cancel)]
}

/// A SQLite store at `path` with the tenant `ten_p`.
async fn store_at(path: &std::path::Path) -> Arc<dyn phoneguard_core::Store> {
    let store = phoneguard_store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store
        .create_tenant(&Tenant {
            id: "ten_p".into(),
            name: "p".into(),
            created_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    store
}

/// The real service on `store` with one supplier that keeps the last code.
fn in_process(
    store: Arc<dyn phoneguard_core::Store>,
    cfg: &phoneguard_core::verify::VerifyConfig,
) -> (VerifyService, Arc<Capture>) {
    let capture = Arc::new(Capture(Mutex::new(String::new())));
    let config: SupplierConfig = serde_json::from_value(
        serde_json::json!({"id": "sms-a", "kind": "sandbox", "capabilities": ["sms"]}),
    )
    .unwrap();
    let route = Arc::new(MessagingRoute {
        config,
        caller_pool: vec![],
        receipt_token: None,
        sender: capture.clone(),
    });
    let svc = VerifyService::new(
        store,
        Arc::new(Fixed(Arc::new(vec![route]))),
        Arc::new(Outbox::new(10)),
        phoneguard_core::secrets::HashKey::new(vec![3u8; 32]),
        cfg.clone(),
        phoneguard_numbering::NumberTable::embedded(),
    );
    (svc, capture)
}

async fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(&dir.path().join("p.db")).await;
    let mut cfg = phoneguard_core::verify::VerifyConfig {
        resend_cooldown_s: 0,
        max_sends_per_phone: 1000,
        ..Default::default()
    };
    cfg.prefix_sends_per_hour = 1000;
    let (svc, capture) = in_process(store, &cfg);
    let who = Principal {
        tenant_id: "ten_p".into(),
        key_id: "key_p".into(),
        mode: KeyMode::Test,
    };
    let req = StartRequest {
        phone: "13800138000".into(),
        purpose: "login".into(),
        ..Default::default()
    };
    let id = svc.start(&who, req).await.unwrap().id;
    let (mut status, mut wrong) = (Status::Pending, 0u32);
    for op in ops {
        let code = capture.0.lock().unwrap().clone();
        let bad = if code.starts_with('0') {
            "111111"
        } else {
            "000000"
        };
        let res = match op {
            Op::Right => svc.check(&who, &id, &code).await.map(|o| o.status),
            Op::Wrong => svc.check(&who, &id, bad).await.map(|o| o.status),
            Op::Report => svc
                .report(&who, &id, &["+8610999".into()])
                .await
                .map(|o| o.status),
            Op::Resend => svc.resend(&who, &id, None, None).await.map(|v| v.status),
            Op::Cancel => svc.cancel(&who, &id).await.map(|v| v.status),
        };
        if status != Status::Pending {
            let e = res.expect_err("a closed verification refuses everything");
            assert!(
                matches!(
                    e,
                    VerifyError::Closed(_)
                        | VerifyError::MaxAttempts
                        | VerifyError::Expired
                        | VerifyError::Invalid { .. }
                ),
                "{e:?}"
            );
            continue;
        }
        match op {
            Op::Right => assert_eq!(res.unwrap(), Status::Approved),
            Op::Cancel => assert_eq!(res.unwrap(), Status::Canceled),
            Op::Resend => assert_eq!(res.unwrap(), Status::Pending),
            Op::Report => assert!(matches!(res, Err(VerifyError::Invalid { .. }))),
            Op::Wrong => {
                wrong += 1;
                if wrong >= cfg.max_check_attempts {
                    assert!(matches!(res, Err(VerifyError::MaxAttempts)), "{res:?}");
                } else {
                    assert_eq!(res.unwrap(), Status::Pending);
                }
            }
        }
        status = match op {
            Op::Right => Status::Approved,
            Op::Cancel => Status::Canceled,
            Op::Wrong if wrong >= cfg.max_check_attempts => Status::MaxAttemptsReached,
            _ => Status::Pending,
        };
        assert_eq!(svc.get(&who, &id).await.unwrap().status, status);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn the_state_machine_matches_its_model(ops in proptest::collection::vec(op(), 1..14)) {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run(ops));
    }
}

fn who() -> Principal {
    Principal {
        tenant_id: "ten_p".into(),
        key_id: "key_p".into(),
        mode: KeyMode::Test,
    }
}

async fn start_for(svc: &VerifyService, phone: &str) -> Result<Verification, VerifyError> {
    let req = StartRequest {
        phone: phone.into(),
        purpose: "login".into(),
        ..Default::default()
    };
    svc.start(&who(), req).await
}

/// A replay whose row stream breaks half-way leaves the windows empty, so the
/// retry that follows counts every recorded send once: a node that counted
/// them twice would refuse sends the limit still allows.
#[tokio::test]
async fn a_replay_that_breaks_half_way_counts_each_send_once_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replay.db");
    let store = store_at(&path).await;
    let cfg = phoneguard_core::verify::VerifyConfig {
        resend_cooldown_s: 0,
        max_sends_per_phone: 3,
        ..Default::default()
    };
    // Two sends recorded by a node counting in the database.
    let (before, _) = in_process(store.clone(), &cfg);
    for _ in 0..2 {
        start_for(&before, "13800138000").await.unwrap();
    }
    // A later row the stream cannot decode (a phone stored as a blob): the
    // two good rows are replayed before the stream fails on it.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let later = chrono::Utc::now().timestamp_millis() + 1;
    sqlx::query(
        "INSERT INTO verify_sends (tenant_id, at, phone, ip_hash, country, prefix) \
         VALUES ('ten_p', ?, X'FF00', NULL, 'CN', 'CN:1390013')",
    )
    .bind(later)
    .execute(&raw)
    .await
    .unwrap();

    let windows = Arc::new(SendWindows::unseeded());
    let (after, _) = in_process(store, &cfg);
    let after = after.with_admission(windows.clone());
    let now = chrono::Utc::now() + chrono::Duration::milliseconds(5);
    let broken = after.seed_send_windows(&windows, now).await;
    assert!(
        broken.is_err(),
        "the undecodable row fails the replay: {broken:?}"
    );

    sqlx::query("DELETE FROM verify_sends WHERE at = ?")
        .bind(later)
        .execute(&raw)
        .await
        .unwrap();
    let replayed = after.seed_send_windows(&windows, now).await.unwrap();
    assert_eq!(replayed, 2);
    windows.mark_seeded();

    // Two of three sends used: one more is allowed, the fourth is refused.
    start_for(&after, "13800138000")
        .await
        .expect("the third send is within the limit of 3");
    match start_for(&after, "13800138000").await {
        Err(VerifyError::RateLimited { limit, .. }) => assert_eq!(limit, "phone"),
        other => panic!("the fourth send passes the limit of 3: {other:?}"),
    }
}
