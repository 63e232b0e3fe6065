//! `migrate import alembic`: an Alembic history turned into revision files,
//! one per Alembic revision, keeping every revision id.
//!
//! Alembic itself reads the project, through the user's own Python and a
//! small helper carried in the binary ([`python`], `alembic.py`); everything
//! decided about the files is pure and lives here: what to write
//! ([`plan`]), where ([`layout`]), for which SQL dialect ([`dialect`]), and
//! what each file says ([`convert`], [`created`]). [`files`] reads the
//! database's folder and writes the new files.

pub(crate) mod convert;
pub(crate) mod created;
pub(crate) mod dialect;
pub(crate) mod files;
pub(crate) mod layout;
pub(crate) mod plan;
pub(crate) mod python;
pub(crate) mod record;
