/**
 * One simulated ride: its identity (uuid, ride_id, id, filename), where and when it drives, and
 * the rows it emits in a partition. Shapes follow the real BDD sample (docs/dataset.md):
 * GPS fixes on whole seconds after the ride start, accelerometer bursts sampled every ~20 ms.
 */
import ngeohash from "ngeohash";
import { Random } from "./random";

/** When a ride drives; all plans are made up front (small), the state only while it is active. */
export interface RidePlan {
  index: number;
  start: number;
  end: number;
}

/** Where rows of a partition at time t may fall, relative to t (the real data's spread). */
export const ROW_WINDOW = { before: 0.045, after: 1.66 } as const;
export const RIDE_LENGTH = { min: 36, max: 42 } as const;
/** Around Berkeley / San Francisco. */
export const AREA = { lat: [37.75, 37.89], lon: [-122.5, -122.25] } as const;
const METERS_PER_DEG_LAT = 111_320;
const ACCURACIES = [5, 10, 10, 10, 10, 10, 10, 15, 30] as const;
/** Probability that a fix is invalid (speed and course -1), a quirk of the real data. */
const INVALID_FIX = 0.02;
const SECOND_FIX = 0.25;

export function ridePlans(seed: number, rides: number, duration: number): RidePlan[] {
  const rng = new Random(seed, 1);
  const plans: RidePlan[] = [];
  for (let index = 0; index < rides; index++) {
    const length = Math.min(rng.uniform(RIDE_LENGTH.min, RIDE_LENGTH.max), duration);
    // Stratified starts: rides begin at different times and together cover the whole recording.
    const start = ((index + rng.next()) / rides) * Math.max(0, duration - length);
    plans.push({ index, start, end: start + length });
  }
  return plans.sort((a, b) => a.start - b.start || a.index - b.index);
}

export interface LocationRow {
  offset: number;
  course: number;
  latitude: number;
  longitude: number;
  geohash: string;
  speed: number;
  accuracy: number;
}

export interface AccelerationRow {
  offset: number;
  x: number;
  y: number;
  z: number;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

export class Ride {
  readonly uuid: string;
  readonly rideId: string;
  readonly id: string;
  readonly filename: string;
  /** The source's meaningless 1970-based timestamp, constant per ride, in microseconds. */
  readonly timestampMicros: number;
  private readonly rng: Random;
  private readonly period: number;
  private readonly gravity: [number, number, number];
  private readonly cruise: number;
  private lat: number;
  private lon: number;
  private speed: number;
  private course: number;
  private lastFix: number;

  constructor(readonly plan: RidePlan, seed: number, users: number) {
    // Stream 2 + index: a ride's values depend only on (seed, index), not on the other rides.
    const rng = (this.rng = new Random(seed, 2 + plan.index));
    this.uuid = rng.hex(32);
    this.rideId = rng.hex(32);
    // Several rides share an `id` (35 rides have 25 ids in the real data): draw it from a pool.
    this.id = new Random(seed ^ 0x5bd1e995, rng.int(users)).hex(32);
    const f = rng.hex(32);
    this.filename = `${f.slice(0, 8)}-${f.slice(8, 12)}-4${f.slice(13, 16)}-${"89ab"[rng.int(4)]}${f.slice(17, 20)}-${f.slice(20)}.mov`;
    this.timestampMicros = Math.round(rng.uniform(1000, 2000) * 1e6);
    this.period = rng.uniform(0.0195, 0.0202);
    this.gravity = [rng.pick([-0.99, -0.99, -0.98, 0.97, 0.99]), rng.normal(0, 0.02), rng.normal(0, 0.05)];
    this.cruise = rng.uniform(3, 15);
    this.lat = rng.uniform(AREA.lat[0], AREA.lat[1]);
    this.lon = rng.uniform(AREA.lon[0], AREA.lon[1]);
    this.speed = rng.uniform(0, this.cruise);
    this.course = rng.uniform(0, 360);
    this.lastFix = plan.start;
  }

  /** Whether the ride has rows in the partition at time `t`. */
  activeAt(t: number): boolean {
    return this.plan.start <= t + ROW_WINDOW.after && this.plan.end >= t - ROW_WINDOW.before;
  }

  /** The GPS fixes of the partition at time `t`: whole seconds after the ride start. */
  locations(t: number): LocationRow[] {
    const { start, end } = this.plan;
    const rows: LocationRow[] = [];
    const second = this.rng.next() < SECOND_FIX;
    let o = start + Math.max(0, Math.ceil(t - ROW_WINDOW.before - start));
    for (let n = 0; n < (second ? 2 : 1) && o <= t + ROW_WINDOW.after && o <= end; n++, o += 1) rows.push(this.fix(o));
    return rows;
  }

  /** The accelerometer burst of the partition at time `t`, one sample every ~20 ms. */
  accelerations(t: number): AccelerationRow[] {
    const { start, end } = this.plan;
    const from = t + this.rng.uniform(-ROW_WINDOW.before, 0.03);
    const to = t + this.rng.uniform(0.75, ROW_WINDOW.after);
    const rows: AccelerationRow[] = [];
    const [gx, gy, gz] = this.gravity;
    for (let o = from; o <= to; o += this.period) {
      const x = round(gx + this.rng.normal(0, 0.03), 3);
      const y = round(gy + this.rng.normal(0, 0.06), 3);
      const z = round(gz + this.rng.normal(0, 0.1), 3);
      if (o >= start && o <= end) rows.push({ offset: o, x, y, z });
    }
    return rows;
  }

  private fix(offset: number): LocationRow {
    const rng = this.rng;
    const dt = offset - this.lastFix;
    this.lastFix = offset;
    const distance = this.speed * dt;
    const rad = (this.course * Math.PI) / 180;
    this.lat += (distance * Math.cos(rad)) / METERS_PER_DEG_LAT;
    this.lon += (distance * Math.sin(rad)) / (METERS_PER_DEG_LAT * Math.cos((this.lat * Math.PI) / 180));
    this.speed = Math.min(30, Math.max(0, this.speed + 0.3 * (this.cruise - this.speed) + rng.normal(0, 1.5)));
    this.course = (((this.course + rng.normal(0, 8)) % 360) + 360) % 360;
    const invalid = rng.next() < INVALID_FIX;
    return {
      offset,
      // Speed and course are float32 values stored as f64 in the real data.
      course: invalid ? -1 : Math.fround(this.course),
      latitude: this.lat,
      longitude: this.lon,
      geohash: ngeohash.encode(this.lat, this.lon, 12),
      speed: invalid ? -1 : Math.fround(round(this.speed, 2)),
      accuracy: rng.pick(ACCURACIES),
    };
  }
}
