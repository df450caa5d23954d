//! `phoneguard lookup`: local number intelligence from the command line.
//!
//! One output row per input line, in order; invalid inputs are flagged, never
//! skipped. JSON lines with `--json`, CSV otherwise. Files are processed in chunks
//! spread over the machine's cores, written back in input order.

use std::io::{self, BufRead, Read, Write};

use phoneguard_numbering::{NumberTable, csv_field};
use serde_json::json;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// CSV columns, in order.
pub const CSV_HEADER: &str = "input,valid,number,national,country,type,province,city,area_code,zip,carrier,carrier_name,network,segment,error";

/// Bytes read per block handed to the worker threads.
const BLOCK_BYTES: usize = 1 << 20;

/// Appends the output row for one input line to `out`.
pub fn write_row(table: &NumberTable, input: &str, format: Format, out: &mut Vec<u8>) {
    let input = input.trim_end_matches(['\r', '\n']);
    match format {
        Format::JsonLines => {
            if let Err(e) = table.write_json(input, out) {
                let row = json!({"input": input, "valid": false, "reason": e.code(),
                    "error": e.code(), "detail": e.to_string()});
                out.extend_from_slice(row.to_string().as_bytes());
            }
        }
        Format::Csv => {
            csv_field(input, out);
            out.push(b',');
            if let Err(e) = table.write_csv(input, out) {
                // valid = false, 12 empty fields, then the error code.
                out.extend_from_slice(b"false,,,,,,,,,,,,,");
                out.extend_from_slice(e.code().as_bytes());
            }
        }
    }
    out.push(b'\n');
}

/// Looks up each of `inputs` and writes the rows (with the CSV header first).
pub fn run_args(
    table: &NumberTable,
    inputs: &[String],
    format: Format,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut buf = Vec::new();
    if format == Format::Csv {
        buf.extend_from_slice(CSV_HEADER.as_bytes());
        buf.push(b'\n');
    }
    for input in inputs {
        write_row(table, input, format, &mut buf);
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Counts of a file run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Input lines read (= rows written).
    pub rows: u64,
}

/// Reads `input` line by line and writes one row per line to `out`; `progress`
/// is told the number of bytes consumed after every chunk.
pub fn run_reader(
    table: &NumberTable,
    input: impl BufRead,
    format: Format,
    out: &mut impl Write,
    mut progress: impl FnMut(u64),
) -> io::Result<Stats> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let mut stats = Stats::default();
    if format == Format::Csv {
        out.write_all(CSV_HEADER.as_bytes())?;
        out.write_all(b"\n")?;
    }
    let mut input = input;
    let mut carry: Vec<u8> = Vec::new();
    let mut outputs: Vec<Vec<u8>> = Vec::new();
    loop {
        // Read a block, cut it after its last line break (the rest waits for the
        // next block), and split it into lines in place: no allocation per line.
        let mut block = std::mem::take(&mut carry);
        let read = (&mut input)
            .take(BLOCK_BYTES as u64)
            .read_to_end(&mut block)?;
        if block.is_empty() {
            break;
        }
        if read > 0 {
            match block.iter().rposition(|&b| b == b'\n') {
                Some(i) => carry = block.split_off(i + 1),
                None => {
                    carry = block;
                    continue;
                }
            }
        }
        let bytes = block.len() as u64;
        let text = block.strip_suffix(b"\n").unwrap_or(&block);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let per = lines.len().div_ceil(workers);
        // One output buffer per worker, reused block after block: no fresh
        // pages to fault in for every block.
        outputs.resize_with(lines.len().div_ceil(per), Vec::new);
        std::thread::scope(|s| {
            for (part, buf) in lines.chunks(per).zip(outputs.iter_mut()) {
                s.spawn(move || {
                    buf.clear();
                    for line in part {
                        match std::str::from_utf8(line) {
                            Ok(text) => write_row(table, text, format, buf),
                            // Invalid UTF-8 is still one row, flagged, never skipped.
                            Err(_) => write_row(table, &String::from_utf8_lossy(line), format, buf),
                        }
                    }
                });
            }
        });
        for o in &outputs[..lines.len().div_ceil(per)] {
            out.write_all(o)?;
        }
        stats.rows += lines.len() as u64;
        progress(bytes);
        if read == 0 {
            break;
        }
    }
    out.flush()?;
    Ok(stats)
}
