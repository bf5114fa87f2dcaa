import { KafkaProducer, type DeliveryReport } from "../../kafka";
import { seededRandom, normal } from "../random";
import { resolveIotOptions, type IotOptions } from "./options";
import type { IotReading } from "./types";

/**
 * Random sensor readings, seeded: temperature ~ N(21, 3) °C, humidity ~ N(45, 10) % clamped to
 * 0–100, from `sensor-1` … `sensor-N`.
 *
 * @example
 * ```ts
 * iotReadings({ count: 2, seed: 7 }); // [{ seq: 0, sensor_id: "sensor-1", temperature: 22.08, … }, …]
 * ```
 */
export function iotReadings(options: IotOptions = {}, start = new Date()): IotReading[] {
  const o = resolveIotOptions(options);
  const rnd = seededRandom(o.seed);
  const round = (x: number) => Math.round(x * 100) / 100;
  return Array.from({ length: o.count }, (_, seq) => ({
    seq,
    sensor_id: `sensor-${1 + Math.floor(rnd() * o.sensors)}`,
    temperature: round(21 + 3 * normal(rnd)),
    humidity: round(Math.min(100, Math.max(0, 45 + 10 * normal(rnd)))),
    timestamp: new Date(start.getTime() + seq * 1000).toISOString(),
  }));
}

/**
 * Sends readings to topic `iot` (created with 2 partitions when missing), keyed by sensor so a
 * sensor's readings stay in order in one partition. Returns where each landed.
 *
 * @example
 * ```ts
 * const reports = await produceIot(iotReadings({ count: 20 }));
 * reports[0]; // { topic: "iot", partition: 1, offset: 0, key: "sensor-1" }
 * ```
 */
export async function produceIot(readings: IotReading[], options: IotOptions = {}): Promise<DeliveryReport[]> {
  const o = resolveIotOptions(options);
  const producer = await KafkaProducer.connect({ ...o.kafka, partitions: o.partitions });
  try {
    return await producer.send(o.topic, readings.map((r) => ({ key: r.sensor_id, value: JSON.stringify(r) })));
  } finally {
    await producer.close();
  }
}
