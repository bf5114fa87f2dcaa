/** One sale, as the store sends it to topic `sales` (the lecture's message). */
export interface Sale {
  item: string;
  amount: number;
  /** The store's clock, in whole time units. */
  time: number;
}

/** A sale with where Kafka stored it: the key that makes saving it idempotent. */
export interface StoredSale extends Sale {
  topic: string;
  partition: number;
  offset: number;
}

/** The total of one tumbling window `[window_start, window_end)` of `time`. */
export interface SalesWindow {
  window_start: number;
  window_end: number;
  total: number;
  count: number;
}

/** A window total as the summary publishes it: a later micro-batch may publish the window again, with a higher `batch_id`. */
export interface SalesWindowUpdate extends SalesWindow {
  batch_id: number;
}
