//! SQLite: the embedded default (one file, WAL, nothing to install).

use std::str::FromStr;
use std::time::Duration;

use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use crate::conns::SqliteConns;

pub(crate) use crate::sql::map_err;

/// [`phoneguard_core::Store`] on a SQLite file.
///
/// SQLite lets one writer in at a time; writers that collide wait in its busy
/// handler, which sleeps in steps of up to 100 ms and ruins tail latency. So all
/// writes (and anything that may write) go through one connection, queued in
/// the pool instead; reads that never write may use the reader pool, which WAL
/// lets run beside the writer. Risk results are the one exception: they are
/// written on a connection of their own by the request that finds the writer
/// free, while it holds the writer connection (`risk::direct`), so there is
/// still one writer at a time. The pools are [`SqliteConns`]: no ping when a
/// connection is given back.
#[derive(Clone)]
pub struct SqliteStore {
    writer: SqliteConns,
    readers: SqliteConns,
    risk_writer: std::sync::Arc<crate::risk::sqlite::RiskWriter>,
    /// Group commit of verification writes on `writer`.
    verify_writer: std::sync::Arc<crate::sqlite_commit::GroupCommit>,
    /// Reads on the request's thread.
    sync_readers: std::sync::Arc<crate::sqlite_sync::SyncReaders>,
    /// The verification writes on the request's thread, on `writer`'s turn.
    sync_writer: std::sync::Arc<crate::sqlite_sync::SyncWriter>,
    /// Held while the store lives; the checkpointer stops when it is gone.
    _alive: std::sync::Arc<()>,
    /// The directory of an in-memory database's file, removed with the store.
    _temp_dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// How often the background checkpointer copies the WAL into the database.
/// Each checkpoint fsyncs the WAL and the database, which stalls writes on this
/// kind of disk for a few ms; at 2,000 risk events/s the WAL grows by about
/// 40 MB/s. At 1 s the p99 of risk events was 6.0–8.7 ms; at 5 s, 3.7 and
/// 4.1 ms, and 7.3 ms right after a build's write-back (docs/benchmarks.md).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);

/// How often the checkpointer looks at the WAL file's size.
const WAL_LOOK_EVERY: Duration = Duration::from_secs(1);

/// The WAL's size limit (`journal_size_limit`), and the size past which the
/// checkpointer restarts the WAL. Each restart holds the writer for a few ms
/// (the copy of the last frames and two fsyncs): at 64 MiB that was a
/// restart every 1.6 s at 2,000 risk events/s and a p99 of 5.3–5.7 ms
/// against 2.7–4.0 ms without; 256 MiB is one every 6 s.
const WAL_LIMIT: u64 = 256 << 20;

/// Keeps the WAL short, from a connection of its own, so that no commit pays
/// for the copy.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000
/// WAL pages and fsyncs the WAL and the database there: at 2,000 risk
/// events/s that was several 2–6 ms stalls of the one writer a second. So
/// every [`CHECKPOINT_EVERY`] a `PASSIVE` checkpoint copies the WAL into the
/// database without taking the writer lock.
///
/// A passive checkpoint alone never shortens the WAL under steady writes:
/// the log starts again from its first frame only when a checkpoint has
/// copied every frame and no reader still uses one, and while writes go on
/// new frames land before the copy ends. The WAL then grew for as long as the
/// load lasted (1.3 GB in 10 s at 2,000 verification pairs/s), and with it
/// the cost of every read, which looks a page up in the WAL index frame
/// range by frame range. So once the file passes [`WAL_LIMIT`] the
/// checkpointer copies what it can passively, then runs a `RESTART`
/// checkpoint while it holds the one writer connection (no write can start
/// meanwhile, and none waits in SQLite's busy handler): it copies the few
/// frames written since, waits for the readers still on the old log (a read
/// lasts µs to ms), and the next commit writes from the log's start and cuts
/// the file back to `WAL_LIMIT`.
fn spawn_checkpointer(
    pool: SqliteConns,
    writer: SqliteConns,
    wal: Option<std::path::PathBuf>,
    alive: std::sync::Weak<()>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WAL_LOOK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = tokio::time::Instant::now();
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() {
                break;
            }
            let long = wal
                .as_deref()
                .and_then(|p| std::fs::metadata(p).ok())
                .is_some_and(|m| m.len() > WAL_LIMIT);
            if !long && last.elapsed() < CHECKPOINT_EVERY {
                continue;
            }
            last = tokio::time::Instant::now();
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "SQLite checkpoint failed; retrying in a second");
                continue;
            }
            if long {
                restart_wal(&writer).await;
            }
        }
        pool.close().await;
    });
}

/// A `RESTART` checkpoint on the writer connection (see [`spawn_checkpointer`]).
async fn restart_wal(writer: &SqliteConns) {
    let done: Result<(i64, i64, i64), sqlx::Error> = async {
        let mut conn = writer.acquire().await?;
        sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
            .fetch_one(&mut *conn)
            .await
    }
    .await;
    match done {
        // busy = 1: a reader outlasted the busy timeout; the next look retries.
        Ok((busy, frames, copied)) => {
            tracing::debug!(busy, frames, copied, "SQLite WAL restarted")
        }
        Err(e) => tracing::warn!(error = %e, "SQLite WAL restart failed; retrying in a second"),
    }
}

/// Creates the database file readable by its owner only (0600) when it does
/// not exist yet; SQLite gives its `-wal` and `-shm` files the same mode.
fn create_private(path: &std::path::Path) -> StoreResult<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Other(format!(
            "cannot create the database file {}: {e}",
            path.display()
        ))),
    }
}

impl SqliteStore {
    /// Opens (creating if missing, mode 0600) the database at `url` and runs the migrations.
    ///
    /// WAL with `synchronous = NORMAL`: a committed transaction survives the process
    /// being killed (not a power loss of the host, which needs `FULL`).
    ///
    /// An in-memory database (`sqlite::memory:`) is a file in a private
    /// temporary directory, removed when the store is dropped: the reads and
    /// writes on the request's thread ([`crate::sqlite_sync`]) need a file
    /// that several connections share, and one code path serves both.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let (url, temp_dir) = if url.contains(":memory:") || url.contains("mode=memory") {
            let dir = tempfile::Builder::new()
                .prefix("phoneguard-memory-")
                .tempdir()
                .map_err(|e| {
                    StoreError::Other(format!("cannot create a temporary database: {e}"))
                })?;
            let url = format!("sqlite://{}", dir.path().join("memory.db").display());
            (url, Some(std::sync::Arc::new(dir)))
        } else {
            (url.to_string(), None)
        };
        let url = url.as_str();
        if let Some(path) = crate::sqlite_file(url) {
            create_private(&path)?;
        }
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("database_url: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Checkpoints are the background checkpointer's (below), not the
            // committing writer's; the WAL file is cut back to `WAL_LIMIT` after each.
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", WAL_LIMIT.to_string())
            // Statement and savepoint journals in memory: the group-commit
            // writer opens a savepoint per job, and a spilled sub-journal was
            // a temporary file opened and closed inside the transaction.
            .pragma("temp_store", "memory")
            // 8 MiB of page cache per connection (SQLite's default is 2 MiB):
            // the hot pages of the verification indexes stay in memory
            // instead of being read back with a pread per miss.
            .pragma("cache_size", "-8192");
        // Connections are never pinged (see crate::conns): a connection to a
        // local file cannot go stale, and each ping is a round trip to the
        // connection's worker thread, two context switches on the request path.
        let unavailable =
            |e: sqlx::Error| StoreError::Unavailable(format!("cannot open {url}: {e}"));
        // Every write goes through this one connection: 32 MiB of cache.
        let writer = SqliteConns::open(
            &opts.clone().pragma("cache_size", "-32768"),
            1,
            Duration::from_secs(10),
        )
        .await
        .map_err(unavailable)?;
        {
            let mut conn = writer.acquire().await.map_err(unavailable)?;
            sqlx::migrate!("migrations/sqlite")
                .run_direct(None, &mut *conn, false)
                .await
                .map_err(|e| StoreError::Other(format!("migrations failed: {e}")))?;
        }
        let checkpointer = SqliteConns::open(&opts, 1, Duration::from_secs(10))
            .await
            .map_err(unavailable)?;
        let readers = SqliteConns::open(&opts.read_only(true), 4, Duration::from_secs(5))
            .await
            .map_err(unavailable)?;
        let alive = std::sync::Arc::new(());
        spawn_checkpointer(
            checkpointer,
            writer.clone(),
            crate::sqlite_file(url).map(|p| {
                let mut wal = p.into_os_string();
                wal.push("-wal");
                wal.into()
            }),
            std::sync::Arc::downgrade(&alive),
        );
        let file = crate::sqlite_file(url);
        let risk_writer = match &file {
            Some(path) => crate::risk::sqlite::RiskWriter::Direct(
                crate::risk::sqlite::DirectWriter::open(path, writer.clone())?,
            ),
            None => crate::risk::sqlite::RiskWriter::Pool(crate::risk::sqlite::PoolWriter::spawn(
                writer.clone(),
            )),
        };
        let path = file.as_ref().ok_or_else(|| {
            StoreError::Other(format!("database_url {url:?} names no SQLite file"))
        })?;
        let sync_readers = crate::sqlite_sync::SyncReaders::open(path)?.into();
        let sync_writer = crate::sqlite_sync::SyncWriter::open(path, writer.clone())?.into();
        Ok(SqliteStore {
            risk_writer: risk_writer.into(),
            verify_writer: crate::sqlite_commit::GroupCommit::spawn(writer.clone()).into(),
            sync_readers,
            sync_writer,
            writer,
            readers,
            _alive: alive,
            _temp_dir: temp_dir,
        })
    }

    /// The group-commit writer of verification writes.
    pub(crate) fn verify_writer(&self) -> &crate::sqlite_commit::GroupCommit {
        &self.verify_writer
    }

    /// The single writing connection: use it for every statement that writes
    /// (and for reads that must see the latest write of the same request).
    pub fn pool(&self) -> &SqliteConns {
        &self.writer
    }

    /// The group-commit writer of risk results.
    pub(crate) fn risk_writer(&self) -> &crate::risk::sqlite::RiskWriter {
        &self.risk_writer
    }

    /// Read-only connections, for reads that never write.
    pub fn readers(&self) -> &SqliteConns {
        &self.readers
    }

    /// Runs the read `f` on this thread (see [`crate::sqlite_sync`]); always
    /// `Some` (the PostgreSQL store's is `None`, for the code both share).
    pub(crate) fn sync_read<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<StoreResult<T>> {
        Some(self.sync_readers.read(f))
    }

    /// The writer of verification writes on the request's thread.
    pub(crate) fn sync_writer(&self) -> &crate::sqlite_sync::SyncWriter {
        &self.sync_writer
    }

    /// [`Self::sync_writer`], for the code both stores share (the
    /// PostgreSQL store's is `None`).
    pub(crate) fn sync_writer_opt(&self) -> Option<&crate::sqlite_sync::SyncWriter> {
        Some(&self.sync_writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames in the WAL now (a passive checkpoint on the writer reports
    /// them, and copies what it can).
    async fn wal_frames(store: &SqliteStore) -> i64 {
        let (_, frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(store.pool())
            .await
            .unwrap();
        frames
    }

    async fn write(store: &SqliteStore, from: i64, n: i64) {
        for k in from..from + n {
            sqlx::query("INSERT INTO t VALUES (?1, randomblob(2000))")
                .bind(k)
                .execute(store.pool())
                .await
                .unwrap();
        }
    }

    /// A reader inside a transaction: it keeps its snapshot, and so the WAL
    /// frames after it, until `COMMIT`.
    async fn hold_snapshot(store: &SqliteStore) -> crate::conns::Conn<sqlx::Sqlite> {
        let mut r = store.readers().acquire().await.unwrap();
        sqlx::query("BEGIN").execute(&mut *r).await.unwrap();
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *r)
            .await
            .unwrap();
        r
    }

    #[tokio::test]
    async fn a_restart_starts_the_wal_again_where_passive_checkpoints_never_do() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (k INTEGER PRIMARY KEY, b BLOB)")
            .execute(store.pool())
            .await
            .unwrap();
        write(&store, 0, 100).await;

        // Steady load in miniature: a passive checkpoint runs while a read is
        // in progress, so it cannot copy the frames after that read's
        // snapshot, and the log goes on growing after the read has ended.
        let mut reader = hold_snapshot(&store).await;
        write(&store, 100, 100).await;
        let before = wal_frames(&store).await;
        sqlx::query("COMMIT").execute(&mut *reader).await.unwrap();
        write(&store, 200, 1).await;
        assert!(
            wal_frames(&store).await > before,
            "a passive checkpoint alone left the log to grow"
        );

        // The restart waits for the reader of the old log, then the next
        // commit writes from the first frame.
        let mut reader = hold_snapshot(&store).await;
        write(&store, 300, 100).await;
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            sqlx::query("COMMIT").execute(&mut *reader).await.unwrap();
        });
        restart_wal(&store.writer).await;
        release.await.unwrap();
        write(&store, 1_000, 1).await;
        let frames = wal_frames(&store).await;
        assert!(frames < 10, "the log started again: {frames} frames");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(store.readers())
            .await
            .unwrap();
        assert_eq!(rows, 302, "nothing lost on the way");
    }
}
