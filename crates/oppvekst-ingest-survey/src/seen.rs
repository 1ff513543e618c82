//! The respondent ids accepted so far in a run (the duplicate check). A leaf module.

use std::hash::BuildHasher;
use std::sync::Arc;

/// Respondent ids already accepted in this run: (survey year, id) → (file, row). Lookup
/// only (never iterated), so hashing keeps the output deterministic. Compact, since a
/// national run holds millions: the ids' bytes in one buffer, and per id one 32-byte entry.
#[derive(Default)]
pub struct SeenIds {
    files: Vec<Arc<str>>,
    bytes: Vec<u8>,
    entries: hashbrown::HashTable<SeenId>,
    state: hashbrown::DefaultHashBuilder,
}

/// One accepted id: where its bytes are, its year, and the file and row that had it.
#[derive(Clone, Copy)]
struct SeenId {
    start: usize,
    row: u64,
    len: u32,
    year: i32,
    file: u32,
}

impl std::fmt::Debug for SeenIds {
    /// Counts only: the ids themselves are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeenIds")
            .field("ids", &self.entries.len())
            .finish()
    }
}

impl SeenIds {
    /// Records `id` of survey year `year` as seen in `file` at `row`; when it was seen
    /// before, records nothing and returns the file and row that first had it.
    pub(crate) fn first_or_insert(
        &mut self,
        year: i32,
        id: &str,
        file: &Arc<str>,
        row: u64,
    ) -> Option<(&str, u64)> {
        let bytes = &self.bytes;
        let key = move |e: &SeenId| (e.year, &bytes[e.start..e.start + e.len as usize]);
        let state = &self.state;
        let entry = self.entries.entry(
            state.hash_one((year, id.as_bytes())),
            |e| key(e) == (year, id.as_bytes()),
            |e| state.hash_one(key(e)),
        );
        let vacant = match entry {
            hashbrown::hash_table::Entry::Occupied(o) => {
                let e = *o.get();
                return Some((&self.files[e.file as usize], e.row));
            }
            hashbrown::hash_table::Entry::Vacant(v) => v,
        };
        if !self
            .files
            .last()
            .is_some_and(|last| Arc::ptr_eq(last, file))
        {
            self.files.push(Arc::clone(file));
        }
        vacant.insert(SeenId {
            start: self.bytes.len(),
            row,
            // An id longer than 4 GiB cannot be read as one CSV field.
            len: u32::try_from(id.len()).unwrap_or(u32::MAX),
            year,
            file: u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX),
        });
        self.bytes.extend_from_slice(id.as_bytes());
        None
    }

    /// Forgets every id a file brought (a file rejected as a whole imports nothing).
    pub(crate) fn forget(&mut self, file: &Arc<str>) {
        let files = &self.files;
        self.entries
            .retain(|e| !Arc::ptr_eq(&files[e.file as usize], file));
    }
}
