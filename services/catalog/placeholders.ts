/** The placeholders every template may use (pipeline.md); config parameters add their own. */
export const KNOWN_PLACEHOLDERS = new Set([
  'INPUT_TEXT', 'PREVIOUS_OUTPUT', 'CONTEXT', 'TASK_INSTRUCTION', 'USER_INPUT', 'TARGET_LANGUAGE',
  // The workshop's interception template leaves room for research notes; this server adds none.
  'WIKIPEDIA_CONTEXT'
])

/** A chunk template as one text: the workshop's `{system, prompt}` form joins its two parts. */
export function templateText (template: string | { system?: string, prompt?: string } | undefined): string {
  if (template === undefined) return ''
  if (typeof template === 'string') return template
  return [template.system, template.prompt].filter((x) => x !== undefined && x !== '').join('\n\n')
}

const PATTERN = /\{\{([A-Za-z0-9_]+)\}\}/g

export function placeholdersOf (template: string): string[] {
  return [...template.matchAll(PATTERN)].map((m) => m[1] as string)
}

/**
 * Replaces every `{{NAME}}` in one pass, so a value that itself contains `{{...}}` (a
 * student typing braces) is never expanded again. Names without a value stay as written;
 * the loader has already refused templates with unknown names.
 */
export function fillTemplate (template: string, values: Record<string, string>): string {
  return template.replace(PATTERN, (whole, name: string) => Object.hasOwn(values, name) ? values[name] as string : whole)
}
