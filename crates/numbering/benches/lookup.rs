//! Lookup speed: the hot path over a million realistic numbers, the full
//! `lookup`, and parsing formatted input.
//!
//! `cargo bench -p phoneguard-numbering` (figures in docs/benchmarks.md).

use std::hint::black_box;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::ItemsCount;
use phoneguard_numbering::{NumberTable, lookup, parse};

fn main() {
    divan::main();
}

/// How many numbers the hot-path benchmarks walk through.
const MANY: usize = 1_000_000;
/// How many the slower benchmarks use.
const FEW: usize = 10_000;

/// A small deterministic generator (xorshift64*), so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Numbers as people have them: a prefix phone.dat knows, 4 random digits.
static NUMBERS: LazyLock<Vec<[u8; 11]>> = LazyLock::new(|| {
    let prefixes: Vec<u32> = NumberTable::embedded().iter().map(|(p, _)| p).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..MANY)
        .map(|_| {
            let n = u64::from(prefixes[rng.below(prefixes.len())]) * 10_000 + rng.next() % 10_000;
            let mut digits = [0u8; 11];
            digits.copy_from_slice(n.to_string().as_bytes());
            digits
        })
        .collect()
});

static TEXTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    NUMBERS[..FEW]
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect()
});

static FORMATTED: LazyLock<Vec<String>> = LazyLock::new(|| {
    TEXTS
        .iter()
        .enumerate()
        .map(|(i, n)| match i % 4 {
            0 => format!("+86 {}-{}-{}", &n[..3], &n[3..7], &n[7..]),
            1 => format!("0086{n}"),
            2 => n
                .chars()
                .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c))
                .collect(),
            _ => format!(" ({}) {} {} ", &n[..3], &n[3..7], &n[7..]),
        })
        .collect()
});

/// The hot path: 11 ASCII digits → entry (record id + card type).
#[divan::bench(sample_count = 30)]
fn lookup_cn_mobile(bencher: Bencher) {
    let table = NumberTable::embedded();
    let numbers = &*NUMBERS;
    bencher.counter(ItemsCount::new(numbers.len())).bench(|| {
        let mut acc = 0u32;
        for n in numbers {
            acc = acc.wrapping_add(
                table
                    .lookup_cn_mobile(black_box(n))
                    .map_or(0, |e| u32::from(e.raw())),
            );
        }
        acc
    });
}

/// The hot path and then the location it points at.
#[divan::bench(sample_count = 30)]
fn lookup_cn_mobile_with_location(bencher: Bencher) {
    let table = NumberTable::embedded();
    let numbers = &*NUMBERS;
    bencher.counter(ItemsCount::new(numbers.len())).bench(|| {
        let mut acc = 0usize;
        for n in numbers {
            let location = table
                .lookup_cn_mobile(black_box(n))
                .and_then(|e| table.location(e));
            acc = acc.wrapping_add(location.map_or(0, |l| l.city.len()));
        }
        acc
    });
}

/// `lookup`: parse, rules, table, and the `NumberInfo` with its strings.
#[divan::bench]
fn full_lookup(bencher: Bencher) {
    let table = NumberTable::embedded();
    let texts = &*TEXTS;
    bencher.counter(ItemsCount::new(FEW)).bench(|| {
        for n in texts {
            black_box(lookup(table, black_box(n)).ok());
        }
    });
}

/// `parse` of formatted numbers (`+86 138-…`, `0086…`, full-width, brackets).
#[divan::bench]
fn parse_formatted(bencher: Bencher) {
    let formatted = &*FORMATTED;
    bencher.counter(ItemsCount::new(FEW)).bench(|| {
        for n in formatted {
            black_box(parse(black_box(n)).ok());
        }
    });
}

/// `parse` of an international number: libphonenumber's metadata does the work.
#[divan::bench]
fn parse_international(bencher: Bencher) {
    phoneguard_numbering::preload();
    bencher.bench(|| parse(black_box("+44 7911 123456")).is_ok());
}

/// Loading and validating the embedded table (done once at start).
#[divan::bench(sample_count = 20)]
fn load_embedded_table(bencher: Bencher) {
    let bytes: &'static [u8] = include_bytes!("../../../data/numbering.bin");
    bencher.bench(|| NumberTable::from_static(black_box(bytes)).map(|t| t.len()));
}
