//! The keyset position of one export stream.
//!
//! Lists are read oldest first by modification time. Instead of page numbers over a list that
//! changes while we read it (an item modified mid-run moves to the end and shifts the pages, so a
//! page-number walk skips one), each page is asked for "modified at or after `t`", and the ids
//! already delivered at exactly `t` are dropped. `page` only grows while a whole page shares the
//! same `t`. Records sharing a timestamp across a page boundary are therefore never skipped.

use serde::{Deserialize, Serialize};

/// Where a stream stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Every item modified before `t` was delivered (unix seconds).
    pub t: i64,
    /// Ids modified exactly at `t` that were delivered.
    pub ids_at_t: Vec<i64>,
    /// Page to ask for at `t` (1-based).
    pub page: u32,
    /// Whether the last run reached the end of the list.
    pub complete: bool,
}

/// One listed item: its id and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    /// Id.
    pub id: i64,
    /// Modified at (unix seconds).
    pub modified: i64,
}

impl Cursor {
    /// A fresh cursor at `t`.
    pub fn at(t: i64) -> Self {
        Self {
            t,
            ids_at_t: Vec::new(),
            page: 1,
            complete: false,
        }
    }

    /// Where a run starts: exactly where an interrupted run stopped, or `overlap_secs` before
    /// where a complete run ended (late-visible changes are caught; consumers drop repeats).
    pub fn start_of_run(saved: Option<Cursor>, first_run_at: i64, overlap_secs: i64) -> Cursor {
        match saved {
            Some(c) if c.complete => Cursor::at(c.t - overlap_secs),
            Some(c) => c,
            None => Cursor::at(first_run_at),
        }
    }

    /// Whether `item` still has to be delivered.
    pub fn is_new(&self, item: Listed) -> bool {
        item.modified > self.t || (item.modified == self.t && !self.ids_at_t.contains(&item.id))
    }

    /// Moves past `delivered` (in list order) after they were delivered; `full_page` says whether
    /// the page was full (more may follow).
    pub fn advance(&mut self, delivered: &[Listed], full_page: bool) {
        let before = self.t;
        for item in delivered {
            if item.modified > self.t {
                self.t = item.modified;
                self.ids_at_t.clear();
            }
            if item.modified == self.t && !self.ids_at_t.contains(&item.id) {
                self.ids_at_t.push(item.id);
            }
        }
        if !full_page {
            self.complete = true;
            self.page = 1;
        } else if self.t == before {
            // The whole page sat at `t`: ask for the next page at the same `t`.
            self.page += 1;
        } else {
            self.page = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(id: i64, modified: i64) -> Listed {
        Listed { id, modified }
    }

    /// A list ordered by (modified, id) read page by page with the cursor, as the exporter does.
    fn read_all(list: &[Listed], page_size: usize, cursor: &mut Cursor) -> Vec<i64> {
        let mut out = Vec::new();
        for _ in 0..1000 {
            let matching: Vec<Listed> = list
                .iter()
                .copied()
                .filter(|i| i.modified >= cursor.t)
                .collect();
            let start = (cursor.page as usize - 1) * page_size;
            let page: Vec<Listed> = matching
                .iter()
                .skip(start)
                .take(page_size)
                .copied()
                .collect();
            let full = page.len() == page_size;
            let new: Vec<Listed> = page.into_iter().filter(|i| cursor.is_new(*i)).collect();
            out.extend(new.iter().map(|i| i.id));
            cursor.advance(&new, full);
            if !full {
                return out;
            }
        }
        panic!("did not finish");
    }

    #[test]
    fn ties_across_page_boundaries_are_not_skipped_or_repeated() {
        let list: Vec<Listed> = (1..=23).map(|i| l(i, 100 + i / 7)).collect();
        let mut c = Cursor::at(0);
        let got = read_all(&list, 5, &mut c);
        assert_eq!(got, (1..=23).collect::<Vec<_>>());
        assert!(c.complete);
    }

    #[test]
    fn a_page_full_of_one_timestamp_moves_on_by_page() {
        let list: Vec<Listed> = (1..=12).map(|i| l(i, 500)).chain([l(13, 501)]).collect();
        let mut c = Cursor::at(0);
        assert_eq!(read_all(&list, 4, &mut c), (1..=13).collect::<Vec<_>>());
    }

    #[test]
    fn runs_resume_exactly_or_with_overlap() {
        let partial = Cursor {
            t: 50,
            ids_at_t: vec![7],
            page: 1,
            complete: false,
        };
        assert_eq!(Cursor::start_of_run(Some(partial.clone()), 0, 300), partial);
        let done = Cursor {
            t: 1_000,
            ids_at_t: vec![7],
            page: 1,
            complete: true,
        };
        assert_eq!(Cursor::start_of_run(Some(done), 0, 300), Cursor::at(700));
        assert_eq!(Cursor::start_of_run(None, 42, 300), Cursor::at(42));
    }
}
