import { byId, el, json, later, show } from '../dom'
import { browserLang, t, translatePage } from '../i18n'
import { drawChart, type MinuteSample } from './chart'

interface RoomRun { run_id: string, kind: string, state: 'waiting' | 'running', queue: string | null, stage: number | null, position: number | null, wait_time_ms: number, age_ms: number }
interface RoomRuns { max_concurrent: number, active: number, waiting: number, runs: RoomRun[] }
interface Upstreams {
  ollama: { reachable: boolean, url: string, version: string | null, models: string[], loaded: string[], error: string | null }
  comfyui: { reachable: boolean, url: string, running: number | null, pending: number | null, error: string | null }
}

/** The token lives for this tab only, and travels only in an Authorization header. */
const KEY = 'artsed-admin-token'
const lang = browserLang()
translatePage(lang)

let source: EventSource | undefined
let retry: ReturnType<typeof setTimeout> | undefined

const token = (): string => sessionStorage.getItem(KEY) ?? ''
const auth = (): Record<string, string> => ({ authorization: `Bearer ${token()}` })
const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`

function signedOut (message?: string): void {
  source?.close()
  clearTimeout(retry)
  sessionStorage.removeItem(KEY)
  show(byId('room'), false)
  show(byId('login'), true)
  const note = byId('login-note')
  note.textContent = message ?? ''
  show(note, message !== undefined)
  byId('token').focus()
}

async function connect (): Promise<void> {
  source?.close()
  clearTimeout(retry)
  byId('live').textContent = t('roomConnecting', lang)
  let ticket: string
  try {
    const { status, body } = await json('/api/admin/ticket', { method: 'POST', headers: auth() })
    if (status === 401) return signedOut(t('tokenWrong', lang))
    if (status !== 200 || typeof body?.ticket !== 'string') throw new Error(String(status))
    ticket = body.ticket
  } catch {
    byId('live').textContent = t('roomReconnecting', lang)
    retry = setTimeout(() => { later(connect()) }, 3000)
    return
  }
  show(byId('login'), false)
  show(byId('room'), true)
  // EventSource cannot send the token; the ticket is short-lived and signed by the server.
  const es = new EventSource(`/api/admin/stream?ticket=${encodeURIComponent(ticket)}`)
  source = es
  const data = <T>(e: Event): T => JSON.parse((e as MessageEvent<string>).data) as T
  es.addEventListener('open', () => { byId('live').textContent = t('roomLive', lang) })
  es.addEventListener('runs', (e) => renderRuns(data<RoomRuns>(e)))
  es.addEventListener('upstreams', (e) => renderUpstreams(data<Upstreams>(e)))
  es.addEventListener('history', (e) => byId('chart').replaceChildren(drawChart(data<{ minutes: MinuteSample[] }>(e).minutes, lang)))
  es.addEventListener('error', () => {
    // Reconnect with a fresh ticket (EventSource's own retry would reuse the old one).
    es.close()
    if (source !== es) return
    byId('live').textContent = t('roomReconnecting', lang)
    retry = setTimeout(() => { later(connect()) }, 3000)
  })
}

/** Rows are updated in place, so a Stop button keeps the keyboard focus across updates. */
function renderRuns (r: RoomRuns): void {
  byId('slots').textContent = t('slots', lang, { active: r.active, max: r.max_concurrent, waiting: r.waiting })
  show(byId('runs-none'), r.runs.length === 0)
  show(byId('runs-table'), r.runs.length > 0)
  const body = byId('runs')
  const rows = new Map([...body.querySelectorAll<HTMLTableRowElement>('tr')].map((tr) => [tr.dataset.run as string, tr]))
  r.runs.forEach((run, i) => {
    let tr = rows.get(run.run_id)
    if (tr === undefined) {
      const short = run.run_id.slice(0, 8)
      const stop = el('button', { type: 'button', class: 'danger', 'aria-label': t('stopRunLabel', lang, { id: short }) }, t('stopRun', lang))
      stop.addEventListener('click', () => { later(stopRun(run.run_id, stop)) })
      // The idea stays hidden unless the teacher asks for it; only a running run has one stored.
      const idea = el('button', { type: 'button', class: 'secondary small idea', 'aria-label': t('showIdeaLabel', lang, { id: short }) }, t('showIdea', lang))
      idea.addEventListener('click', () => { later(showIdea(run.run_id)) })
      tr = el('tr', { 'data-run': run.run_id }, el('td', { class: 'mono' }, short), el('td'), el('td'), el('td'), el('td'), el('td'), el('td', { class: 'row-actions' }, stop, idea))
    }
    rows.delete(run.run_id)
    const cells = tr.children
    tr.dataset.state = run.state
    ;(cells[1] as HTMLElement).textContent = t(run.state === 'waiting' ? 'stateWaiting' : 'stateRunning', lang) + (run.queue === 'media' ? t('inMediaQueue', lang) : '')
    ;(cells[2] as HTMLElement).textContent = run.stage === null ? '–' : String(run.stage)
    ;(cells[3] as HTMLElement).textContent = run.position === null ? '–' : String(run.position)
    ;(cells[4] as HTMLElement).textContent = run.state === 'waiting' ? seconds(run.wait_time_ms) : '–'
    ;(cells[5] as HTMLElement).textContent = seconds(run.age_ms)
    show(tr.querySelector('button.idea') as HTMLElement, run.state === 'running')
    if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null)
  })
  for (const tr of rows.values()) tr.remove()
}

async function stopRun (runId: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true
  const note = byId('stop-note')
  const { status } = await json(`/api/admin/runs/${encodeURIComponent(runId)}/stop`, { method: 'POST', headers: auth() })
  if (status === 401) return signedOut(t('tokenWrong', lang))
  show(note, status !== 200)
  note.textContent = status === 200 ? '' : t('stopFailed', lang)
}

async function showIdea (runId: string): Promise<void> {
  const { status, body } = await text(`/api/pipeline/${encodeURIComponent(runId)}/entity/input`)
  if (status === 401) return signedOut(t('tokenWrong', lang))
  byId('idea-title').textContent = t('ideaOf', lang, { id: runId.slice(0, 8) })
  byId('idea-text').textContent = status === 200 ? body : t('ideaMissing', lang)
  show(byId('idea-view'), true)
  byId('idea-close').focus()
}

async function text (url: string): Promise<{ status: number, body: string }> {
  const res = await fetch(url, { headers: auth() })
  return { status: res.status, body: await res.text() }
}

function renderUpstreams (u: Upstreams): void {
  const state = (ok: boolean): HTMLElement => el('span', { class: ok ? 'ok' : 'bad' }, t(ok ? 'reachable' : 'unreachable', lang))
  const list = (names: string[]): string => names.length === 0 ? t('none', lang) : names.join(', ')
  byId('upstreams').replaceChildren(
    el('div', { class: 'upstream', 'data-upstream': 'ollama' },
      el('h3', {}, 'Ollama ', state(u.ollama.reachable)),
      el('p', { class: 'note' }, `${u.ollama.url}${u.ollama.version === null ? '' : ` · ${u.ollama.version}`}${u.ollama.error === null ? '' : ` · ${u.ollama.error}`}`),
      el('p', {}, `${t('loaded', lang)}: ${list(u.ollama.loaded)}`),
      el('p', { class: 'note' }, `${t('installed', lang)}: ${list(u.ollama.models)}`)),
    el('div', { class: 'upstream', 'data-upstream': 'comfyui' },
      el('h3', {}, 'ComfyUI ', state(u.comfyui.reachable)),
      el('p', { class: 'note' }, `${u.comfyui.url}${u.comfyui.error === null ? '' : ` · ${u.comfyui.error}`}`),
      el('p', {}, u.comfyui.reachable ? t('comfyQueue', lang, { running: u.comfyui.running ?? 0, pending: u.comfyui.pending ?? 0 }) : ''))
  )
}

byId('login').addEventListener('submit', (e) => {
  e.preventDefault()
  const value = byId<HTMLInputElement>('token').value.trim()
  if (value === '') return
  sessionStorage.setItem(KEY, value)
  byId<HTMLInputElement>('token').value = ''
  later(connect())
})
byId('logout').addEventListener('click', () => signedOut())
byId('idea-close').addEventListener('click', () => show(byId('idea-view'), false))

if (token() !== '') later(connect())
else show(byId('login'), true)
