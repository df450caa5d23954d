-- SQLite only (issue 23). On one node the send limits are counted in memory
-- (replayed from this table at start-up), so nothing reads verify_sends by
-- tenant, phone, IP hash, country or prefix: those five indexes were five
-- b-tree pages written with every send and never read. What does read the
-- table (the start-up replay, the purge and the dashboard's top IPs) reads it
-- by time, which one index serves. PostgreSQL keeps the five: without Redis it
-- counts each limit's window from them.
DROP INDEX IF EXISTS verify_sends_tenant;
DROP INDEX IF EXISTS verify_sends_phone;
DROP INDEX IF EXISTS verify_sends_ip;
DROP INDEX IF EXISTS verify_sends_country;
DROP INDEX IF EXISTS verify_sends_prefix;
CREATE INDEX IF NOT EXISTS verify_sends_at ON verify_sends(at);
