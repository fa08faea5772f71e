\set k random(1, 900)
\startpipeline
BEGIN;
SELECT pg_advisory_xact_lock_shared(1);
SELECT a, b FROM t WHERE id = :k + 0;
SELECT a, b FROM t WHERE id = :k + 1;
SELECT a, b FROM t WHERE id = :k + 2;
SELECT a, b FROM t WHERE id = :k + 3;
SELECT a, b FROM t WHERE id = :k + 4;
SELECT a, b FROM t WHERE id = :k + 5;
SELECT a, b FROM t WHERE id = :k + 6;
SELECT a, b FROM t WHERE id = :k + 7;
SELECT a, b FROM t WHERE id = :k + 8;
SELECT a, b FROM t WHERE id = :k + 9;
SELECT a, b FROM t WHERE id = :k + 10;
SELECT a, b FROM t WHERE id = :k + 11;
SELECT a, b FROM t WHERE id = :k + 12;
SELECT a, b FROM t WHERE id = :k + 13;
SELECT a, b FROM t WHERE id = :k + 14;
SELECT a, b FROM t WHERE id = :k + 15;
SELECT a, b FROM t WHERE id = :k + 16;
SELECT a, b FROM t WHERE id = :k + 17;
SELECT a, b FROM t WHERE id = :k + 18;
SELECT a, b FROM t WHERE id = :k + 19;
SELECT a, b FROM t WHERE id = :k + 20;
SELECT a, b FROM t WHERE id = :k + 21;
SELECT a, b FROM t WHERE id = :k + 22;
SELECT a, b FROM t WHERE id = :k + 23;
SELECT a, b FROM t WHERE id = :k + 24;
SELECT a, b FROM t WHERE id = :k + 25;
SELECT a, b FROM t WHERE id = :k + 26;
SELECT a, b FROM t WHERE id = :k + 27;
\endpipeline
\startpipeline
INSERT INTO items VALUES (gen_random_uuid()::text, repeat('x', 300));
INSERT INTO items VALUES (gen_random_uuid()::text, repeat('x', 300));
INSERT INTO items VALUES (gen_random_uuid()::text, repeat('x', 300));
INSERT INTO items VALUES (gen_random_uuid()::text, repeat('x', 300));
WITH h AS (UPDATE head SET pos = pos + 1 RETURNING pos) INSERT INTO changes SELECT pos, repeat('x', 500) FROM h;
WITH h AS (UPDATE head SET pos = pos + 1 RETURNING pos) INSERT INTO changes SELECT pos, repeat('x', 500) FROM h;
WITH h AS (UPDATE head SET pos = pos + 1 RETURNING pos) INSERT INTO changes SELECT pos, repeat('x', 500) FROM h;
WITH h AS (UPDATE head SET pos = pos + 1 RETURNING pos) INSERT INTO changes SELECT pos, repeat('x', 500) FROM h;
SELECT pg_notify('feed', 'x');
COMMIT;
\endpipeline
