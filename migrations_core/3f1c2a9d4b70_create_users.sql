-- migrate:revision 3f1c2a9d4b70
-- migrate:message create users
-- migrate:created 2025-09-01T09:00:00Z

-- migrate:up
CREATE TABLE users (
    id integer PRIMARY KEY,
    email text NOT NULL UNIQUE,
    display_name text NOT NULL,
    created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- migrate:down
DROP TABLE users;
