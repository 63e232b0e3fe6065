//! Work split over threads: folders are read, and graphs built, side by side.

use std::sync::Mutex;
use std::thread;

/// Maps `f` over `items` on one scoped thread per item when there are
/// several; a single item runs on the calling thread. An item whose thread
/// cannot start runs here instead. A panic in a thread goes on in the
/// caller: it is a bug, reported once by the panic hook, and the run ends
/// with the panic's exit code rather than a result quietly missing.
pub(crate) fn map_threads<T, R>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R>
where
    T: Send,
    R: Send,
{
    if items.len() < 2 {
        return items.into_iter().map(&f).collect();
    }
    // Each item waits in a slot until a thread takes it, so that an item
    // whose thread could not start is still here to run.
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let take = |slot: &Mutex<Option<T>>| slot.lock().ok().and_then(|mut s| s.take());
    let (f, take) = (&f, &take);
    thread::scope(|scope| {
        let handles: Vec<_> = slots
            .iter()
            .map(|slot| {
                thread::Builder::new()
                    .name("migrate-work".to_owned())
                    .spawn_scoped(scope, move || take(slot).map(f))
            })
            .collect();
        let mut out = Vec::with_capacity(slots.len());
        for (handle, slot) in handles.into_iter().zip(&slots) {
            let done = match handle {
                Ok(handle) => match handle.join() {
                    Ok(done) => done,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(_) => take(slot).map(f),
            };
            // Every slot is taken exactly once, by its thread or here.
            out.extend(done);
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..9).collect();
        assert_eq!(
            map_threads(items, |i| i * 10),
            (0..9).map(|i| i * 10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_panic_in_a_thread_goes_on_in_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_threads(vec![1, 2, 3], |i| {
                assert!(i != 2, "boom");
                i
            })
        });
        assert!(caught.is_err());
    }
}
