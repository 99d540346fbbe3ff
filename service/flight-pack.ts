/**
 * Flights as a few flat values for a worker message: departures joined by newlines, the 3-letter
 * airports concatenated (origins, then destinations), distances in a transferable Float64Array.
 * Cloning one string is a copy; cloning hundreds of small strings is most of a message's cost.
 * Only for validated flights (no newline in a departure, airports of exactly 3 letters).
 */
import type { RawFlight } from '../lib/features/spec.ts';

export interface PackedFlights {
  departures: string;
  airports: string;
  distances: Float64Array;
}

export function packFlights(flights: readonly RawFlight[]): PackedFlights {
  const n = flights.length;
  const departures = new Array<string>(n);
  const origins = new Array<string>(n);
  const destinations = new Array<string>(n);
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = flights[i];
    departures[i] = f.departure;
    origins[i] = f.origin;
    destinations[i] = f.destination;
    distances[i] = f.distance;
  }
  return { departures: departures.join('\n'), airports: origins.join('') + destinations.join(''), distances };
}

export function unpackFlights(departures: string, airports: string, distances: Float64Array): RawFlight[] {
  const dates = departures.split('\n');
  const n = distances.length;
  const flights: RawFlight[] = new Array(n);
  for (let i = 0; i < n; i++) {
    flights[i] = {
      departure: dates[i],
      distance: distances[i],
      origin: airports.slice(i * 3, i * 3 + 3),
      destination: airports.slice((n + i) * 3, (n + i) * 3 + 3),
    };
  }
  return flights;
}
