-- migrate:revision c5825fb4cf7c
-- migrate:message create memories
-- migrate:created 2025-09-05T10:00:00Z

-- migrate:up
-- user_id points at users.id in the core database: no foreign key across databases.
-- Production (PostgreSQL with pgvector) would declare `embedding vector(1536)`;
-- here it is JSON text so that the same history runs on SQLite for local development.
CREATE TABLE memories (
    id integer PRIMARY KEY,
    user_id integer NOT NULL,
    content text NOT NULL,
    embedding text,
    created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX memories_user_id_idx ON memories (user_id);

-- migrate:down
DROP INDEX memories_user_id_idx;
DROP TABLE memories;
