//! One lazily made, self-healing Redis connection with timeouts, and running a
//! pipeline of script calls (loading the scripts when Redis does not know them).

use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, ErrorKind, FromRedisValue, Pipeline, Script, ServerErrorKind};
use tokio::sync::Mutex;

/// The current connection, or when connecting last failed.
enum State {
    Up(ConnectionManager),
    Down(Option<Instant>),
}

/// A connection made on first use and remade after a failure; while Redis is
/// down, calls fail within the timeouts (and connecting is tried at most once a
/// second).
pub(crate) struct Conn {
    client: Client,
    what: &'static str,
    response_timeout: Duration,
    connection_timeout: Duration,
    state: Mutex<State>,
}

impl Conn {
    /// A connection to `client` for `what` (named in log lines).
    pub(crate) fn new(
        client: Client,
        what: &'static str,
        response_timeout: Duration,
        connection_timeout: Duration,
    ) -> Self {
        Conn {
            client,
            what,
            response_timeout,
            connection_timeout,
            state: Mutex::new(State::Down(None)),
        }
    }

    /// The connection, made now if needed.
    pub(crate) async fn get(&self) -> Result<ConnectionManager, String> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Up(c) => return Ok(c.clone()),
            State::Down(Some(at)) if at.elapsed() < Duration::from_secs(1) => {
                return Err("Redis unreachable (retrying)".into());
            }
            State::Down(_) => {}
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connection_timeout))
            .set_response_timeout(Some(self.response_timeout))
            .set_number_of_retries(1);
        let made = tokio::time::timeout(
            self.connection_timeout * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await;
        match made {
            Ok(Ok(c)) => {
                *state = State::Up(c.clone());
                Ok(c)
            }
            Ok(Err(e)) => {
                *state = State::Down(Some(Instant::now()));
                tracing::warn!(error = %e, "cannot connect to Redis ({})", self.what);
                Err(format!("cannot connect to Redis: {e}"))
            }
            Err(_) => {
                *state = State::Down(Some(Instant::now()));
                tracing::warn!("cannot connect to Redis ({}): timed out", self.what);
                Err("cannot connect to Redis: timed out".into())
            }
        }
    }

    /// Runs `pipe`; when Redis does not know a script (first use, or Redis
    /// restarted), loads `scripts` and runs it again.
    pub(crate) async fn run<T: FromRedisValue>(
        &self,
        pipe: &Pipeline,
        scripts: &[&Script],
    ) -> Result<T, String> {
        let mut conn = self.get().await?;
        let down = |e: redis::RedisError| e.to_string();
        match pipe.query_async(&mut conn).await {
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                let mut load = redis::pipe();
                for s in scripts {
                    load.load_script(s);
                }
                load.query_async::<()>(&mut conn).await.map_err(down)?;
                pipe.query_async(&mut conn).await.map_err(down)
            }
            other => other.map_err(down),
        }
    }
}
