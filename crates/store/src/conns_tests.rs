use std::str::FromStr;

use futures::StreamExt;
use sqlx::sqlite::SqliteConnectOptions;

use super::*;

async fn conns(size: usize) -> SqliteConns {
    let opts = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
    SqliteConns::open(&opts, size, Duration::from_millis(200))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stream_holds_its_connection_until_dropped_and_rows_come_one_by_one() {
    let c = conns(1).await;
    let first: Vec<i64> = sqlx::query_scalar::<_, i64>(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000) \
         SELECT x FROM n",
    )
    .fetch(&c)
    .take(3)
    .map(|r| r.unwrap())
    .collect()
    .await;
    assert_eq!(first, vec![1, 2, 3]);
    // The stream is gone: its connection is back, the next call gets it.
    let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&c).await.unwrap();
    assert_eq!(one, 1);

    let mut rows = sqlx::query_scalar::<_, i64>("SELECT 7 UNION ALL SELECT 8").fetch(&c);
    assert_eq!(rows.next().await.unwrap().unwrap(), 7);
    assert!(c.try_acquire().is_none(), "held by the open stream");
    drop(rows);
    assert!(
        c.try_acquire().is_some(),
        "given back when the stream is dropped"
    );
}

#[tokio::test]
async fn a_taken_set_times_out_and_a_discarded_connection_is_replaced() {
    let c = conns(1).await;
    let mut held = c.acquire().await.unwrap();
    assert!(matches!(c.acquire().await, Err(sqlx::Error::PoolTimedOut)));
    held.close_on_drop();
    drop(held);
    let again = c.acquire().await.unwrap();
    drop(again);
    let n: i64 = sqlx::query_scalar("SELECT 2").fetch_one(&c).await.unwrap();
    assert_eq!(n, 2);
    c.close().await;
    assert!(c.acquire().await.is_err(), "closed");
}

fn lazy(settings: ConnsSettings) -> SqliteConns {
    let opts = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
    Conns::lazy(opts, settings)
}

fn settings(max: usize) -> ConnsSettings {
    ConnsSettings {
        max,
        acquire_timeout: Duration::from_millis(500),
        check_idle_after: None,
        idle_timeout: None,
        max_lifetime: None,
    }
}

fn idle(c: &SqliteConns) -> usize {
    lock(&c.inner.idle).len()
}

#[tokio::test]
async fn a_lazy_set_opens_on_demand_up_to_its_maximum_and_keeps_what_it_opened() {
    let c = lazy(settings(2));
    assert_eq!(idle(&c), 0, "nothing opened before use");
    assert!(c.try_acquire().is_none(), "try_acquire never connects");
    let a = c.acquire().await.unwrap();
    let b = c.acquire().await.unwrap();
    assert!(matches!(c.acquire().await, Err(sqlx::Error::PoolTimedOut)));
    drop((a, b));
    assert_eq!(idle(&c), 2, "both given back, open");
    let n: i64 = sqlx::query_scalar("SELECT 3").fetch_one(&c).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(idle(&c), 2, "the statement reused an open one");
}

#[tokio::test]
async fn connections_past_their_lifetime_or_idle_time_are_replaced() {
    let c = lazy(ConnsSettings {
        max_lifetime: Some(Duration::from_millis(50)),
        ..settings(1)
    });
    // A temporary table lives as long as its connection: it tells them apart.
    let mut first = c.acquire().await.unwrap();
    sqlx::query("CREATE TEMP TABLE mark (x)")
        .execute(&mut *first)
        .await
        .unwrap();
    drop(first);
    let mut again = c.acquire().await.unwrap();
    let same: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_temp_master WHERE name = 'mark'")
            .fetch_one(&mut *again)
            .await
            .unwrap();
    assert_eq!(same, 1, "young: the same connection");
    drop(again);
    tokio::time::sleep(Duration::from_millis(80)).await;
    let mut later = c.acquire().await.unwrap();
    let fresh: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_temp_master WHERE name = 'mark'")
            .fetch_one(&mut *later)
            .await
            .unwrap();
    assert_eq!(fresh, 0, "past its lifetime: a new connection");
    drop(later);

    let reaped = lazy(ConnsSettings {
        idle_timeout: Some(Duration::from_millis(100)),
        ..settings(2)
    });
    drop(reaped.acquire().await.unwrap());
    assert_eq!(idle(&reaped), 1);
    // The reaper runs every second at the most often.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert_eq!(idle(&reaped), 0, "closed by the reaper after its idle time");
}

#[tokio::test]
async fn a_connection_idle_past_the_check_is_pinged_and_still_used() {
    let c = lazy(ConnsSettings {
        check_idle_after: Some(Duration::from_millis(10)),
        ..settings(1)
    });
    drop(c.acquire().await.unwrap());
    tokio::time::sleep(Duration::from_millis(30)).await;
    let n: i64 = sqlx::query_scalar("SELECT 4").fetch_one(&c).await.unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        idle(&c),
        1,
        "the ping passed: kept, not replaced by a second"
    );
}
