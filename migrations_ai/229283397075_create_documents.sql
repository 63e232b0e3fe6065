-- migrate:revision 229283397075
-- migrate:parents ad997cad291c
-- migrate:message create documents
-- migrate:created 2025-10-02T15:10:00Z

-- migrate:up
-- Production would use `embedding vector(1536)` and an HNSW index on it.
CREATE TABLE documents (
    id integer PRIMARY KEY,
    user_id integer NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    embedding text,
    created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX documents_user_id_idx ON documents (user_id);

-- migrate:down
DROP INDEX documents_user_id_idx;
DROP TABLE documents;
