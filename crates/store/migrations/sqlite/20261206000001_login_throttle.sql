-- Failed logins per client address, counted atomically: each attempt reserves its place with
-- one upsert before the password is checked, so parallel attempts cannot all slip under the
-- limit (a count of past rows read before a slow hash let them).
CREATE TABLE login_throttle (
    ip TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    failures INTEGER NOT NULL
);
