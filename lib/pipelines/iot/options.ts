import { OptionError } from "../../errors";
import { positiveInt } from "../../options";
import type { KafkaOptions } from "../../kafka";

/** Options of {@link iotReadings} and {@link produceIot}. */
export interface IotOptions {
  /** Readings to make; default 20. */
  count?: number;
  /** Random seed; default 7. */
  seed?: number;
  /** Sensors `sensor-1` … `sensor-N`; default 4. */
  sensors?: number;
  /** Topic; default `iot` (created with `partitions` partitions when missing). */
  topic?: string;
  /** Default 2 (the lecture's). */
  partitions?: number;
  kafka?: KafkaOptions;
}

export const IOT_DEFAULTS = { count: 20, seed: 7, sensors: 4, topic: "iot", partitions: 2 } as const;

/**
 * The consumer groups of an experiment: group name → number of consumers in it. The course's
 * three examples are in {@link GROUP_EXAMPLES}.
 */
export type GroupLayout = Record<string, number>;

/** The lecture's three consumer-group examples (on a 2-partition topic). */
export const GROUP_EXAMPLES: Readonly<Record<"several-groups" | "shared-group" | "one-per-group", GroupLayout>> = {
  /** Two groups of two consumers: each group gets every message, split inside the group. */
  "several-groups": { analytics: 2, archive: 2 },
  /** One group of three consumers on two partitions: each message reaches one consumer; one stays idle. */
  "shared-group": { workers: 3 },
  /** Three groups of one consumer: each consumer gets every message. */
  "one-per-group": { alerts: 1, dashboard: 1, storage: 1 },
};

export function resolveIotOptions(o: IotOptions = {}): Required<Omit<IotOptions, "kafka">> & { kafka: KafkaOptions } {
  return {
    count: positiveInt("count", o.count, IOT_DEFAULTS.count, 0),
    seed: positiveInt("seed", o.seed, IOT_DEFAULTS.seed, 0),
    sensors: positiveInt("sensors", o.sensors, IOT_DEFAULTS.sensors, 1),
    topic: o.topic ?? IOT_DEFAULTS.topic,
    partitions: positiveInt("partitions", o.partitions, IOT_DEFAULTS.partitions, 1),
    kafka: o.kafka ?? {},
  };
}

export function resolveGroupLayout(layout: unknown): GroupLayout {
  if (layout === null || typeof layout !== "object" || Array.isArray(layout) || Object.keys(layout).length === 0) {
    throw new OptionError("groups", layout, 'expected { groupName: consumers, … }, e.g. { analytics: 2, archive: 1 }');
  }
  for (const [g, n] of Object.entries(layout)) {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(g)) throw new OptionError(`groups.${g}`, g, "expected a group name of letters, digits, '.', '_' or '-'");
    positiveInt(`groups.${g}`, n ?? null, undefined, 1); // required: a missing count is refused too
  }
  return layout as GroupLayout;
}
