//! A native evaluator for the common shape of rule conditions.
//!
//! The CEL interpreter allocates on every relational operator (it builds
//! the "no such overload" error before it knows it needs it), which makes a
//! rule cost ~0.3 µs. Conditions made only of features, literals, `!`,
//! `&&`, `||`, comparisons and `ratio()`, and well typed, are also compiled
//! here from CEL's own syntax tree into a tree that reads the features
//! directly. Such conditions cannot fail at run time (no arithmetic, no
//! overflow, no type error), so the two agree; the property test
//! `fast_path_agrees_with_the_interpreter` checks it on random features.
//! Anything else returns `None` and runs in the interpreter.

use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue, operators};

use crate::features::{Feature, FeatureKind, Features};

/// A compiled boolean condition.
#[derive(Debug)]
pub(crate) enum Cond {
    Const(bool),
    Flag(Feature),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    BoolEq(bool, Box<Cond>, Box<Cond>),
    Int(Cmp, Num, Num),
    Float(Cmp, Num, Num),
    StrEq(bool, Text, Text),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug)]
pub(crate) enum Num {
    IntFeature(Feature),
    FloatFeature(Feature),
    Int(i64),
    Float(f64),
    Ratio(Box<Num>, Box<Num>),
}

#[derive(Debug)]
pub(crate) enum Text {
    Feature(Feature),
    Lit(String),
}

enum Operand {
    Bool(Cond),
    Num(Num),
    Text(Text),
}

impl Num {
    fn is_int(&self) -> bool {
        matches!(self, Num::IntFeature(_) | Num::Int(_))
    }

    fn int(&self, f: &Features) -> i64 {
        match self {
            Num::IntFeature(feature) => f.get(*feature).as_int().unwrap_or(0),
            Num::Int(i) => *i,
            _ => 0,
        }
    }

    fn float(&self, f: &Features) -> f64 {
        match self {
            Num::IntFeature(_) | Num::Int(_) => self.int(f) as f64,
            Num::FloatFeature(feature) => match f.get(*feature) {
                crate::FeatureValue::Float(x) => *x,
                _ => 0.0,
            },
            Num::Float(x) => *x,
            Num::Ratio(a, b) => {
                let (a, b) = (a.float(f), b.float(f));
                if b != 0.0 { a / b } else { 0.0 }
            }
        }
    }
}

impl Text {
    fn get<'a>(&'a self, f: &'a Features) -> &'a str {
        match self {
            Text::Feature(feature) => f.get(*feature).as_str().unwrap_or(""),
            Text::Lit(s) => s,
        }
    }
}

impl Cmp {
    fn of(op: &str) -> Option<Cmp> {
        Some(match op {
            operators::LESS => Cmp::Lt,
            operators::LESS_EQUALS => Cmp::Le,
            operators::GREATER => Cmp::Gt,
            operators::GREATER_EQUALS => Cmp::Ge,
            operators::EQUALS => Cmp::Eq,
            operators::NOT_EQUALS => Cmp::Ne,
            _ => return None,
        })
    }

    fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }

    fn is_equality(self) -> bool {
        matches!(self, Cmp::Eq | Cmp::Ne)
    }
}

/// The native form of `expr`, if it has one.
pub(crate) fn compile(expr: &IdedExpr) -> Option<Cond> {
    match operand(expr)? {
        Operand::Bool(c) => Some(c),
        Operand::Num(_) | Operand::Text(_) => None,
    }
}

fn operand(expr: &IdedExpr) -> Option<Operand> {
    match &expr.expr {
        Expr::Literal(LiteralValue::Boolean(b)) => Some(Operand::Bool(Cond::Const(*b.inner()))),
        Expr::Literal(LiteralValue::Int(i)) => Some(Operand::Num(Num::Int(*i.inner()))),
        Expr::Literal(LiteralValue::Double(x)) => Some(Operand::Num(Num::Float(*x.inner()))),
        Expr::Literal(LiteralValue::String(s)) => {
            Some(Operand::Text(Text::Lit(s.inner().to_owned())))
        }
        Expr::Ident(name) => {
            let f = Feature::from_name(name)?;
            Some(match f.kind() {
                FeatureKind::Bool => Operand::Bool(Cond::Flag(f)),
                FeatureKind::Int => Operand::Num(Num::IntFeature(f)),
                FeatureKind::Float => Operand::Num(Num::FloatFeature(f)),
                FeatureKind::Str => Operand::Text(Text::Feature(f)),
            })
        }
        Expr::Call(call) if call.target.is_none() => {
            let args: Vec<Operand> = call.args.iter().map(operand).collect::<Option<_>>()?;
            call_operand(&call.func_name, args)
        }
        _ => None,
    }
}

fn call_operand(func: &str, args: Vec<Operand>) -> Option<Operand> {
    let mut args = args.into_iter();
    let (a, b) = (args.next(), args.next());
    if args.next().is_some() {
        return None;
    }
    let cond = match (func, a, b) {
        (operators::LOGICAL_NOT, Some(Operand::Bool(a)), None) => Cond::Not(Box::new(a)),
        (operators::LOGICAL_AND, Some(Operand::Bool(a)), Some(Operand::Bool(b))) => {
            Cond::And(Box::new(a), Box::new(b))
        }
        (operators::LOGICAL_OR, Some(Operand::Bool(a)), Some(Operand::Bool(b))) => {
            Cond::Or(Box::new(a), Box::new(b))
        }
        (operators::NEGATE, Some(Operand::Num(Num::Int(i))), None) => {
            return i.checked_neg().map(|n| Operand::Num(Num::Int(n)));
        }
        (operators::NEGATE, Some(Operand::Num(Num::Float(x))), None) => {
            return Some(Operand::Num(Num::Float(-x)));
        }
        ("ratio", Some(Operand::Num(a)), Some(Operand::Num(b))) => {
            return Some(Operand::Num(Num::Ratio(Box::new(a), Box::new(b))));
        }
        (op, Some(a), Some(b)) => {
            let cmp = Cmp::of(op)?;
            match (a, b) {
                (Operand::Num(a), Operand::Num(b)) if a.is_int() && b.is_int() => {
                    Cond::Int(cmp, a, b)
                }
                // Mixed int/double equality is left to the interpreter.
                (Operand::Num(a), Operand::Num(b))
                    if !cmp.is_equality() || (!a.is_int() && !b.is_int()) =>
                {
                    Cond::Float(cmp, a, b)
                }
                (Operand::Text(a), Operand::Text(b)) if cmp.is_equality() => {
                    Cond::StrEq(matches!(cmp, Cmp::Eq), a, b)
                }
                (Operand::Bool(a), Operand::Bool(b)) if cmp.is_equality() => {
                    Cond::BoolEq(matches!(cmp, Cmp::Eq), Box::new(a), Box::new(b))
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(Operand::Bool(cond))
}

impl Cond {
    /// Whether the condition holds for `f`.
    pub(crate) fn eval(&self, f: &Features) -> bool {
        match self {
            Cond::Const(b) => *b,
            Cond::Flag(feature) => f.get(*feature).as_bool().unwrap_or(false),
            Cond::Not(c) => !c.eval(f),
            Cond::And(a, b) => a.eval(f) && b.eval(f),
            Cond::Or(a, b) => a.eval(f) || b.eval(f),
            Cond::BoolEq(eq, a, b) => (a.eval(f) == b.eval(f)) == *eq,
            Cond::Int(cmp, a, b) => cmp.holds(a.int(f), b.int(f)),
            Cond::Float(cmp, a, b) => cmp.holds(a.float(f), b.float(f)),
            Cond::StrEq(eq, a, b) => (a.get(f) == b.get(f)) == *eq,
        }
    }
}
