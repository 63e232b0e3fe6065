//! Faults on MariaDB.
