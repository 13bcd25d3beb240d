/** The knobs of the live stream (from STREAM_* variables, see config.ts). */
export interface StreamLimits {
  /** Distinct upstream tails per tenant (Loki's max_concurrent_tail_requests, 10 by default). */
  maxTailsPerTenant: number;
  /** Subscriptions per socket. */
  maxSubscriptions: number;
  /** Lines each hub keeps for resumes. */
  replayEntries: number;
  /** Lines a client's queue holds before its entries are dropped. */
  queueEntries: number;
  /** A client whose queue stays full this long is disconnected. */
  slowClientMs: number;
  /** Bytes in a socket's send buffer before messages queue. */
  highWaterBytes: number;
  /** How long a closed socket's subscriptions wait for a resume. */
  resumeGraceMs: number;
  heartbeatMs: number;
  statsMs: number;
  /** One alert per pattern or template within this window. */
  alertWindowMs: number;
  /** A service with no learned templates reports new ones only after watching this long. */
  noveltyWarmupMs: number;
  /** Seconds Loki holds lines to order them (delay_for, 0–5). */
  delayFor: number;
  /** A resume reads back from this long before the last line delivered. */
  overlapMs: number;
  /** Read back each tail's recent range this often (ms) for lines Loki's tail skipped; 0 = never. */
  reconcileMs: number;
  /** Most lines read back after an upstream drop. */
  gapMax: number;
  /** Client messages per second (averaged over 10 s). */
  messagesPerSecond: number;
  /** A notice when the newest line is this old when sent. */
  lagNoticeMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxTailsPerTenant: 10,
  maxSubscriptions: 20,
  replayEntries: 10_000,
  queueEntries: 10_000,
  slowClientMs: 10_000,
  highWaterBytes: 1024 * 1024,
  resumeGraceMs: 60_000,
  heartbeatMs: 30_000,
  statsMs: 5_000,
  alertWindowMs: 60_000,
  noveltyWarmupMs: 30_000,
  delayFor: 0,
  overlapMs: 10_000,
  gapMax: 100_000,
  reconcileMs: 2_000,
  messagesPerSecond: 20,
  lagNoticeMs: 15_000,
};
