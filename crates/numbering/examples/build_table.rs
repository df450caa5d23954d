//! Compiles a phone.dat into the table format:
//! `cargo run -p phoneguard-numbering --example build_table -- phone.dat data/numbering.bin`
//! (the `phoneguard data build` command does the same).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: build_table PHONE_DAT OUT");
        return ExitCode::from(2);
    };
    let result = std::fs::read(input)
        .map_err(|e| format!("cannot read {input}: {e}"))
        .and_then(|dat| {
            phoneguard_numbering::build_table(&dat).map_err(|e| format!("{input}: {e}"))
        })
        .and_then(|table| {
            let loaded =
                phoneguard_numbering::NumberTable::from_bytes(&table).map_err(|e| e.to_string())?;
            std::fs::write(output, &table).map_err(|e| format!("cannot write {output}: {e}"))?;
            Ok(format!("{output}: {} bytes, {loaded:?}", table.len()))
        });
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
