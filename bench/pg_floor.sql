-- pgbench script: what PostgreSQL alone costs for a group commit of :rows messages (the
-- bench's ~1 KB delivery, 97 conversations), generated in the server, so no driver, no
-- HTTP and no Rust are measured; INSERT ... ON CONFLICT DO NOTHING RETURNING id, as the
-- service writes, into the first channel of a database the service migrated (after
-- bench/run, xchannel_bench holds one). Run it with as many clients as writers:
--
--   pgbench -n -f bench/pg_floor.sql -D rows=32 -c 2 -j 2 -T 6 postgres://postgres@127.0.0.1:5432/xchannel_bench
--
-- and with PGOPTIONS='-c synchronous_commit=off' to see what the commit's WAL flush costs.
\set base random(1, 1000000000)
INSERT INTO messages (id, channel_id, x_event_id, conversation_id, direction, sender_id,
  sender_username, sender_name, recipient_id, text, attachments, sent_at_ms, received_at)
SELECT gen_random_uuid()::text, (SELECT id FROM channels ORDER BY id LIMIT 1),
  'floor-' || pg_backend_pid() || '-' || (:base::bigint * 1000 + g),
  '1000000000000000001-' || (3000000000000000000 + g % 97), 'inbound',
  (3000000000000000000 + g % 97)::text, 'customer_' || g % 97, 'Customer ' || g % 97,
  '1000000000000000001',
  left(repeat('Hello, my order 12345 has not arrived yet and I would like to know where it is. ', 8), 530),
  '[]'::json, 1733000000000 - g, now()
FROM generate_series(1, :rows) g
ON CONFLICT (channel_id, x_event_id) DO NOTHING RETURNING id;
