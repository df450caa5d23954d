//! The verification storage story, run on every backend: SQLite always;
//! PostgreSQL when `PHONEGUARD_TEST_POSTGRES_URL` is set. Same calls, same answers.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use phoneguard_core::verify::{
    Attempt, Channel, ConversionRow, Delivery, Resend, SendRecord, SendScope, Status, Verification,
};
use phoneguard_core::{Store, Tenant};

use crate::pg;

fn now_ms() -> DateTime<Utc> {
    Utc.timestamp_millis_opt(Utc::now().timestamp_millis())
        .unwrap()
}

fn attempt(seq: u32, supplier: &str, at: DateTime<Utc>, reference: &str) -> Attempt {
    Attempt {
        seq,
        channel: Channel::Sms,
        supplier: supplier.into(),
        sent_at: at,
        delivery: Delivery::Sent,
        message_ref: Some(reference.into()),
        carrier: "cmcc".into(),
    }
}

fn verification(id: &str, phone: &str, now: DateTime<Utc>) -> Verification {
    Verification {
        id: id.into(),
        tenant_id: "ten_v".into(),
        phone: phone.into(),
        country: "CN".into(),
        carrier: "cmcc".into(),
        purpose: "login".into(),
        terminal_key: format!("tk_{phone}"),
        channel: Channel::Sms,
        status: Status::Pending,
        code_hash: format!("h_{id}"),
        locale: "zh-CN".into(),
        code_length: 6,
        check_attempts: 0,
        max_check_attempts: 3,
        last_sent_at: now,
        expires_at: now + Duration::minutes(10),
        flash_window_ends_at: None,
        flash_prefix_hint: None,
        app_hash: Some("FA+9qCX9VSu".into()),
        created_at: now,
        updated_at: now,
        attempts: vec![attempt(1, "sms-a", now, &format!("ref_{id}"))],
    }
}

fn send(phone: &str, at: DateTime<Utc>) -> SendRecord {
    SendRecord {
        tenant_id: "ten_v".into(),
        at,
        phone: phone.into(),
        ip_hash: Some("ip_1".into()),
        country: "CN".into(),
        prefix: "CN:1380013".into(),
    }
}

/// Verifications, codes, checks, failover mappings, sends and callers.
async fn verify_story(store: Arc<dyn Store>) {
    let now = now_ms();
    let tenant = Tenant {
        id: "ten_v".into(),
        name: "verify".into(),
        created_at: now,
    };
    store.create_tenant(&tenant).await.unwrap();

    // Insert and read back, attempts and all; a newer start cancels the older.
    let first = verification("ver_1", "+8613800138000", now - Duration::seconds(30));
    store
        .insert_verification(&first, Some(&send(&first.phone, first.created_at)))
        .await
        .unwrap();
    assert_eq!(
        store.get_verification("ten_v", "ver_1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.get_verification("ten_x", "ver_1").await.unwrap(),
        None
    );
    let second = verification("ver_2", "+8613800138000", now);
    store
        .insert_verification(&second, Some(&send(&second.phone, now)))
        .await
        .unwrap();
    let older = store.get_verification("ten_v", "ver_1").await.unwrap();
    assert_eq!(older.map(|v| v.status), Some(Status::Canceled));
    let latest = store
        .latest_pending("ten_v", "+8613800138000", "login")
        .await
        .unwrap();
    assert_eq!(latest.map(|v| v.id), Some("ver_2".to_string()));

    // Resend: new code, one more attempt; refused once not pending.
    let resend = Resend {
        code_hash: "h_ver_2_b".into(),
        expires_at: now + Duration::minutes(20),
        flash_window_ends_at: None,
        flash_prefix_hint: None,
    };
    let a2 = attempt(2, "sms-b", now + Duration::seconds(1), "ref_ver_2_b");
    let s2 = send("+8613800138000", now + Duration::seconds(1));
    assert!(store.resend("ver_2", &resend, &a2, &s2).await.unwrap());
    assert!(!store.resend("ver_1", &resend, &a2, &s2).await.unwrap());
    let v2 = store
        .get_verification("ten_v", "ver_2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (v2.code_hash.as_str(), v2.attempts.len(), v2.expires_at),
        ("h_ver_2_b", 2, resend.expires_at)
    );
    assert_eq!(v2.attempts[1], a2);

    // Sends count per scope, with the oldest in the window.
    let since = now - Duration::minutes(5);
    let phone = SendScope::Phone("+8613800138000".into());
    let by_phone = store.count_sends("ten_v", &phone, since).await.unwrap();
    assert_eq!(
        (by_phone.count, by_phone.oldest),
        (3, Some(first.created_at))
    );
    for scope in [
        SendScope::Tenant,
        SendScope::Ip("ip_1".into()),
        SendScope::Country("CN".into()),
        SendScope::Prefix("CN:1380013".into()),
    ] {
        assert_eq!(
            store
                .count_sends("ten_v", &scope, since)
                .await
                .unwrap()
                .count,
            3,
            "{scope:?}"
        );
    }
    let later = now - Duration::seconds(10);
    assert_eq!(
        store
            .count_sends("ten_v", &phone, later)
            .await
            .unwrap()
            .count,
        2
    );
    assert_eq!(
        store
            .count_sends("ten_x", &phone, since)
            .await
            .unwrap()
            .count,
        0
    );

    // Every send since a time, oldest first, for seeding in-memory windows.
    let mut replay = vec![];
    let n = store
        .sends_since(since, &mut |r| replay.push(r))
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        replay.iter().map(|r| r.at).collect::<Vec<_>>(),
        vec![first.created_at, now, now + Duration::seconds(1)]
    );
    assert_eq!(replay[2], s2);
    assert_eq!(store.sends_since(later, &mut |_| ()).await.unwrap(), 2);

    // Wrong checks count up to the maximum, which ends the verification.
    let third = verification("ver_3", "+8613900139000", now);
    store.insert_verification(&third, None).await.unwrap();
    let counts = [
        store.count_wrong_check("ver_3", now).await.unwrap(),
        store.count_wrong_check("ver_3", now).await.unwrap(),
        store.count_wrong_check("ver_3", now).await.unwrap(),
        store.count_wrong_check("ver_3", now).await.unwrap(),
    ];
    assert_eq!(
        counts,
        [
            Some((1, Status::Pending)),
            Some((2, Status::Pending)),
            Some((3, Status::MaxAttemptsReached)),
            None
        ]
    );
    assert!(!store.approve("ver_3", "h_ver_3", now).await.unwrap());

    // Failover mappings: per terminal key, expiring, cleared by an approval.
    let key = "tk_+8613800138000";
    let day = now + Duration::hours(24);
    store
        .add_failover("ten_v", key, "sms-b", day, now)
        .await
        .unwrap();
    store
        .add_failover("ten_v", key, "sms-a", day, now)
        .await
        .unwrap();
    store
        .add_failover("ten_v", key, "sms-a", day, now)
        .await
        .unwrap();
    store
        .add_failover("ten_v", key, "sms-c", now - Duration::seconds(1), now)
        .await
        .unwrap();
    store
        .add_failover("ten_v", "tk_other", "sms-a", day, now)
        .await
        .unwrap();
    assert_eq!(
        store.failover_suppliers("ten_v", key, now).await.unwrap(),
        ["sms-a", "sms-b"],
        "expired mappings do not count; duplicates are one"
    );
    assert_eq!(
        store
            .last_attempt_of_terminal("ten_v", key, since)
            .await
            .unwrap()
            .map(|a| (a.supplier_id, a.entered)),
        Some(("sms-b".to_string(), false))
    );
    // A start's one read gives both: the phone's last unused send and the
    // terminal's last attempt; nothing at all is a row of NULLs.
    let (last_send, attempt) = store
        .start_history("ten_v", "+8613800138000", "login", key, since)
        .await
        .unwrap();
    assert!(last_send.is_some());
    assert_eq!(
        last_send,
        store
            .last_unused_send("ten_v", "+8613800138000", "login")
            .await
            .unwrap()
    );
    assert_eq!(
        attempt.map(|a| (a.supplier_id, a.entered)),
        Some(("sms-b".to_string(), false))
    );
    let (none_send, none_attempt) = store
        .start_history("ten_v", "+8613900000000", "login", "tk_none", since)
        .await
        .unwrap();
    assert!(none_send.is_none() && none_attempt.is_none());

    // Delivery receipts find their attempt by the supplier's reference.
    let target = store
        .record_delivery("sms-b", "ref_ver_2_b", Delivery::Failed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((target.terminal_key.as_str(), target.pending), (key, true));
    assert_eq!(
        store
            .record_delivery("sms-a", "ref_ver_2_b", Delivery::Failed)
            .await
            .unwrap(),
        None,
        "another supplier's reference is not this attempt"
    );

    // Approval: single-use, only with the current code, clears the mappings.
    assert!(!store.approve("ver_2", "h_ver_2", now).await.unwrap());
    assert!(store.approve("ver_2", "h_ver_2_b", now).await.unwrap());
    assert!(!store.approve("ver_2", "h_ver_2_b", now).await.unwrap());
    assert!(
        store
            .failover_suppliers("ten_v", key, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .failover_suppliers("ten_v", "tk_other", now)
            .await
            .unwrap(),
        ["sms-a"],
        "another terminal is not affected"
    );
    assert_eq!(
        store
            .last_attempt_of_terminal("ten_v", key, since)
            .await
            .unwrap()
            .map(|a| (a.supplier_id, a.entered)),
        Some(("sms-b".to_string(), true))
    );
    let mut conversion = store.conversion("cmcc", since, 100).await.unwrap();
    conversion.sort_by(|a, b| a.supplier_id.cmp(&b.supplier_id));
    assert_eq!(
        conversion,
        [
            ConversionRow {
                supplier_id: "sms-a".into(),
                sent: 3,
                entered: 0
            },
            ConversionRow {
                supplier_id: "sms-b".into(),
                sent: 1,
                entered: 1
            },
        ]
    );
    // Only the carrier's newest sends are counted: here the one to sms-b.
    assert_eq!(
        store.conversion("cmcc", since, 1).await.unwrap(),
        [ConversionRow {
            supplier_id: "sms-b".into(),
            sent: 1,
            entered: 1
        }]
    );

    // Transitions are conditional on the current status.
    assert!(
        !store
            .transition("ver_2", Status::Pending, Status::Expired, now)
            .await
            .unwrap()
    );
    assert!(
        store
            .transition("ver_3", Status::MaxAttemptsReached, Status::Failed, now)
            .await
            .unwrap()
    );

    concurrent_checks(&store, now).await;
    flash_callers(store.as_ref(), now).await;

    // Destination countries per tenant, cleared back to the default.
    assert_eq!(store.tenant_countries("ten_v").await.unwrap(), None);
    let list = vec!["CN".to_string(), "HK".to_string()];
    store
        .set_tenant_countries("ten_v", Some(&list))
        .await
        .unwrap();
    assert_eq!(store.tenant_countries("ten_v").await.unwrap(), Some(list));
    store.set_tenant_countries("ten_v", None).await.unwrap();
    assert_eq!(store.tenant_countries("ten_v").await.unwrap(), None);

    // Purge: old sends, expired mappings and reservations.
    let purged = store
        .purge_verify(now + Duration::minutes(1), now + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(
        purged,
        3 + 1 + 1,
        "3 sends, the other terminal's mapping, 1 caller"
    );
    assert_eq!(
        store
            .count_sends("ten_v", &SendScope::Tenant, since)
            .await
            .unwrap()
            .count,
        0
    );
}

/// Eight concurrent correct checks: exactly one approves.
async fn concurrent_checks(store: &Arc<dyn Store>, now: DateTime<Utc>) {
    let v = verification("ver_race", "+8613700137000", now);
    store.insert_verification(&v, None).await.unwrap();
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.approve("ver_race", "h_ver_race", now).await })
        })
        .collect();
    let mut wins = 0;
    for t in tries {
        wins += usize::from(t.await.unwrap().unwrap());
    }
    assert_eq!(wins, 1, "one winner among concurrent correct checks");
}

/// Flash-call callers: unique among the pending calls of a pool to one
/// tenant's phone (`phone_key`), free after the window or release.
async fn flash_callers(store: &dyn Store, now: DateTime<Utc>) {
    let until = now + Duration::seconds(60);
    let caller = "+8610000000001";
    let reserve = move |pool: &'static str, phone: &'static str, id: &'static str, until, now| {
        store.reserve_caller(pool, phone, caller, id, until, now)
    };
    assert!(
        reserve("pool", "phone_a", "ver_f1", until, now)
            .await
            .unwrap()
    );
    assert!(
        !reserve("pool", "phone_a", "ver_f2", until, now)
            .await
            .unwrap(),
        "held by a pending flash call to the same phone"
    );
    assert!(
        reserve("pool", "phone_b", "ver_f5", until, now)
            .await
            .unwrap(),
        "a call to another phone (or of another tenant) does not compete for it"
    );
    assert!(
        reserve("other", "phone_a", "ver_f2", until, now)
            .await
            .unwrap(),
        "another pool is separate"
    );
    assert!(
        reserve(
            "pool",
            "phone_a",
            "ver_f2",
            until + Duration::seconds(60),
            until
        )
        .await
        .unwrap(),
        "free once the window is over"
    );
    store.release_callers("ver_f2").await.unwrap();
    store.release_callers("ver_f5").await.unwrap();
    assert!(
        reserve("pool", "phone_a", "ver_f3", until, now)
            .await
            .unwrap(),
        "free once released"
    );
    store.release_callers("ver_f3").await.unwrap();
    // One reservation stays for the purge.
    assert!(
        store
            .reserve_caller("pool", "phone_a", "+8610000000002", "ver_f4", until, now)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_verification_storage_story_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("verify.db").display());
    verify_story(phoneguard_store::open(&url).await.unwrap()).await;
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn the_verification_storage_story_holds_on_postgres() {
    let server = pg::server();
    let db = pg::TestDb::create(&server, "verify").await;
    verify_story(phoneguard_store::open(&db.url).await.unwrap()).await;
}
