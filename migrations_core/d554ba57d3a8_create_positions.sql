-- migrate:revision d554ba57d3a8
-- migrate:parents 5c03b3ad742a
-- migrate:message create positions
-- migrate:created 2025-09-10T08:45:00Z

-- migrate:up
CREATE TABLE positions (
    id integer PRIMARY KEY,
    portfolio_id integer NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    symbol text NOT NULL,
    quantity real NOT NULL,
    cost_basis real NOT NULL,
    UNIQUE (portfolio_id, symbol)
);

-- migrate:down
DROP TABLE positions;
