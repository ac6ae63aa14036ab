//! Readings as the gRPC `Metric` workers and clients report and `fsadmin` reads.

use alluxio_proto::grpc::{Metric, MetricType};

use crate::{Kind, Reading};

impl From<Reading> for Metric {
    fn from(reading: Reading) -> Self {
        let kind = match reading.kind {
            Kind::Counter => MetricType::Counter,
            Kind::Meter => MetricType::Meter,
            Kind::Gauge => MetricType::Gauge,
        };
        Metric {
            name: reading.name,
            metric_type: kind.into(),
            value: reading.value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_keep_name_kind_and_value() {
        let metric = Metric::from(Reading {
            name: "Worker.BytesReadUfs".into(),
            kind: Kind::Meter,
            value: 4.0,
        });
        assert_eq!(metric.name, "Worker.BytesReadUfs");
        assert_eq!(metric.metric_type(), MetricType::Meter);
        assert_eq!(metric.value, 4.0);
    }
}
