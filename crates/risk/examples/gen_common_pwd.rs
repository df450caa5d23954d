//! Writes `data/common_pwd_md5.bin`: the MD5s of zxcvbn's 30,000 most
//! common passwords plus a few dozen from Chinese leak studies, as sorted,
//! distinct 16-byte digests.
//!
//! ```sh
//! cargo run -p phoneguard-risk --example gen_common_pwd [PATH/TO/frequency_lists.rs]
//! ```
//!
//! Without an argument it finds the `zxcvbn` crate (a dev-dependency) with
//! `cargo metadata` and reads its `src/frequency_lists.rs`.

use std::path::PathBuf;
use std::process::Command;

use md5::{Digest, Md5};

/// Passwords ranked high in analyses of the 2011 CSDN and Tianya leaks.
const CHINESE: &[&str] = &[
    "123456789",
    "12345678",
    "11111111",
    "dearbook",
    "00000000",
    "123123123",
    "1234567890",
    "88888888",
    "111111111",
    "147258369",
    "987654321",
    "aaaaaaaa",
    "1111111111",
    "66666666",
    "a123456789",
    "11223344",
    "1qaz2wsx",
    "xiazhili",
    "789456123",
    "87654321",
    "qqqqqqqq",
    "000000000",
    "qq123456",
    "31415926",
    "12344321",
    "0000000000",
    "asdfghjkl",
    "1q2w3e4r",
    "123456abc",
    "0123456789",
    "123654789",
    "12121212",
    "qazwsxedc",
    "abcd1234",
    "12341234",
    "110110110",
    "asdasdasd",
    "22222222",
    "123321123",
    "abc123456",
    "a12345678",
    "123456123",
    "a1234567",
    "1234qwer",
    "qwertyui",
    "123456789a",
    "5201314",
    "woaini1314",
    "woaini",
    "wodemima",
    "aa123456",
    "1314520",
    "520520",
    "521521",
    "aini1314",
    "wang123456",
    "qwe123",
    "asd123",
    "zxc123",
    "147258",
    "159357",
    "7758521",
    "7758258",
    "168168",
    "518518",
    "a5201314",
    "qq5201314",
    "woaini520",
    "iloveyou1314",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let source = match std::env::args().nth(1) {
        Some(path) => PathBuf::from(path),
        None => zxcvbn_dir()?.join("src/frequency_lists.rs"),
    };
    let text = std::fs::read_to_string(&source)?;
    let list = text
        .lines()
        .find_map(|l| l.strip_prefix("const PASSWORDS: &str = \""))
        .and_then(|l| l.strip_suffix("\";"))
        .ok_or("no `const PASSWORDS` line in the frequency lists")?;
    let passwords: Vec<&str> = list.split(',').chain(CHINESE.iter().copied()).collect();
    let mut digests: Vec<[u8; 16]> = passwords
        .iter()
        .map(|p| Md5::digest(p.as_bytes()).into())
        .collect();
    digests.sort_unstable();
    digests.dedup();
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/common_pwd_md5.bin");
    std::fs::write(&out, digests.concat())?;
    eprintln!(
        "{} passwords → {} digests → {}",
        passwords.len(),
        digests.len(),
        out.display()
    );
    Ok(())
}

/// The directory of the `zxcvbn` package this crate resolves to.
fn zxcvbn_dir() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--manifest-path",
            manifest,
        ])
        .output()?;
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let path = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "zxcvbn"))
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or("zxcvbn is not in `cargo metadata`")?;
    Ok(PathBuf::from(path)
        .parent()
        .ok_or("bad manifest path")?
        .to_path_buf())
}
