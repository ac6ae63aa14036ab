//! Output of `alluxio bench`: one aligned line per case for people, or one JSON object per line
//! (`--json`) for scripts.

use serde_json::{Map, Value, json};

/// The physical limit a figure is compared with, measured in the same run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// What was measured (e.g. `tmpfs_read`).
    pub name: &'static str,
    /// The limit's figure, in the same unit as the case.
    pub value: f64,
}

/// One result line: a figure, or the reason the case could not be measured.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A measured figure, with its limit where one applies.
    Figure {
        /// The figure.
        value: f64,
        /// Its unit (`MiB/s`, `ops/s`, `files/s`).
        unit: &'static str,
        /// The physical limit it is compared with.
        limit: Option<Limit>,
    },
    /// The case failed or measured the wrong thing.
    Error(String),
}

/// A named case and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Case name, e.g. `read.short_circuit`.
    pub case: String,
    /// What came out of it.
    pub outcome: Outcome,
}

impl Line {
    /// A figure without a limit.
    pub fn figure(case: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Self {
            case: case.into(),
            outcome: Outcome::Figure {
                value,
                unit,
                limit: None,
            },
        }
    }

    /// A figure compared with a limit.
    pub fn against(case: impl Into<String>, value: f64, unit: &'static str, limit: Limit) -> Self {
        Self {
            case: case.into(),
            outcome: Outcome::Figure {
                value,
                unit,
                limit: Some(limit),
            },
        }
    }

    /// A figure compared with `limit` when there is one.
    pub fn against_any(
        case: impl Into<String>,
        value: f64,
        unit: &'static str,
        limit: Option<Limit>,
    ) -> Self {
        Self {
            case: case.into(),
            outcome: Outcome::Figure { value, unit, limit },
        }
    }

    /// A case that could not be measured.
    pub fn error(case: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            case: case.into(),
            outcome: Outcome::Error(message.into()),
        }
    }

    /// The figure, if the case was measured.
    pub fn value(&self) -> Option<f64> {
        match self.outcome {
            Outcome::Figure { value, .. } => Some(value),
            Outcome::Error(_) => None,
        }
    }

    /// The median of the same case measured in several rounds, its limit the median of the
    /// limits measured in those rounds; the first error if any round failed.
    pub fn median(rounds: &[Line]) -> Line {
        let Some(first) = rounds.first() else {
            return Line::error("(no case)", "no round was run");
        };
        let mut values = Vec::with_capacity(rounds.len());
        let mut limits = Vec::with_capacity(rounds.len());
        for line in rounds {
            match &line.outcome {
                Outcome::Error(_) => return line.clone(),
                Outcome::Figure { value, limit, .. } => {
                    values.push(*value);
                    limits.extend(limit.map(|l| l.value));
                }
            }
        }
        let Outcome::Figure { unit, limit, .. } = first.outcome else {
            unreachable!("errors returned above")
        };
        Line {
            case: first.case.clone(),
            outcome: Outcome::Figure {
                value: median(&mut values),
                unit,
                limit: limit.map(|l| Limit {
                    name: l.name,
                    value: median(&mut limits),
                }),
            },
        }
    }

    /// The line as people read it: `case  value unit  limit unit (name)  ratio`.
    pub fn human(&self) -> String {
        match &self.outcome {
            Outcome::Error(message) => format!("{:<32} ERROR {message}", self.case),
            Outcome::Figure {
                value,
                unit,
                limit: None,
            } => {
                format!("{:<32} {value:>12.1} {unit}", self.case)
            }
            Outcome::Figure {
                value,
                unit,
                limit: Some(limit),
            } => format!(
                "{:<32} {value:>12.1} {unit:<8} {:>12.1} {unit:<8} {:<18} {:>6.1}%",
                self.case,
                limit.value,
                limit.name,
                ratio(*value, limit.value) * 100.0
            ),
        }
    }

    /// The line as one JSON object: `case`, `value`, `unit`, and `limit`, `limit_case`, `ratio`
    /// where a limit applies, or `error`.
    pub fn json(&self) -> String {
        let mut object = Map::new();
        object.insert("case".into(), json!(self.case));
        match &self.outcome {
            Outcome::Error(message) => {
                object.insert("error".into(), json!(message));
            }
            Outcome::Figure { value, unit, limit } => {
                object.insert("value".into(), json!(value));
                object.insert("unit".into(), json!(unit));
                if let Some(limit) = limit {
                    object.insert("limit".into(), json!(limit.value));
                    object.insert("limit_case".into(), json!(limit.name));
                    object.insert("ratio".into(), json!(ratio(*value, limit.value)));
                }
            }
        }
        Value::Object(object).to_string()
    }
}

/// `value / limit`, 0 when the limit is not positive (a limit too fast to time).
/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn ratio(value: f64, limit: f64) -> f64 {
    if limit > 0.0 { value / limit } else { 0.0 }
}

/// Prints lines as they come and remembers whether any failed.
#[derive(Debug)]
pub struct Reporter {
    json: bool,
    failures: usize,
}

impl Reporter {
    /// A reporter printing JSON (`true`) or aligned text.
    pub fn new(json: bool) -> Self {
        Self { json, failures: 0 }
    }

    /// Prints the header of the human format (nothing in JSON).
    pub fn header(&self) {
        if !self.json {
            outln!(
                "{:<32} {:>12} {:<8} {:>12} {:<8} {:<18} {:>7}",
                "case",
                "value",
                "unit",
                "limit",
                "unit",
                "limit case",
                "ratio"
            );
        }
    }

    /// Prints one line.
    pub fn emit(&mut self, line: &Line) {
        if matches!(line.outcome, Outcome::Error(_)) {
            self.failures += 1;
        }
        outln!("{}", if self.json { line.json() } else { line.human() });
    }

    /// How many lines were errors.
    pub fn failures(&self) -> usize {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_a_limit_carries_the_ratio() {
        let line = Line::against(
            "read.short_circuit",
            900.0,
            "MiB/s",
            Limit {
                name: "tmpfs_read",
                value: 1000.0,
            },
        );
        let parsed: Value = serde_json::from_str(&line.json()).unwrap();
        assert_eq!(parsed["case"], "read.short_circuit");
        assert_eq!(parsed["value"], 900.0);
        assert_eq!(parsed["unit"], "MiB/s");
        assert_eq!(parsed["limit"], 1000.0);
        assert_eq!(parsed["limit_case"], "tmpfs_read");
        assert_eq!(parsed["ratio"], 0.9);
    }

    #[test]
    fn json_without_a_limit_has_no_ratio_and_errors_have_no_value() {
        let plain: Value =
            serde_json::from_str(&Line::figure("small_files.write", 12.5, "files/s").json()).unwrap();
        assert_eq!(plain["value"], 12.5);
        assert!(plain.get("limit").is_none() && plain.get("ratio").is_none());
        let error: Value = serde_json::from_str(&Line::error("read.data_port", "boom \"x\"").json()).unwrap();
        assert_eq!(error["error"], "boom \"x\"");
        assert!(error.get("value").is_none());
    }

    #[test]
    fn human_lines_align_and_show_the_ratio_in_percent() {
        let limit = Limit {
            name: "loopback_tcp",
            value: 2000.0,
        };
        let a = Line::against("read.data_port", 1500.0, "MiB/s", limit).human();
        let b = Line::figure("metadata.get_status.c16", 61234.56, "ops/s").human();
        assert!(a.ends_with(" 75.0%"), "{a}");
        assert!(a.contains("2000.0 MiB/s") && a.contains("loopback_tcp"), "{a}");
        // Values end in the same column whatever the case name.
        assert_eq!(a.find("1500.0").map(|i| i + 6), b.find("61234.6").map(|i| i + 7));
        assert!(Line::error("x", "why").human().contains("ERROR why"));
    }

    #[test]
    fn median_of_rounds_takes_each_middle_figure_and_keeps_errors() {
        let round = |value, limit| {
            Line::against(
                "read.x",
                value,
                "MiB/s",
                Limit {
                    name: "tmpfs_read",
                    value: limit,
                },
            )
        };
        let three = [round(3.0, 30.0), round(1.0, 10.0), round(2.0, 50.0)];
        assert_eq!(Line::median(&three), round(2.0, 30.0));
        assert_eq!(
            Line::median(&[round(1.0, 10.0), round(4.0, 20.0)]),
            round(2.5, 15.0)
        );
        let failed = Line::error("read.x", "wrong path");
        assert_eq!(Line::median(&[round(1.0, 1.0), failed.clone()]), failed);
    }

    #[test]
    fn a_zero_limit_gives_a_zero_ratio_not_infinity() {
        let line = Line::against(
            "c",
            5.0,
            "MiB/s",
            Limit {
                name: "l",
                value: 0.0,
            },
        );
        let parsed: Value = serde_json::from_str(&line.json()).unwrap();
        assert_eq!(parsed["ratio"], 0.0);
    }
}
