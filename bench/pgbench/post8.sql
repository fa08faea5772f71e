\set k random(1, 990)
\startpipeline
BEGIN;
SELECT pg_advisory_xact_lock_shared(1);
SELECT a, b FROM t WHERE id = :k;
SELECT a, b FROM t WHERE id = :k + 1;
SELECT a, b FROM t WHERE id = :k + 2;
SELECT a, b FROM t WHERE id = :k + 3;
SELECT a, b FROM t WHERE id = :k + 4;
SELECT a, b FROM t WHERE id = :k + 5;
SELECT a, b FROM t WHERE id = :k + 6;
\endpipeline
\startpipeline
INSERT INTO items VALUES (gen_random_uuid()::text, repeat('x', 300));
WITH h AS (UPDATE head SET pos = pos + 1 RETURNING pos) INSERT INTO changes SELECT pos, repeat('x', 500) FROM h;
SELECT pg_notify('feed', 'x');
COMMIT;
\endpipeline
