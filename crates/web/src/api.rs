//! Pieces of the JSON REST APIs both processes serve.

use std::collections::BTreeMap;

use alluxio_conf::{Configuration, displayed_value};
use alluxio_metrics::Metrics;

/// Every set property with its value, secrets masked (`configuration` of the info endpoints).
pub fn configuration_map(conf: &Configuration) -> BTreeMap<String, String> {
    conf.entries()
        .into_iter()
        .filter_map(|(key, value, _)| {
            let value = displayed_value(&key, value?);
            Some((key, value))
        })
        .collect()
}

/// Every counter, meter and gauge by name (`metrics` of the info endpoints).
pub fn metrics_map(metrics: &Metrics) -> BTreeMap<String, f64> {
    metrics
        .readings()
        .into_iter()
        .map(|reading| (reading.name, reading.value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_masks_secrets() {
        let mut conf = Configuration::defaults();
        conf.set("aws.secretKey", "hunter2");
        let map = configuration_map(&conf);
        assert_eq!(map["aws.secretKey"], "******");
        assert_eq!(map["alluxio.master.web.port"], "19999");
    }
}
