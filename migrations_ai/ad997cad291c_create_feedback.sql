-- migrate:revision ad997cad291c
-- migrate:parents c5825fb4cf7c
-- migrate:message create feedback
-- migrate:created 2025-09-15T11:30:00Z

-- migrate:up
CREATE TABLE feedback (
    id integer PRIMARY KEY,
    memory_id integer NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    rating integer NOT NULL CHECK (rating BETWEEN -1 AND 1),
    comment text,
    created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- migrate:down
DROP TABLE feedback;
