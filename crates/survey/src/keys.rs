//! The small hash tables of the survey reader: unit codes and channels to dense indices, and
//! the respondent ids already accepted per unit.

/// Accepted respondent ids per unit, for the duplicate check: an open-addressing table of
/// (32-bit tag, entry) words whose entries are compared byte for byte, so a hash collision never
/// rejects a row. The ids live in one arena, not one allocation each. One table probe per row
/// is a likely cache miss on large files, so [`Respondents::touch`] loads the probe's slot
/// early, while the row's answers are still being parsed.
#[derive(Default)]
pub(crate) struct Respondents {
    /// `tag << 32 | entry`, or EMPTY.
    slots: Vec<u64>,
    entries: Vec<RespondentEntry>,
    arena: Vec<u8>,
}

struct RespondentEntry {
    hash: u64,
    start: u64,
    row: u64,
    unit: u32,
    len: u32,
}

const EMPTY: u64 = u64::MAX;

impl Respondents {
    /// Makes room for about `count` ids without growing.
    pub(crate) fn reserve(&mut self, count: usize) {
        self.entries.reserve(count);
        self.arena.reserve(count * 8);
        let size = (count + count / 2).next_power_of_two();
        if self.slots.len() < size {
            self.rebuild(size);
        }
    }

    fn rebuild(&mut self, size: usize) {
        self.slots = vec![EMPTY; size];
        let mask = size - 1;
        for (index, entry) in self.entries.iter().enumerate() {
            let mut at = entry.hash as usize & mask;
            while self.slots[at] != EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = (entry.hash >> 32) << 32 | index as u64;
        }
    }

    /// Asks the processor to fetch the slot an id will probe, so the lookup made after the
    /// row's answers are parsed finds it in cache.
    #[inline]
    pub(crate) fn touch(&self, hash: u64) {
        if !self.slots.is_empty() {
            prefetch(&self.slots[hash as usize & (self.slots.len() - 1)]);
        }
    }

    /// The row of the first occurrence when (unit, id) was seen; otherwise records it.
    pub(crate) fn check_insert(
        &mut self,
        hash: u64,
        unit: u32,
        id: &[u8],
        row: u64,
    ) -> Option<u64> {
        // Linear probing stays short below 70 % occupancy.
        if (self.entries.len() + 1) * 10 > self.slots.len() * 7 {
            self.rebuild((self.slots.len() * 2).max(1024));
        }
        let mask = self.slots.len() - 1;
        let tag = hash >> 32;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == EMPTY {
                break;
            }
            if slot >> 32 == tag {
                let e = &self.entries[(slot & 0xffff_ffff) as usize];
                let start = e.start as usize;
                if e.unit == unit && &self.arena[start..start + e.len as usize] == id {
                    return Some(e.row);
                }
            }
            at = (at + 1) & mask;
        }
        self.slots[at] = tag << 32 | self.entries.len() as u64;
        self.entries.push(RespondentEntry {
            hash,
            start: self.arena.len() as u64,
            row,
            unit,
            len: id.len() as u32,
        });
        self.arena.extend_from_slice(id);
        None
    }
}

/// A prefetch hint: no effect on results, only on when the memory is read.
#[cfg(target_arch = "x86_64")]
#[inline]
fn prefetch<T>(value: &T) {
    // SAFETY: PREFETCHT0 is only a hint; it never faults and reads nothing into the program,
    // and `value` is a valid reference anyway. SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            value as *const T as *const i8,
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn prefetch<T>(_value: &T) {}

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// A fast 64-bit hash of short byte strings (unit codes, channels, ids). Not meant to resist
/// crafted input: a collision only costs a comparison, never a wrong answer.
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed.wrapping_mul(MULTIPLIER) ^ (bytes.len() as u64);
    let mut rest = bytes;
    while rest.len() >= 8 {
        let (word, tail) = rest.split_at(8);
        h = (h ^ u64::from_le_bytes(word.try_into().expect("8 bytes")))
            .wrapping_mul(MULTIPLIER)
            .rotate_left(31);
        rest = tail;
    }
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(MULTIPLIER)
            .rotate_left(31);
    }
    // The finalizer of MurmurHash3: spreads every input bit over the hash.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Equality of short byte strings without a call to `memcmp`, which dominates for codes of a
/// few bytes.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A small map from byte strings to dense indices (unit codes, channels): open addressing
/// over a table that stays in cache.
#[derive(Default)]
pub(crate) struct KeyMap {
    /// Index into `keys`, or u32::MAX.
    slots: Vec<u32>,
    keys: Vec<Box<[u8]>>,
}

impl KeyMap {
    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = hash_bytes(0, key) as usize & mask;
        loop {
            let index = self.slots[at];
            if index == u32::MAX {
                return None;
            }
            if same_bytes(&self.keys[index as usize], key) {
                return Some(index);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds a key that is not in the map; returns its index.
    pub(crate) fn insert(&mut self, key: &[u8]) -> u32 {
        let index = self.keys.len() as u32;
        self.keys.push(key.into());
        if self.keys.len() * 4 > self.slots.len() {
            let size = (self.slots.len() * 2).max(64);
            self.slots = vec![u32::MAX; size];
            for i in 0..self.keys.len() {
                self.place(i as u32);
            }
        } else {
            self.place(index);
        }
        index
    }

    fn place(&mut self, index: u32) {
        let mask = self.slots.len() - 1;
        let mut at = hash_bytes(0, &self.keys[index as usize]) as usize & mask;
        while self.slots[at] != u32::MAX {
            at = (at + 1) & mask;
        }
        self.slots[at] = index;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respondents_are_exact_per_unit() {
        let mut r = Respondents::default();
        let mut check = |unit: u32, id: &[u8], row: u64| {
            // A deliberately bad hash: every id collides, so only the exact comparison tells.
            let hash = (id.len() as u64) << 32 | unit as u64;
            r.check_insert(hash, unit, id, row)
        };
        assert_eq!(check(0, b"1003", 4), None);
        assert_eq!(check(1, b"1003", 5), None);
        assert_eq!(check(0, b"1003", 17), Some(4));
        assert_eq!(check(0, b"1004", 18), None);
        let mut r = Respondents::default();
        r.reserve(100);
        for i in 0..10_000u32 {
            let id = i.to_string();
            let hash = hash_bytes(2, id.as_bytes());
            assert_eq!(r.check_insert(hash, 2, id.as_bytes(), i as u64), None);
        }
        let hash = hash_bytes(2, b"9999");
        assert_eq!(r.check_insert(hash, 2, b"9999", 1), Some(9999));
    }
}
