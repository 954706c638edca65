import type { SafetyLevel } from './term-filter.js'

/** Strictest first: a request may move left of the deployment's level, never right (unless allowed). */
export const STRICTNESS: SafetyLevel[] = ['kids', 'youth', 'adult', 'off']

/** `open` is the workshop app's name for adult. */
export function asLevel (value: string): SafetyLevel {
  return value === 'open' ? 'adult' : value as SafetyLevel
}

/** SAFETY_LEVELS_ALLOWED ("adult, off") as levels. */
export function parseLevels (list: string): SafetyLevel[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map(asLevel)
}

/**
 * The level a run gets. The deployment's level (SAFETY_LEVEL) is every run's level; a request
 * may ask for a stricter one, and a looser one only when the deployment lists it in
 * SAFETY_LEVELS_ALLOWED. Otherwise the request's wish is ignored, not an error: the workshop
 * app always sends a level, and a class must still be able to work.
 */
export function runLevel (requested: string | undefined, deployment: string, allowed: string): SafetyLevel {
  const base = asLevel(deployment)
  if (requested === undefined) return base
  const wish = asLevel(requested)
  if (STRICTNESS.indexOf(wish) <= STRICTNESS.indexOf(base)) return wish
  return parseLevels(allowed).includes(wish) ? wish : base
}
