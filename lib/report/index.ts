export * from "./types";
export * from "./options";
export { latestWindows, speedFigure } from "./speed-chart";
export { accelerationMagnitude, accelerationFigure } from "./acceleration-chart";
export { trackFigure, haversineKm, formatLatLon, type TrackFigureOptions, type TrackArea } from "./track-map";
export { figureHtml, plotlyJsPath, type FigureHtmlOptions } from "./html";
export * from "./display";
export * from "./report";
