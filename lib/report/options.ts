/**
 * Options of the figure builders and of the report: defaults and validation in one place.
 */
import { OptionError } from "../errors";

/** Options every figure builder accepts. */
export interface FigureOptions {
  /** Chart title; each builder has its own default. */
  title?: string;
  /** Height in pixels; default 480 (the GPS map grows with its number of panels). */
  height?: number;
  /** Characters of the ride id shown in legends; default 8 (ids are 32 hex characters). */
  idLength?: number;
}

export interface ResolvedFigureOptions {
  title: string;
  height: number;
  idLength: number;
}

export const FIGURE_DEFAULTS = { height: 480, idLength: 8 } as const;

/** Applies defaults and validates; throws OptionError naming the option. */
export function resolveFigureOptions(o: FigureOptions | undefined, defaultTitle: string): ResolvedFigureOptions {
  if (o !== undefined && (o === null || typeof o !== "object")) throw new OptionError("options", o, "an options object such as { title: \"My chart\" }, or nothing");
  const title = o?.title ?? defaultTitle;
  if (typeof title !== "string") throw new OptionError("title", title, "a string");
  const height = o?.height ?? FIGURE_DEFAULTS.height;
  if (typeof height !== "number" || !Number.isFinite(height) || height < 100) throw new OptionError("height", height, "a number of pixels of 100 or more");
  const idLength = o?.idLength ?? FIGURE_DEFAULTS.idLength;
  if (!Number.isInteger(idLength) || idLength < 1) throw new OptionError("idLength", idLength, "a whole number of 1 or more");
  return { title, height, idLength };
}
