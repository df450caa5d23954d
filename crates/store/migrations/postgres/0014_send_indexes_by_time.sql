-- Nothing changes on PostgreSQL (issue 23): without Redis the send limits are
-- counted from verify_sends by scope, so its five indexes stay. On SQLite
-- (one node, limits counted in memory) they were replaced by one index by time;
-- this file keeps the migration versions of both backends the same.
SELECT 1;
