//! Pure: revision file bytes -> [`Revision`]. (placeholder, filled by the parser work)
