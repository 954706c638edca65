import { byId, el, json, later, show } from '../dom'
import { browserLang, pick, t, translatePage } from '../i18n'
import { MediaStep } from './media'
import type { ConfigInfo } from './outputs'
import { StreamRun } from './stream'

interface Card extends ConfigInfo {
  name: unknown
  short_description: unknown
  description: unknown
  icon: string
  color: string
}

/** Children's page: the kids level everywhere (the stricter of the two school levels). */
const SAFETY_LEVEL = 'kids'

const lang = browserLang()
translatePage(lang)

let configs: Card[] = []
let selected: Card | undefined
let loadedRules: { id: string, text: string } | undefined
let run: StreamRun | undefined
let streamed = ''
const media = new MediaStep(lang)

const ideaBox = byId<HTMLTextAreaElement>('idea')
const rulesBox = byId<HTMLTextAreaElement>('rules')
const startButton = byId<HTMLButtonElement>('start')
const stopButton = byId<HTMLButtonElement>('stop')

async function loadConfigs (): Promise<void> {
  const note = byId('configs-note')
  try {
    const { status, body } = await json('/pipeline_configs_with_properties')
    if (status !== 200 || !Array.isArray(body?.configs)) throw new Error(String(status))
    configs = body.configs as Card[]
  } catch {
    note.textContent = t('configsFailed', lang)
    return
  }
  show(note, false)
  byId('configs').replaceChildren(...configs.map((c) => {
    const button = el('button', { type: 'button', class: 'card', 'aria-pressed': 'false', 'data-config': c.id },
      el('span', { class: 'card-icon', 'aria-hidden': 'true' }, c.icon),
      el('span', { class: 'card-name' }, pick(c.name, lang)),
      el('span', { class: 'card-text' }, pick(c.short_description, lang) || pick(c.description, lang)))
    // A custom property set through the CSSOM, which the page's style policy allows.
    if (/^#[0-9a-fA-F]{3,8}$/.test(c.color)) button.style.setProperty('--card-color', c.color)
    button.addEventListener('click', () => choose(c))
    return button
  }))
}

function choose (c: Card): void {
  selected = c
  for (const b of byId('configs').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.config === c.id))
  show(byId('form-note'), false)
  // The rules are fetched when the student opens them, and replaced when the config changes.
  if (loadedRules?.id !== c.id) {
    loadedRules = undefined
    rulesBox.value = ''
    if (byId<HTMLDetailsElement>('rules-box').open) later(loadRules())
  }
}

async function loadRules (): Promise<void> {
  const c = selected
  const note = byId('rules-note')
  if (c === undefined) { note.textContent = t('needConfig', lang); show(note, true); return }
  if (loadedRules?.id === c.id) return
  note.textContent = t('rulesLoading', lang)
  show(note, true)
  const { status, body } = await json(`/api/config/${encodeURIComponent(c.id)}/context`)
  if (selected !== c) return
  if (status === 200 && typeof body?.context === 'string') {
    loadedRules = { id: c.id, text: body.context }
    rulesBox.value = body.context
    show(note, false)
  } else {
    note.textContent = t('rulesNone', lang)
  }
}

byId<HTMLDetailsElement>('rules-box').addEventListener('toggle', () => { if (byId<HTMLDetailsElement>('rules-box').open) later(loadRules()) })
byId('rules-reset').addEventListener('click', () => { if (loadedRules !== undefined) rulesBox.value = loadedRules.text })

/**
 * The status line is a polite live region. While waiting, the counting seconds are shown but
 * kept from screen readers (aria-hidden), so a reader hears the place in line when it
 * changes, not a new sentence every second.
 */
function setStatus (text: string, spinner: 'waiting' | 'working' | 'none', quiet = ''): void {
  const line = byId('status-text')
  if (line.firstChild?.textContent !== text || line.childNodes.length !== 2) line.replaceChildren(text, el('span', { 'aria-hidden': 'true' }))
  ;(line.lastChild as HTMLElement).textContent = quiet
  const s = byId('spinner')
  show(s, spinner !== 'none')
  s.classList.toggle('waiting', spinner === 'waiting')
  s.classList.toggle('working', spinner === 'working')
  byId('status').dataset.state = spinner
  byId('status').classList.toggle('quiet', text === '' && quiet === '' && spinner === 'none')
}

function running (on: boolean): void {
  show(stopButton, on)
  startButton.disabled = on
}

function start (): void {
  const note = byId('form-note')
  const idea = ideaBox.value.trim()
  if (selected === undefined || idea === '') {
    note.textContent = t(selected === undefined ? 'needConfig' : 'needIdea', lang)
    show(note, true)
    return
  }
  show(note, false)
  run?.stop()
  media.reset()
  streamed = ''
  byId('text').textContent = ''
  show(byId('run'), true)
  show(byId('refusal'), false)
  show(byId('error'), false)
  show(byId('text-box'), false)
  setStatus(t('connecting', lang), 'working')
  running(true)
  const config = selected
  // The edited rules go along only when the student changed them.
  const rules = loadedRules?.id === config.id && rulesBox.value.trim() !== '' && rulesBox.value !== loadedRules.text ? rulesBox.value : undefined
  let runId = ''
  const current = new StreamRun({ schema: config.id, inputText: idea, contextPrompt: rules, safetyLevel: SAFETY_LEVEL, lang }, {
    connected: (id) => { runId = id },
    stage: (stage) => setStatus(t(stage === 1 ? 'stage1' : 'stage2', lang), 'working'),
    waiting: (position, waitMs) => setStatus(t('queueWaiting', lang, { position }), 'waiting', t('queueWaited', lang, { seconds: Math.round(waitMs / 1000) })),
    acquired: () => setStatus(t('working', lang), 'working'),
    chunk: (text) => {
      streamed += text
      byId('text').textContent = streamed
      show(byId('text-box'), true)
    },
    complete: (finalText) => {
      running(false)
      byId('text').textContent = finalText
      show(byId('text-box'), true)
      setStatus(t('done', lang), 'none')
      later(media.open({ config, idea, finalText, runId, lang, safetyLevel: SAFETY_LEVEL }))
    },
    blocked: (message) => {
      running(false)
      setStatus('', 'none')
      byId('refusal-text').textContent = message
      show(byId('refusal'), true)
      byId('try-other').focus()
    },
    failed: (message) => {
      running(false)
      setStatus('', 'none')
      byId('error-text').textContent = message ?? (runId === '' ? t('startFailed', lang) : t('lost', lang))
      show(byId('error'), true)
    }
  })
  run = current
  current.start()
}

startButton.addEventListener('click', start)
byId('retry').addEventListener('click', start)
stopButton.addEventListener('click', () => {
  run?.stop()
  running(false)
  setStatus(t('stopped', lang), 'none')
  startButton.focus()
})
byId('try-other').addEventListener('click', () => { ideaBox.focus(); ideaBox.select() })
byId('again').addEventListener('click', () => {
  media.reset()
  show(byId('run'), false)
  ideaBox.focus()
  ideaBox.select()
})
ideaBox.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) start() })

later(loadConfigs())
