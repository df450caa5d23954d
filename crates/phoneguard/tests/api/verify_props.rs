//! Property test of the verification state machine: random sequences of
//! checks (right and wrong), resends, reports and cancels against the real
//! service on SQLite, compared with a small model.

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

async fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let store = phoneguard_store::open(&format!("sqlite://{}", dir.path().join("p.db").display()))
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
    let mut cfg = phoneguard_core::config::VerifyConfig {
        resend_cooldown_s: 0,
        max_sends_per_phone: 1000,
        ..Default::default()
    };
    cfg.prefix_sends_per_hour = 1000;
    let svc = VerifyService::new(
        store,
        Arc::new(Fixed(Arc::new(vec![route]))),
        Arc::new(Outbox::new(10)),
        phoneguard_core::secrets::HashKey::new(vec![3u8; 32]),
        cfg.clone(),
        phoneguard_numbering::NumberTable::embedded(),
    );
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
            Op::Resend => svc.resend(&who, &id, None).await.map(|v| v.status),
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
