//! Every command on MariaDB, and `up --all` mixing PostgreSQL, SQLite and
//! MariaDB databases in one project.
