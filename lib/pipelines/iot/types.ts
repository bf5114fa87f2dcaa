/** One sensor reading, as sent to topic `iot` (key = `sensor_id`). */
export interface IotReading {
  /** Sequence number of the reading in its run: identifies a message in the delivery records. */
  seq: number;
  sensor_id: string;
  temperature: number;
  humidity: number;
  /** When it was measured (ISO-8601, UTC). */
  timestamp: string;
}

/** Which consumer of which group received which message. */
export interface DeliveryRecord {
  group: string;
  /** `<group>/c<N>`. */
  consumer: string;
  partition: number;
  offset: number;
  seq: number;
  sensor_id: string;
}

/** Per group: did every message reach exactly one of its consumers? */
export interface GroupCheck {
  group: string;
  consumers: number;
  received: number;
  /** Messages sent that no consumer of the group received. */
  missing: number[];
  /** Messages more than one consumer of the group received (or one received twice). */
  duplicated: number[];
  /** Messages per consumer (a consumer without a partition gets 0). */
  perConsumer: Record<string, number>;
  /** Partitions per consumer, from what it received. */
  partitions: Record<string, number[]>;
}
