//! The servers the other tests stand on, as `scripts/with-services.sh`
//! starts them (see `harness::topology` and `harness::mysql`): each piece
//! shown to behave as production's does, so a failure elsewhere is the
//! product's and not the set-up's.

mod delay_proxy;
mod far_away;
mod mariadb;
mod pgbouncer;
mod pooled;
mod pooled_faults;
mod standby;
mod standby_runs;
