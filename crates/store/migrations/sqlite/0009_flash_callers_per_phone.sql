-- Flash-call caller reservations are per destination: a caller is held among
-- the pending flash calls to one tenant's phone (`phone_key`, a keyed hash of
-- tenant and number), no longer across the whole pool, so one tenant's calls
-- cannot hold every caller of another's (issue 18 item 2). Reservations live
-- one flash-call window (a minute), so the table is recreated rather than
-- migrated: a call pending during the upgrade keeps its caller in its own
-- verification, and only loses the guarantee that another call to the same
-- phone picks a different number.
DROP TABLE flash_callers;

CREATE TABLE flash_callers (
    pool            TEXT NOT NULL,
    phone_key       TEXT NOT NULL,
    caller          TEXT NOT NULL,
    verification_id TEXT NOT NULL,
    until           BIGINT NOT NULL,
    PRIMARY KEY (pool, phone_key, caller)
);

CREATE INDEX flash_callers_verification ON flash_callers(verification_id);
