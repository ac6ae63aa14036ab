//! MetricsMasterClientService: clients report their metrics; admins read the master's.

use std::sync::Arc;

use alluxio_proto::grpc::metrics_master_client_service_server::MetricsMasterClientService;
use alluxio_proto::grpc::*;
use tonic::{Request, Response, Status};

use crate::MasterInfoSource;

/// Serves client metric reports and `fsadmin report metrics`.
pub struct MetricsService(pub Arc<MasterInfoSource>);

#[tonic::async_trait]
impl MetricsMasterClientService for MetricsService {
    async fn metrics_heartbeat(
        &self,
        request: Request<MetricsHeartbeatRequest>,
    ) -> Result<Response<MetricsHeartbeatResponse>, Status> {
        let request = request.into_inner();
        if request.client_id.trim().is_empty() {
            return Err(Status::invalid_argument("a metrics heartbeat needs a client_id"));
        }
        self.0
            .metrics
            .report(&format!("client {}", request.client_id), &request.metrics);
        Ok(Response::new(MetricsHeartbeatResponse {}))
    }

    async fn get_metrics(
        &self,
        _: Request<GetMetricsRequest>,
    ) -> Result<Response<GetMetricsResponse>, Status> {
        let metrics = self
            .0
            .metrics
            .registry
            .readings()
            .into_iter()
            .map(Metric::from)
            .collect();
        Ok(Response::new(GetMetricsResponse { metrics }))
    }
}
