-- migrate:revision 2ba75c133cb2
-- migrate:parents afee91cd0e94
-- migrate:message add positions.notes
-- migrate:created 2025-11-01T09:30:00Z

-- migrate:up
ALTER TABLE positions ADD COLUMN notes text;

-- migrate:down
ALTER TABLE positions DROP COLUMN notes;
