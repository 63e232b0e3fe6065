-- migrate:revision ea4647227402
-- migrate:parents 229283397075
-- migrate:message add memories.importance
-- migrate:created 2025-10-20T09:00:00Z

-- migrate:up
ALTER TABLE memories ADD COLUMN importance real NOT NULL DEFAULT 0;

-- migrate:down
ALTER TABLE memories DROP COLUMN importance;
