//! I/O: walks a migrations folder and parses every `*.sql` file. (placeholder)
