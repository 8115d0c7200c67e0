//! What a deployed module weighs and where the bytes go: raw, gzip and brotli sizes, and a
//! breakdown of the code section by crate, read from the name section with wasmparser.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use wasmparser::{KnownCustom, Name, Parser, Payload};

/// Sizes of one module file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

pub fn sizes(wasm: &Path) -> Result<Sizes> {
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gzip = gz.finish()?.len() as u64;
    let mut br = Vec::new();
    {
        // Quality 11, window 22: what `brotli -q 11` and CDNs use for static assets.
        let mut writer = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        writer.write_all(&bytes)?;
    }
    Ok(Sizes {
        raw: bytes.len() as u64,
        gzip,
        brotli: br.len() as u64,
    })
}

/// Where a module's bytes go.
#[derive(Debug, Clone, Default)]
pub struct Breakdown {
    /// Bytes per section kind (`code`, `data`, `custom:name`, …).
    pub sections: BTreeMap<String, u64>,
    /// Function body bytes per crate (or bucket), largest first.
    pub crates: Vec<(String, u64)>,
    /// Whether the module had function names to attribute code with.
    pub named: bool,
    /// The attribution comes from a copy built with names kept (the module itself has none).
    pub from_named_copy: bool,
}

impl Breakdown {
    pub fn code_bytes(&self) -> u64 {
        self.crates.iter().map(|(_, n)| n).sum()
    }
}

pub fn breakdown(wasm: &Path) -> Result<Breakdown> {
    // Long on purpose: one pass over the module: the name section gives each function's crate,
    // the code section its size.
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let mut sections: BTreeMap<String, u64> = BTreeMap::new();
    let mut imported_functions = 0u32;
    let mut bodies: Vec<u64> = Vec::new();
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    for payload in Parser::new(0).parse_all(&bytes) {
        let payload = payload.context("not a valid wasm module")?;
        if let Some((id, range)) = payload.as_section() {
            let kind = match &payload {
                Payload::CustomSection(c) => format!("custom:{}", c.name()),
                _ => section_name(id).to_owned(),
            };
            *sections.entry(kind).or_default() += range.end - range.start;
        }
        match payload {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import?.ty, wasmparser::TypeRef::Func(_)) {
                        imported_functions += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                bodies.push(range.end - range.start);
            }
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(reader) = custom.as_known() {
                    for name in reader.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                names.insert(naming.index, naming.name.to_owned());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut per_crate: BTreeMap<String, u64> = BTreeMap::new();
    for (i, size) in bodies.iter().enumerate() {
        let index = imported_functions + i as u32;
        let owner = names
            .get(&index)
            .map_or_else(|| "(no name)".to_owned(), |n| owner_of(n));
        *per_crate.entry(owner).or_default() += size;
    }
    let unnamed = per_crate.get("(no name)").copied().unwrap_or(0);
    let total: u64 = bodies.iter().sum();
    let mut crates: Vec<(String, u64)> = per_crate.into_iter().collect();
    crates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Breakdown {
        sections,
        crates,
        // wasm-bindgen names its own shims even in a stripped module: only a module whose
        // code is mostly named can be attributed.
        named: unnamed * 2 < total,
        from_named_copy: false,
    })
}

fn section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data count",
        13 => "tag",
        _ => "other",
    }
}

/// The crate a function belongs to, from its (mangled) name; float formatting, the biggest
/// single item in many small modules, gets a bucket of its own.
pub fn owner_of(mangled: &str) -> String {
    let name = format!("{:#}", rustc_demangle::demangle(mangled));
    if name.contains("core::fmt::float") || name.contains("core::num::flt2dec") {
        return "core::fmt (float formatting)".into();
    }
    if name.starts_with("__wbg") || name.starts_with("__wbindgen") || name.contains("__wbg_") {
        return "wasm-bindgen glue".into();
    }
    // `<a::B as c::D>::f` belongs to the crate of the type, `a`.
    let trimmed = name.trim_start_matches(['<', '&', '*', '(', '[']);
    let trimmed = trimmed
        .strip_prefix("mut ")
        .or_else(|| trimmed.strip_prefix("dyn "))
        .or_else(|| trimmed.strip_prefix("const "))
        .unwrap_or(trimmed)
        .trim_start_matches(['<', '&']);
    let krate: String = trimmed
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if krate.is_empty() {
        "(other)".into()
    } else {
        krate
    }
}

/// What to do about a big contributor, and the book section that explains it.
pub fn hint_for(owner: &str) -> Option<(&'static str, &'static str)> {
    Some(match owner {
        "url" | "idna" | "icu_normalizer" | "icu_properties" | "icu_collections" | "icu_provider" | "idna_adapter" | "utf8_iter" | "form_urlencoded" | "percent_encoding" => (
            "`req.url()` parses the whole URL (url + IDNA/ICU tables); route on `req.path()`, which does not",
            "labs/lab-3-size-reduction.md#url",
        ),
        "regex" | "regex_automata" | "regex_syntax" | "aho_corasick" | "memchr" => (
            "a regex engine for trivial matching; `split`, `contains` and `char` methods do the same here",
            "labs/lab-3-size-reduction.md#regex",
        ),
        "chrono_tz" | "chrono" | "parse_zoneinfo" => (
            "time-zone tables and a calendar library to print a date; format the few fields you need by hand",
            "labs/lab-3-size-reduction.md#dates",
        ),
        "core::fmt (float formatting)" => (
            "float formatting (`{:.2}` on f64) pulls in Grisu/Ryu; format integers (e.g. hundredths) instead",
            "labs/lab-3-size-reduction.md#formatting",
        ),
        "serde_json" | "serde" | "serde_core" | "indexmap" | "hashbrown" => (
            "serde_json: build replies with fewer generic paths (one Value type, data instead of code for static lists); measure features such as preserve_order both ways",
            "labs/lab-3-size-reduction.md#serde",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::owner_of;

    #[test]
    fn functions_are_attributed_to_their_crate() {
        assert_eq!(
            owner_of("_ZN3url6parser6Parser10parse_path17h0123456789abcdefE"),
            "url"
        );
        assert_eq!(
            owner_of("_ZN4core3fmt5float29float_to_decimal_common_exact17h0123456789abcdefE"),
            "core::fmt (float formatting)"
        );
        assert_eq!(owner_of("_ZN60_$LT$alloc..string..String$u20$as$u20$core..fmt..Display$GT$3fmt17h0123456789abcdefE"), "alloc");
        assert_eq!(owner_of("__wbg_call_1234"), "wasm-bindgen glue");
        assert_eq!(owner_of("dlmalloc"), "dlmalloc");
    }
}
