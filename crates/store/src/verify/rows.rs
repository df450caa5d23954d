//! Rows of the verification tables and their conversion to [`Verification`]
//! and [`SendRecord`].

use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{
    Attempt, Channel, CodeHasher, Delivery, Resend, SendRecord, Status, TerminalAttempt,
    Verification,
};
use rusqlite::OptionalExtension;

use crate::sql::from_ms;

/// The columns of `verifications`, in the order of [`VRow`].
macro_rules! v_columns {
    () => {
        "id, tenant_id, phone, country, carrier, purpose, terminal_key, channel, status, code_hash, \
         locale, code_length, check_attempts, max_check_attempts, last_sent_at, expires_at, flash_window_ends_at, \
         flash_prefix_hint, app_hash, created_at, updated_at"
    };
}
pub(crate) use v_columns;

/// Sends of a tenant in one scope since a time: count and oldest.
macro_rules! count_sends_by {
    ($column:literal) => {
        concat!(
            "SELECT COUNT(*), MIN(at) FROM verify_sends WHERE tenant_id = $1 AND ",
            $column,
            " = $2 AND at > $3"
        )
    };
}
pub(crate) use count_sends_by;

/// Binds a new verification's columns to the query `$q`, in the order of
/// [`v_columns!`]; `$int` stores a `u32` as the backend's INTEGER (`to_ms`
/// must be in scope).
macro_rules! bind_verification {
    ($q:expr, $v:expr, $int:expr) => {
        $q.bind(&$v.id)
            .bind(&$v.tenant_id)
            .bind(&$v.phone)
            .bind(&$v.country)
            .bind(&$v.carrier)
            .bind(&$v.purpose)
            .bind(&$v.terminal_key)
            .bind($v.channel.as_str())
            .bind($v.status.as_str())
            .bind(&$v.code_hash)
            .bind(&$v.locale)
            .bind($int($v.code_length))
            .bind($int($v.check_attempts))
            .bind($int($v.max_check_attempts))
            .bind(to_ms($v.last_sent_at))
            .bind(to_ms($v.expires_at))
            .bind($v.flash_window_ends_at.map(to_ms))
            .bind(&$v.flash_prefix_hint)
            .bind(&$v.app_hash)
            .bind(to_ms($v.created_at))
            .bind(to_ms($v.updated_at))
    };
}
pub(crate) use bind_verification;

/// The columns of a new `verify_attempts` row, in the order of
/// [`bind_attempt!`] (`entered` as [`entered_at_once`] says).
macro_rules! attempt_columns {
    () => {
        "verification_id, seq, tenant_id, terminal_key, channel, supplier_id, carrier, sent_at, \
         delivery, message_ref, entered"
    };
}
pub(crate) use attempt_columns;

/// Binds attempt `$a` of verification `$v_id` (tenant `$tenant`, terminal
/// `$key`) to the query `$q`, in the order of [`attempt_columns!`]; `$int` as
/// in [`bind_verification!`].
macro_rules! bind_attempt {
    ($q:expr, $v_id:expr, $tenant:expr, $key:expr, $a:expr, $int:expr) => {
        $q.bind($v_id)
            .bind($int($a.seq))
            .bind($tenant)
            .bind($key)
            .bind($a.channel.as_str())
            .bind(&$a.supplier)
            .bind(&$a.carrier)
            .bind(to_ms($a.sent_at))
            .bind($a.delivery.as_str())
            .bind(&$a.message_ref)
            .bind($int(u32::from($crate::verify::rows::entered_at_once(&$a))))
    };
}
pub(crate) use bind_attempt;

/// Whether an attempt counts as converted when it is written: a carrier pass
/// approved the verification with no code to enter, so it is its conversion
/// (a code is marked entered later, by the check).
pub(crate) fn entered_at_once(a: &Attempt) -> bool {
    a.channel == Channel::Carrier && a.delivery == Delivery::Delivered
}

/// Binds send record `$s` to the query `$q`, in the order of
/// [`send_columns!`].
macro_rules! bind_send {
    ($q:expr, $s:expr) => {
        $q.bind(&$s.tenant_id)
            .bind(to_ms($s.at))
            .bind(&$s.phone)
            .bind(&$s.ip_hash)
            .bind(&$s.country)
            .bind(&$s.prefix)
    };
}
pub(crate) use bind_send;

/// A `verifications` row.
#[derive(sqlx::FromRow)]
pub(crate) struct VRow {
    pub id: String,
    pub tenant_id: String,
    pub phone: String,
    pub country: String,
    pub carrier: String,
    pub purpose: String,
    pub terminal_key: String,
    pub channel: String,
    pub status: String,
    pub code_hash: String,
    pub locale: String,
    pub code_length: i32,
    pub check_attempts: i32,
    pub max_check_attempts: i32,
    pub last_sent_at: i64,
    pub expires_at: i64,
    pub flash_window_ends_at: Option<i64>,
    pub flash_prefix_hint: Option<String>,
    pub app_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A `verify_attempts` row (also read from SQLite as a JSON array of its
/// fields, in this order).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct ARow {
    pub seq: i32,
    pub channel: String,
    pub supplier_id: String,
    pub carrier: String,
    pub sent_at: i64,
    pub delivery: String,
    pub message_ref: Option<String>,
}

/// A verification row with its attempts as one JSON array (see
/// `select_verification!`).
#[derive(sqlx::FromRow)]
pub(crate) struct VRowWithAttempts {
    #[sqlx(flatten)]
    v: VRow,
    attempts: String,
}

impl VRowWithAttempts {
    /// A row of `select_verification!(sqlite)` read through rusqlite (the
    /// reads on the request's thread, `crate::sqlite_sync`).
    pub(crate) fn from_rusqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(VRowWithAttempts {
            v: VRow {
                id: r.get(0)?,
                tenant_id: r.get(1)?,
                phone: r.get(2)?,
                country: r.get(3)?,
                carrier: r.get(4)?,
                purpose: r.get(5)?,
                terminal_key: r.get(6)?,
                channel: r.get(7)?,
                status: r.get(8)?,
                code_hash: r.get(9)?,
                locale: r.get(10)?,
                code_length: r.get(11)?,
                check_attempts: r.get(12)?,
                max_check_attempts: r.get(13)?,
                last_sent_at: r.get(14)?,
                expires_at: r.get(15)?,
                flash_window_ends_at: r.get(16)?,
                flash_prefix_hint: r.get(17)?,
                app_hash: r.get(18)?,
                created_at: r.get(19)?,
                updated_at: r.get(20)?,
            },
            attempts: r.get(21)?,
        })
    }
}

/// The verification of `row`, its attempts in `seq` order.
pub(crate) fn with_attempts(row: VRowWithAttempts) -> StoreResult<Verification> {
    let mut attempts: Vec<ARow> =
        serde_json::from_str(&row.attempts).map_err(|_| corrupt("attempts", &row.attempts))?;
    attempts.sort_by_key(|a| a.seq);
    to_verification(row.v, attempts)
}

/// The error for a stored value that does not parse.
pub(crate) fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Other(format!("verifications: {what} {v:?} is not valid"))
}

/// A verification from its row and its attempts (in `seq` order).
pub(crate) fn to_verification(r: VRow, attempts: Vec<ARow>) -> StoreResult<Verification> {
    let attempts = attempts
        .into_iter()
        .map(|a| {
            Ok(Attempt {
                seq: a.seq as u32,
                channel: Channel::parse(&a.channel)
                    .ok_or_else(|| corrupt("channel", &a.channel))?,
                supplier: a.supplier_id,
                sent_at: from_ms(a.sent_at),
                delivery: Delivery::parse(&a.delivery)
                    .ok_or_else(|| corrupt("delivery", &a.delivery))?,
                message_ref: a.message_ref,
                carrier: a.carrier,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Verification {
        channel: Channel::parse(&r.channel).ok_or_else(|| corrupt("channel", &r.channel))?,
        status: Status::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
        id: r.id,
        tenant_id: r.tenant_id,
        phone: r.phone,
        country: r.country,
        carrier: r.carrier,
        purpose: r.purpose,
        terminal_key: r.terminal_key,
        code_hash: r.code_hash,
        locale: r.locale,
        code_length: r.code_length as u32,
        check_attempts: r.check_attempts as u32,
        max_check_attempts: r.max_check_attempts as u32,
        last_sent_at: from_ms(r.last_sent_at),
        expires_at: from_ms(r.expires_at),
        flash_window_ends_at: r.flash_window_ends_at.map(from_ms),
        flash_prefix_hint: r.flash_prefix_hint,
        app_hash: r.app_hash,
        created_at: from_ms(r.created_at),
        updated_at: from_ms(r.updated_at),
        attempts,
    })
}

/// Columns of `verify_sends` as [`SendRow`] reads them (and [`bind_send!`]
/// writes them).
macro_rules! send_columns {
    () => {
        "tenant_id, at, phone, ip_hash, country, prefix"
    };
}
pub(crate) use send_columns;

/// A `verify_sends` row: tenant, time (ms), phone, IP hash, country, prefix.
pub(crate) type SendRow = (String, i64, String, Option<String>, String, String);

pub(crate) fn to_send(r: SendRow) -> SendRecord {
    let (tenant_id, at, phone, ip_hash, country, prefix) = r;
    SendRecord {
        tenant_id,
        at: from_ms(at),
        phone,
        ip_hash,
        country,
        prefix,
    }
}

/// Hands each row of `rows` to `each` as a [`SendRecord`]; returns how many.
pub(crate) async fn replay_sends(
    mut rows: impl futures::Stream<Item = Result<SendRow, sqlx::Error>> + Unpin,
    map_err: fn(sqlx::Error) -> StoreError,
    each: &mut (dyn FnMut(SendRecord) + Send),
) -> StoreResult<u64> {
    use futures::TryStreamExt;
    let mut n = 0;
    while let Some(row) = rows.try_next().await.map_err(map_err)? {
        each(to_send(row));
        n += 1;
    }
    Ok(n)
}

/// The `SELECT … FROM verifications` of a verification, with its attempts as
/// one JSON array (`[[seq, channel, supplier_id, carrier,
/// sent_at, delivery, message_ref], …]`), one read instead of two.
macro_rules! select_verification {
    (sqlite) => {
        concat!(
            "SELECT ",
            crate::verify::rows::v_columns!(),
            ", (SELECT json_group_array(json_array(seq, channel, supplier_id, carrier, sent_at, \
             delivery, message_ref)) FROM verify_attempts a \
             WHERE a.verification_id = verifications.id) AS attempts FROM verifications"
        )
    };
    (postgres) => {
        concat!(
            "SELECT ",
            crate::verify::rows::v_columns!(),
            ", (SELECT COALESCE(json_agg(json_build_array(seq, channel, supplier_id, carrier, \
             sent_at, delivery, message_ref)), '[]')::TEXT FROM verify_attempts a \
             WHERE a.verification_id = verifications.id) AS attempts FROM verifications"
        )
    };
}

pub(crate) use select_verification;

/// The order that puts the newest of a phone's pending verifications first.
/// On SQLite the phone's index order (`created_at`, then `rowid`, the
/// index's last column): no temporary b-tree to sort on `id`, and the same
/// answer, as SQLite's one writer keeps at most one verification of a phone
/// and purpose pending (see `sqlite::insert_or_resend`). On PostgreSQL the
/// id, bytewise, breaks a tie.
macro_rules! newest_first {
    (sqlite) => {
        " ORDER BY created_at DESC, rowid DESC"
    };
    (postgres) => {
        " ORDER BY created_at DESC, id COLLATE \"C\" DESC"
    };
}

pub(crate) use newest_first;

/// The error for a stored setting that does not parse.
pub(crate) fn corrupt_setting(what: &str, v: &str) -> StoreError {
    StoreError::Other(format!("verify tables: {what} {v:?} is not valid"))
}

/// The `WHERE` of a verification by tenant and id.
macro_rules! by_id {
    () => {
        " WHERE tenant_id = $1 AND id = $2"
    };
}
pub(crate) use by_id;

/// The `WHERE` of a phone's newest pending verification for a purpose.
macro_rules! newest_pending {
    ($d:ident) => {
        concat!(
            " WHERE tenant_id = $1 AND phone = $2 AND purpose = $3 AND status = 'pending'",
            newest_first!($d),
            " LIMIT 1"
        )
    };
}
pub(crate) use newest_pending;

/// The live failover mappings of a terminal key, before their order.
macro_rules! failover_of {
    () => {
        "SELECT supplier_id FROM verify_failover WHERE tenant_id = $1 \
         AND terminal_key = $2 AND expires_at > $3 ORDER BY supplier_id"
    };
}
pub(crate) use failover_of;

/// The newest send of a tenant's phone and purpose (`$1`–`$3`) whose code
/// is unused (not `failed`, which sent nothing; not `approved`).
macro_rules! last_unused_send {
    () => {
        "SELECT MAX(last_sent_at) FROM verifications WHERE tenant_id = $1 \
         AND phone = $2 AND purpose = $3 AND status NOT IN ('failed', 'approved')"
    };
}
pub(crate) use last_unused_send;

/// The newest attempt of a terminal key since a time: the tenant, key and
/// time are the placeholders `$t`, `$k` and `$s`.
macro_rules! last_attempt {
    ($t:literal, $k:literal, $s:literal) => {
        concat!(
            "SELECT supplier_id, entered <> 0, channel, sent_at FROM verify_attempts \
             WHERE tenant_id = ",
            $t,
            " AND terminal_key = ",
            $k,
            " AND sent_at >= ",
            $s,
            " ORDER BY sent_at DESC, seq DESC LIMIT 1"
        )
    };
}
pub(crate) use last_attempt;

/// The verification the `select_verification!(sqlite)` query `sql` selects
/// with `params`, on a connection of the reads on the request's thread
/// (`crate::sqlite_sync`).
pub(crate) fn sync_load(
    c: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Option<VRowWithAttempts>> {
    c.prepare_cached(sql)?
        .query_row(params, VRowWithAttempts::from_rusqlite)
        .optional()
}

/// What `insert_or_resend` writes when verification `id` (whose last attempt
/// is number `last_seq`) was pending: the attempt `sent` for `v`, numbered
/// after it, and the resend of `v`'s code, its hash bound to `id`.
pub(crate) fn resend_to(
    v: &Verification,
    id: &str,
    last_seq: i64,
    sent: &Attempt,
    rehash: &CodeHasher,
) -> (Attempt, Resend) {
    let a = Attempt {
        seq: last_seq as u32 + 1,
        ..sent.clone()
    };
    let r = Resend {
        code_hash: rehash(id),
        expires_at: v.expires_at,
        flash_window_ends_at: v.flash_window_ends_at,
        flash_prefix_hint: v.flash_prefix_hint.clone(),
    };
    (a, r)
}

/// A terminal's attempt from its columns.
pub(crate) fn terminal_attempt(
    supplier_id: String,
    entered: bool,
    channel: String,
    sent_at: i64,
) -> StoreResult<TerminalAttempt> {
    Ok(TerminalAttempt {
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("channel", &channel))?,
        supplier_id,
        entered,
        sent_at: from_ms(sent_at),
    })
}
