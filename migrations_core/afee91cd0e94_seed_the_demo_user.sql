-- migrate:revision afee91cd0e94
-- migrate:parents d554ba57d3a8
-- migrate:message seed the demo user
-- migrate:created 2025-09-12T16:05:00Z

-- migrate:up
-- Explicit ids: both SQLite and PostgreSQL accept them for an integer primary key.
INSERT INTO users (id, email, display_name)
VALUES (1, 'demo@example.com', 'Demo User; read-only');

INSERT INTO portfolios (id, user_id, name, base_currency)
VALUES (1, 1, 'Long term; index funds', 'EUR');

INSERT INTO positions (id, portfolio_id, symbol, quantity, cost_basis) VALUES
    (1, 1, 'VWCE', 12.5, 1250.75),
    (2, 1, 'AGGH', 40, 198.2);

-- migrate:down
DELETE FROM positions WHERE portfolio_id = 1;
DELETE FROM portfolios WHERE id = 1;
DELETE FROM users WHERE id = 1;
