/** Small DOM helpers shared by the pages. */

export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} is missing from the page`)
  return el as T
}

export function el<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const c of children) node.append(c)
  return node
}

export function show (node: HTMLElement, visible: boolean): void {
  node.hidden = !visible
}

/** GET or POST JSON; resolves with the status and the parsed body (or undefined). */
export async function json (url: string, init: RequestInit = {}): Promise<{ status: number, body: Record<string, unknown> | undefined }> {
  const res = await fetch(url, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...(init.body !== undefined && !(init.body instanceof FormData) ? { 'content-type': 'application/json' } : {}), ...init.headers } })
  let body: Record<string, unknown> | undefined
  try { body = await res.json() as Record<string, unknown> } catch { body = undefined }
  return { status: res.status, body }
}

/** Starts an async task from an event handler; the tasks handle their own failures. */
export function later (task: Promise<unknown>): void {
  task.catch((err: unknown) => { reportError(err) })
}
