/**
 * Every metric the service exposes, in one place so alert rules and dashboards have one list to
 * read. Names follow Prometheus conventions (`_total` counters, `_seconds` durations) and pass
 * `promtool check metrics`.
 */
import { exponentialBuckets, Histogram, linearBuckets, Registry } from './prometheus.ts';

export const STAGES = ['validate', 'queue', 'features', 'inference', 'serialize'] as const;
export type Stage = (typeof STAGES)[number];

export const LOAD_FAILURE_REASONS = [
  'source_error',
  'manifest_invalid',
  'missing_file',
  'hash_mismatch',
  'card_invalid',
  'corrupt_onnx',
  'schema_mismatch',
  'golden_mismatch',
  'warmup_failed',
] as const;
export type LoadFailureReason = (typeof LOAD_FAILURE_REASONS)[number];

/**
 * 100 µs … ~6.5 s: request latencies on loopback are tens of microseconds to milliseconds. Plus 5 ms,
 * a replica's latency bar (p99 at half its peak, README), so the share over it is counted, not
 * interpolated between 3.2 and 6.4 ms.
 */
const LATENCY_BUCKETS = [...exponentialBuckets(0.0001, 2, 17), 0.005].sort((a, b) => a - b);
const STAGE_BUCKETS = exponentialBuckets(0.00001, 2.5, 12);
/**
 * Score buckets of feedback_score: 0.025 wide up to 0.5, where nearly all scores and the 20%-budget
 * threshold lie, then 0.1 wide.
 */
export const FEEDBACK_SCORE_BUCKETS = [...linearBuckets(0.025, 0.025, 20), 0.6, 0.7, 0.8, 0.9];

export function createServiceMetrics(registry = new Registry()) {
  const m = {
    registry,
    requests: registry.counter('http_requests_total', 'HTTP requests by route, method and status code.', [
      'route',
      'method',
      'status',
    ]),
    requestDuration: registry.histogram(
      'http_request_duration_seconds',
      'Time from request arrival to response, by route, method and status code.',
      LATENCY_BUCKETS,
      ['route', 'method', 'status'],
    ),
    inflight: registry.gauge('http_requests_in_flight', 'Requests being handled now.'),
    stageDuration: registry.histogram(
      'inference_stage_duration_seconds',
      'Time spent per stage of a prediction: validate, queue (waiting for a batch), features, inference (ONNX Runtime), serialize. features and inference are per batch call.',
      STAGE_BUCKETS,
      ['stage'],
    ),
    batchRows: registry.histogram(
      'inference_batch_rows',
      'Rows per ONNX Runtime call (micro-batching merges concurrent requests).',
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    ),
    predictions: registry.counter('predictions_total', 'Rows scored, by serving model version.', ['version']),
    flagged: registry.counter(
      'predictions_flagged_total',
      'Rows at or above the model card threshold (flagged as likely delayed), by model version.',
      ['version'],
    ),
    score: registry.histogram(
      'prediction_score',
      'Distribution of predicted delay probabilities, by model version.',
      linearBuckets(0.05, 0.05, 19),
      ['version'],
    ),
    unknownAirports: registry.counter(
      'unknown_airports_total',
      'Airport codes in requests that the serving model did not see in training, by field.',
      ['field'],
    ),
    rejected: registry.counter(
      'http_rejected_total',
      'Requests turned away before scoring, by reason (overload, timeout, not_ready).',
      ['reason'],
    ),
    modelLoads: registry.counter(
      'model_load_total',
      'Model load attempts by result (success, failure), reason and role (champion, challenger).',
      ['result', 'reason', 'role'],
    ),
    modelInfo: registry.gauge(
      'model_info',
      'The serving model: always 1, labelled with its version and artifact sha256.',
      ['version', 'sha256'],
    ),
    challengerInfo: registry.gauge(
      'model_challenger_info',
      'The loaded challenger: always 1, labelled with its version, sha256 and mode (shadow, canary).',
      ['version', 'sha256', 'mode'],
    ),
    challengerTraffic: registry.gauge(
      'model_challenger_traffic_ratio',
      'Share of traffic routed to the canary challenger (0 in shadow mode or without a challenger).',
    ),
    shadowPredictions: registry.counter(
      'shadow_predictions_total',
      'Rows the shadow challenger scored off the hot path, by challenger version.',
      ['version'],
    ),
    shadowDisagreements: registry.counter(
      'shadow_flag_disagreements_total',
      'Shadow rows whose delayed flag differs from the served one, by challenger version.',
      ['version'],
    ),
    shadowDifference: registry.histogram(
      'shadow_score_difference',
      'Absolute difference between the shadow and the served probability per row, by challenger version.',
      [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
      ['version'],
    ),
    modelInference: registry.histogram(
      'model_inference_duration_seconds',
      'Time of one scoring call (features and ONNX Runtime) by model version and role: served (answered a request, champion or canary) or shadow (scored off the hot path). Divide _sum by predictions_total or shadow_predictions_total for the time per row.',
      STAGE_BUCKETS,
      ['version', 'role'],
    ),
    shadowSkipped: registry.counter(
      'shadow_skipped_total',
      'Rows not shadow-scored because the shadow queue was full (the hot path always wins).',
    ),
    shadowUnsampled: registry.counter(
      'shadow_unsampled_total',
      'Rows not shadow-scored because their request fell outside SHADOW_SAMPLE_PERCENT.',
    ),
    modelLoadedAt: registry.gauge('model_loaded_timestamp_seconds', 'Unix time the serving model was swapped in.'),
    modelTrainedAt: registry.gauge(
      'model_trained_timestamp_seconds',
      'Unix time the serving model was trained (card createdAt), for model-age alerts.',
    ),
    modelPromotedAt: registry.gauge(
      'model_promoted_timestamp_seconds',
      'Unix time the manifest that names the serving champion was written (its updatedAt), for model-age alerts.',
    ),
    sourceCheckedAt: registry.gauge(
      'model_source_checked_timestamp_seconds',
      'Unix time the model source (git) was last read successfully, changed or not; a stale value means the service cannot see whether the manifest moved.',
    ),
    manifestInSync: registry.gauge(
      'model_manifest_in_sync',
      '1 when the serving model is the champion the manifest names, 0 when the last load of that champion failed.',
    ),
    ready: registry.gauge(
      'service_ready',
      '1 when the service is ready (model loaded, verified, warmed, not draining).',
    ),
    feedback: registry.counter(
      'feedback_total',
      'Feedback (actual outcomes) received, by result (matched, unmatched, duplicate).',
      ['result'],
    ),
    feedbackOutcomes: registry.counter(
      'feedback_outcomes_total',
      'Outcomes joined to predictions, as confusion-matrix cells at the served threshold: by model version, slice (all, origin=<hub>, hour=<band>, distance=<band>), flagged and delayed (true/false).',
      ['version', 'slice', 'flagged', 'delayed'],
    ),
    feedbackScore: registry.histogram(
      'feedback_score',
      'Predicted probabilities of rows with a known outcome, by model version, slice and the real outcome (delayed true/false): recall/precision at the 20% budget and AUC for any window.',
      FEEDBACK_SCORE_BUCKETS,
      ['version', 'slice', 'delayed'],
    ),
    driftBins: registry.counter(
      'drift_feature_bin_total',
      "Rows scored per bin of the model card's reference histogram of each feature, by model version, feature and bin index.",
      ['version', 'feature', 'bin'],
    ),
    driftReference: registry.gauge(
      'drift_reference_share',
      "The model card's reference share of each drift bin (training window), by model version, feature and bin index.",
      ['version', 'feature', 'bin'],
    ),
    storeRows: registry.gauge('prediction_store_rows', 'Predictions kept for joining feedback (persisted).'),
    storeEvicted: registry.counter(
      'prediction_store_evicted_total',
      'Predictions dropped from the store before any feedback came, by reason (age, capacity).',
      ['reason'],
    ),
    storeWriteSeconds: registry.counter(
      'prediction_store_write_seconds_total',
      "Time the prediction store's writer spent inserting chunks and pruning: its thread's busy time.",
    ),
    storeFailures: registry.counter(
      'prediction_store_failures_total',
      'Prediction store operations that failed, by operation (write, claim).',
      ['operation'],
    ),
    onlineRows: registry.gauge('online_quality_window_rows', 'Predictions with feedback in the online-quality window.'),
    onlineDelayedRate: registry.gauge('online_delayed_rate', 'Share of actually delayed flights among the window.'),
    onlineFlagRate: registry.gauge(
      'online_flag_rate',
      'Share of the window the model flagged (probability at or above the threshold).',
    ),
    onlineAuc: registry.gauge('online_auc', 'ROC AUC of predictions against actual outcomes over the window.'),
    onlineRecall: registry.gauge(
      'online_recall_at_budget',
      'Recall of delayed flights when the riskiest 20% of the window are flagged.',
    ),
    onlinePrecision: registry.gauge(
      'online_precision_at_budget',
      'Precision when the riskiest 20% of the window are flagged.',
    ),
    onlineRecallAtThreshold: registry.gauge(
      'online_recall_at_threshold',
      'Recall of delayed flights using the served flags (card threshold).',
    ),
    processCpu: registry.counter('process_cpu_seconds_total', 'User and system CPU time of the process.'),
    processMemory: registry.gauge('process_resident_memory_bytes', 'Resident memory of the process.'),
    processStart: registry.gauge('process_start_time_seconds', 'Unix time the process started.'),
    eventLoopUtilization: registry.gauge(
      'nodejs_eventloop_utilization_ratio',
      'Share of time the event loop was busy since the previous scrape.',
    ),
  };
  return m;
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;

/** Hot-path handles for the stage histogram, so a request does no label lookups. */
export function stageHandles(h: Histogram): Record<Stage, ReturnType<Histogram['labels']>> {
  return Object.fromEntries(STAGES.map((s) => [s, h.labels(s)])) as Record<Stage, ReturnType<Histogram['labels']>>;
}

/**
 * A per-key cache of metric children (e.g. by model version), so a hot path does one map lookup for
 * several families instead of one label lookup each.
 */
export function perVersion<T>(create: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let found = cache.get(key);
    if (found === undefined) {
      found = create(key);
      cache.set(key, found);
    }
    return found;
  };
}
