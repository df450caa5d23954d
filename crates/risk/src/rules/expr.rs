//! The CEL side of rules: one shared environment, the root context with our
//! functions, and the per-event scope that resolves feature names.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use cel::common::types::{CelBool, CelDouble, CelInt, CelString};
use cel::common::value::CowVal;
use cel::context::VariableResolver;
use cel::{Context, Env, Value};

use crate::features::{CidrList, Feature, FeatureValue, Features};

/// The environment every rule is compiled and run with (standard library).
pub(crate) fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    Arc::clone(ENV.get_or_init(|| Arc::new(Env::stdlib())))
}

/// The root context: the standard library plus
///
/// - `ratio(a, b)`: `a / b` as a double for any numbers, 0 when `b` is 0;
/// - `max(a, b, …)`, `min(a, b, …)`;
/// - `in_cidr(ip, "a.b.c.d/n")`: whether the IP string is in the range
///   (false for anything that does not parse).
///
/// Built once per [`crate::Engine`]; each event gets a child scope.
pub(crate) fn root_context() -> Context<'static, 'static> {
    let mut ctx = Context::with_env(env());
    // These names are not overloads of the standard library, so adding
    // them cannot fail; an error would only leave the function undeclared,
    // which rule compilation then reports.
    let _ = ctx.add_function("ratio", ratio);
    let _ = ctx.add_function("max", cel::functions::max);
    let _ = ctx.add_function("min", cel::functions::min);
    let _ = ctx.add_function("in_cidr", in_cidr);
    ctx
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}

fn ratio(a: Value, b: Value) -> f64 {
    match (number(&a), number(&b)) {
        (Some(a), Some(b)) if b != 0.0 => a / b,
        _ => 0.0,
    }
}

fn in_cidr(ip: Arc<String>, cidr: Arc<String>) -> bool {
    match (
        ip.trim().parse::<IpAddr>(),
        CidrList::parse(&[cidr.as_str()]),
    ) {
        (Ok(ip), Ok(list)) => list.contains(ip),
        _ => false,
    }
}

/// Resolves identifiers of a rule to the event's features.
pub(crate) struct FeatureScope<'a> {
    pub(crate) features: &'a Features,
}

impl VariableResolver for FeatureScope<'_> {
    fn resolve<'b>(&'b self, name: &str) -> Option<CowVal<'b, 'b>> {
        let feature = Feature::from_name(name)?;
        Some(match self.features.get(feature) {
            FeatureValue::Bool(true) => CowVal::Borrowed(&CelBool::TRUE),
            FeatureValue::Bool(false) => CowVal::Borrowed(&CelBool::FALSE),
            FeatureValue::Int(i) => CowVal::owned(CelInt::from(*i)),
            FeatureValue::Float(x) => CowVal::owned(CelDouble::from(*x)),
            FeatureValue::Str(s) => CowVal::owned(CelString::from(s.as_ref())),
        })
    }
}

/// Calls `f` with a child scope of `root` whose identifiers are the
/// event's features: one scope per event, shared by all its rules.
pub(crate) fn with_features<R>(
    root: &Context<'static, 'static>,
    features: &Features,
    f: impl FnOnce(&Context<'_, '_>) -> R,
) -> R {
    let scope = FeatureScope { features };
    let mut ctx = root.new_inner_scope();
    ctx.set_variable_resolver(&scope);
    f(&ctx)
}

/// Runs `program` in `ctx`: whether the rule fires, or an error text if it
/// did not give a boolean.
pub(crate) fn run(ctx: &Context<'_, '_>, program: &cel::Program) -> Result<bool, String> {
    match program.execute(ctx) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("gave {other:?}, not a boolean")),
        Err(e) => Err(e.to_string()),
    }
}

/// Names bound by comprehensions (`list.exists(x, …)` binds `x`), which
/// are not features although `Program::references` lists them.
pub(crate) fn bound_names(expr: &cel::IdedExpr, out: &mut Vec<String>) {
    use cel::common::ast::{EntryExpr, Expr};
    match &expr.expr {
        Expr::Call(call) => {
            call.target.iter().for_each(|t| bound_names(t, out));
            call.args.iter().for_each(|a| bound_names(a, out));
        }
        Expr::Comprehension(c) => {
            out.push(c.iter_var.clone());
            out.extend(c.iter_var2.clone());
            out.push(c.accu_var.clone());
            for part in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                bound_names(part, out);
            }
        }
        Expr::List(list) => list.elements.iter().for_each(|e| bound_names(e, out)),
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(e) = &entry.expr {
                    bound_names(&e.key, out);
                    bound_names(&e.value, out);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(f) = &entry.expr {
                    bound_names(&f.value, out);
                }
            }
        }
        Expr::Select(select) => bound_names(&select.operand, out),
        Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => {}
    }
}
