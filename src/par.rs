//! Work split over threads: folders are read, and graphs built, side by side.

use std::sync::Mutex;
use std::thread;

/// Maps `f` over `items` on one scoped thread per item when there are
/// several; a single item runs on the calling thread. An item whose thread
/// cannot start runs here instead; one whose thread panicked gives
/// `lost(its index)`, so no result is ever silently missing.
pub(crate) fn map_threads<T, R>(
    items: Vec<T>,
    f: impl Fn(T) -> R + Sync,
    lost: impl Fn(usize) -> R,
) -> Vec<R>
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
        handles
            .into_iter()
            .zip(&slots)
            .enumerate()
            .map(|(i, (handle, slot))| {
                let done = match handle {
                    Ok(handle) => handle.join().ok().flatten(),
                    Err(_) => take(slot).map(f),
                };
                done.unwrap_or_else(|| lost(i))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..9).collect();
        assert_eq!(
            map_threads(items, |i| i * 10, |_| 0),
            (0..9).map(|i| i * 10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_panicking_item_is_reported_as_lost_and_the_others_kept() {
        let out = map_threads(
            vec![1, 2, 3],
            |i| {
                assert!(i != 2, "boom");
                Some(i)
            },
            |_| None,
        );
        assert_eq!(out, [Some(1), None, Some(3)]);
    }
}
