-- migrate:revision 5c03b3ad742a
-- migrate:parents 3f1c2a9d4b70
-- migrate:message create portfolios
-- migrate:created 2025-09-03T14:20:00Z

-- migrate:up
CREATE TABLE portfolios (
    id integer PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL,
    base_currency text NOT NULL DEFAULT 'USD'
);

CREATE INDEX portfolios_user_id_idx ON portfolios (user_id);

-- migrate:down
DROP INDEX portfolios_user_id_idx;
DROP TABLE portfolios;
