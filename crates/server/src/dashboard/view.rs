//! The page shell (maud): head with viewport, stacking CSS, navigation, window
//! and language switches, logout form; and the login page.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::dashboard::data::Window;
use crate::dashboard::i18n::Lang;

/// What every page needs to draw its shell and links.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Label language.
    pub lang: Lang,
    /// Time window.
    pub window: Window,
    /// CSRF token for the page's forms.
    pub csrf: String,
}

impl Ctx {
    /// A dashboard link keeping the window and language.
    pub fn href(&self, path: &str) -> String {
        format!(
            "{path}?window={}&lang={}",
            self.window.code(),
            self.lang.code()
        )
    }
}

const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;color:#1f2937;background:#f3f4f6}
header{background:#111827;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header a{color:#d1d5db;text-decoration:none;padding:.2rem .4rem;border-radius:4px}header a.on{background:#374151;color:#fff}
header .brand{font-weight:600;margin-right:.5rem}nav{display:flex;flex-wrap:wrap;gap:.25rem}
.bar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;padding:.5rem 1rem;background:#e5e7eb}
.bar a{padding:.15rem .5rem;border:1px solid #9ca3af;border-radius:4px;color:#111827;text-decoration:none}.bar a.on{background:#111827;color:#fff}
main{padding:1rem;max-width:1600px;margin:auto}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.2rem 0 .5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:1rem;margin-bottom:1rem}
.card{background:#fff;border-radius:8px;padding:.8rem;box-shadow:0 1px 2px rgba(0,0,0,.08);overflow-x:auto}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.8rem;margin-bottom:1rem}
.tile{background:#fff;border-radius:8px;padding:.7rem}.tile b{display:block;font-size:1.4rem}
svg{max-width:100%;height:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb;white-space:nowrap}th{background:#f9fafb}
td.n,th.n{text-align:right}td.wrap{white-space:normal;min-width:7em}#suppliers th{white-space:normal}.muted{color:#6b7280}.ok{color:#15803d}.bad{color:#b91c1c}
form.inline{display:flex;gap:.4rem;align-items:center;flex-wrap:wrap}input,select,button{font:inherit;padding:.3rem .5rem}
button{background:#2563eb;color:#fff;border:0;border-radius:4px;cursor:pointer}button.ghost{background:#6b7280}
.note{background:#dcfce7;padding:.6rem;border-radius:6px;margin-bottom:1rem}
@media (max-width:640px){main{padding:.5rem}.grid{grid-template-columns:1fr}header{padding:.5rem}}
"#;

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (lang.t("title")) }
            style { (PreEscaped(CSS)) }
        }
    }
}

/// Pages of the navigation: (path, label key).
pub const PAGES: &[(&str, &str)] = &[
    ("/dashboard", "overview"),
    ("/dashboard/suppliers", "suppliers"),
    ("/dashboard/verifications", "verifications"),
    ("/dashboard/risk", "risk"),
    ("/dashboard/tenants", "tenants"),
    ("/dashboard/usage", "usage"),
];

/// A full page: shell around `body`, with `path` marked in the navigation.
pub fn page(ctx: &Ctx, path: &str, title_key: &'static str, body: Markup) -> Markup {
    let lang = ctx.lang;
    let other = match lang {
        Lang::En => ("zh", "中文"),
        Lang::Zh => ("en", "English"),
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, lang.t(title_key)))
            body {
                header {
                    span.brand { (lang.t("title")) }
                    nav {
                        @for &(p, key) in PAGES {
                            a class=[(p == path).then_some("on")] href=(ctx.href(p)) { (lang.t(key)) }
                        }
                    }
                }
                div.bar {
                    span { (lang.t("window")) ":" }
                    @for w in Window::ALL {
                        a class=[(w == ctx.window).then_some("on")]
                          href={ (path) "?window=" (w.code()) "&lang=" (lang.code()) } { (w.code()) }
                    }
                    a href={ (path) "?window=" (ctx.window.code()) "&lang=" (other.0) } { (other.1) }
                    form.inline method="post" action="/dashboard/logout" style="margin-left:auto" {
                        input type="hidden" name="csrf" value=(ctx.csrf);
                        button.ghost type="submit" { (lang.t("logout")) }
                    }
                }
                main {
                    h1 { (lang.t(title_key)) }
                    (body)
                }
            }
        }
    }
}

/// The login page, with an error line after a refused token.
pub fn login(lang: Lang, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, lang.t("login")))
            body {
                main style="max-width:420px" {
                    h1 { (lang.t("title")) }
                    div.card {
                        @if let Some(e) = error { p.bad { (e) } }
                        form method="post" action="/dashboard/login" {
                            input type="hidden" name="lang" value=(lang.code());
                            p {
                                label for="token" { (lang.t("admin_token")) }
                                br;
                                input id="token" name="token" type="password" autocomplete="off" required style="width:100%";
                            }
                            button type="submit" { (lang.t("login")) }
                        }
                    }
                }
            }
        }
    }
}

/// A table from a header row and body rows; numeric columns are right-aligned.
pub fn table(
    lang: Lang,
    heads: &[&'static str],
    numeric_from: usize,
    rows: Vec<Vec<String>>,
) -> Markup {
    html! {
        @if rows.is_empty() {
            p.muted { (lang.t("none")) }
        } @else {
            table {
                thead { tr { @for (i, h) in heads.iter().enumerate() {
                    th class=[(i >= numeric_from).then_some("n")] { (lang.t(h)) }
                } } }
                tbody { @for r in rows { tr { @for (i, c) in r.iter().enumerate() {
                    td class=[(i >= numeric_from).then_some("n")] { (c) }
                } } } }
            }
        }
    }
}

/// A chart card.
pub fn chart(svg: String) -> Markup {
    html! { div.card { (PreEscaped(svg)) } }
}

/// A percentage with one decimal, `–` for no calls.
pub fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}
