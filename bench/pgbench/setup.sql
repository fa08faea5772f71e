-- The tables bench/pgbench/run.sh's scripts use: the feed's counter and changes, a table the
-- reads look up by key, and items.
CREATE TABLE head(pos bigint NOT NULL); INSERT INTO head VALUES (0);
CREATE TABLE changes(pos bigint PRIMARY KEY, data text NOT NULL);
CREATE TABLE t(id int PRIMARY KEY, a text NOT NULL, b int NOT NULL);
INSERT INTO t SELECT i, md5(i::text), i FROM generate_series(1, 1000) i;
CREATE TABLE items(id text PRIMARY KEY, data text NOT NULL);
