//! [`Tx`]: a transaction that owns its connection.

use std::ops::{Deref, DerefMut};

use sqlx::Database;
use sqlx_core::transaction::TransactionManager;

use super::{Conn, checked};

/// A transaction owning its connection: rolled back when dropped before
/// [`Tx::commit`] (the `ROLLBACK` is sent as the connection goes back, see
/// the module doc).
pub struct Tx<DB: Database> {
    pub(super) conn: Conn<DB>,
}

impl<DB: Database> Tx<DB> {
    /// Commits; the connection goes back to its set.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let r = DB::TransactionManager::commit(&mut self.conn).await;
        checked(&mut self.conn, r)
    }
}

impl<DB: Database> Drop for Tx<DB> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.conn.as_mut()
            && DB::TransactionManager::get_transaction_depth(c) > 0
        {
            DB::TransactionManager::start_rollback(c);
        }
    }
}

impl<DB: Database> Deref for Tx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.conn
    }
}

impl<DB: Database> DerefMut for Tx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.conn
    }
}
