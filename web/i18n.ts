/** Every text of the pages, German and English. The page picks the browser's language. */
export type Lang = 'de' | 'en'

const de = {
  title: 'Deine Idee, neu gedacht',
  subtitle: 'Wähle eine Richtung, schreib deine Idee und schau, was die KI daraus macht.',
  chooseConfig: '1. Wähle eine Richtung',
  configsLoading: 'Die Richtungen werden geladen …',
  configsFailed: 'Die Richtungen konnten nicht geladen werden.',
  yourIdea: '2. Deine Idee',
  ideaPlaceholder: 'Zum Beispiel: ein Superheld mit einem Umhang aus Zuckerwatte',
  rules: 'Regeln der Verwandlung ansehen und ändern',
  rulesHelp: 'So soll die KI deine Idee verwandeln. Du kannst es ändern.',
  rulesLabel: 'Regeln',
  rulesReset: 'Regeln zurücksetzen',
  rulesLoading: 'Die Regeln werden geladen …',
  rulesNone: 'Diese Richtung hat keine Regeln zum Ändern.',
  start: 'Los!',
  stop: 'Anhalten',
  retry: 'Noch einmal versuchen',
  tryOther: 'Andere Idee ausprobieren',
  needConfig: 'Wähle zuerst eine Richtung.',
  needIdea: 'Schreib zuerst deine Idee auf.',
  connecting: 'Verbindung wird aufgebaut …',
  queueWaiting: 'Du bist Nr. {position} in der Schlange',
  queueWaited: ' · wartet seit {seconds} s',
  working: 'Die KI arbeitet an deiner Idee …',
  stage1: 'Deine Idee wird geprüft …',
  stage2: 'Die KI verwandelt deine Idee …',
  done: 'Fertig!',
  stopped: 'Angehalten. Du kannst jederzeit neu starten.',
  lost: 'Die Verbindung ist abgebrochen.',
  startFailed: 'Der Start hat nicht geklappt. Vielleicht ist der Server gerade sehr beschäftigt.',
  refusalTitle: 'Das geht so leider nicht',
  refusalHint: 'Das ist kein Vorwurf: Diese Regel schützt alle hier.',
  errorTitle: 'Da ist etwas schiefgegangen',
  resultText: 'Das hat die KI aus deiner Idee gemacht',
  chooseMedium: '3. Was soll daraus werden?',
  mediaLoading: 'Es wird nachgesehen, was gerade geht …',
  mediaNone: 'Gerade steht keine Ausgabe zur Verfügung.',
  kind_image: 'Bild',
  kind_img2img: 'Bild aus deinem Bild',
  kind_video: 'Video',
  kind_audio: 'Klang',
  kind_code: 'Animierte Skizze (p5.js)',
  dropImage: 'Bild hierher ziehen oder auswählen (PNG, JPEG, WebP)',
  imageChosen: 'Dein Bild',
  uploading: 'Dein Bild wird hochgeladen …',
  uploadFailed: 'Das Bild konnte nicht hochgeladen werden.',
  needImage: 'Wähle zuerst ein Bild aus.',
  makeMedium: 'Erzeugen',
  mediaWorking: '{kind} entsteht …',
  mediaDone: '{kind} ist fertig.',
  mediaBlocked: 'Das kann so nicht gezeigt werden',
  resultAlt: 'Das Bild zu deiner Idee',
  sketchTitle: 'Deine animierte Skizze',
  sketchCode: 'Den Code der Skizze ansehen',
  sketchNote: 'Die Skizze läuft abgeschirmt: Sie kann nichts aus dem Netz laden und nichts senden.',
  again: 'Neue Idee',
  // Room view
  roomTitle: 'Raumansicht',
  roomIntro: 'Für Lehrkräfte: wer wartet, wer läuft, und ob die KI-Server antworten.',
  token: 'Admin-Token',
  open: 'Öffnen',
  forget: 'Abmelden',
  tokenWrong: 'Das Token stimmt nicht.',
  roomConnecting: 'Verbindung wird aufgebaut …',
  roomLive: 'Live',
  roomReconnecting: 'Verbindung unterbrochen, neuer Versuch …',
  runsTitle: 'Läufe',
  runsNone: 'Gerade wartet und läuft nichts.',
  colRun: 'Lauf',
  colState: 'Zustand',
  colStage: 'Stufe',
  colPosition: 'Platz',
  colWait: 'Wartet',
  colAge: 'Seit',
  colAction: 'Aktion',
  stateWaiting: 'wartet',
  stateRunning: 'läuft',
  stopRun: 'Stopp',
  stopRunLabel: 'Lauf {id} anhalten',
  stopFailed: 'Der Lauf konnte nicht angehalten werden (vielleicht war er schon fertig).',
  showIdea: 'Idee',
  showIdeaLabel: 'Idee von Lauf {id} zeigen',
  ideaOf: 'Idee von Lauf {id}',
  ideaMissing: 'Für diesen Lauf ist (noch) keine Idee gespeichert.',
  close: 'Schließen',
  slots: 'Modell-Slots: {active} von {max} belegt · {waiting} warten',
  upstreamsTitle: 'KI-Server',
  reachable: 'antwortet',
  unreachable: 'antwortet nicht',
  installed: 'Installiert',
  loaded: 'Geladen',
  none: 'keine',
  comfyQueue: 'Aufträge: {running} laufen, {pending} warten',
  chartTitle: 'Die letzte Stunde',
  chartWaiting: 'Wartende (höchstens)',
  chartWait: 'Wartezeit (Mittel, s)',
  chartEmpty: 'Noch keine Daten.',
  chartLabel: 'Schlangenlänge und Wartezeit pro Minute in der letzten Stunde',
  chartAgo: 'vor 60 min',
  chartNow: 'jetzt',
  inMediaQueue: ' (Medien)',
  // Sketch frame
  sketchError: 'Die Skizze hat einen Fehler: {message}',
  sketchSubset: 'Eingebaute Teilmenge von p5.js (nicht die ganze p5.js-Bibliothek)'
}

type Texts = typeof de

const en: Texts = {
  title: 'Your idea, thought anew',
  subtitle: 'Pick a direction, write your idea and see what the AI makes of it.',
  chooseConfig: '1. Pick a direction',
  configsLoading: 'Loading the directions …',
  configsFailed: 'The directions could not be loaded.',
  yourIdea: '2. Your idea',
  ideaPlaceholder: 'For example: a superhero with a cape of candy floss',
  rules: 'See and change the rules of the transformation',
  rulesHelp: 'This is how the AI should transform your idea. You can change it.',
  rulesLabel: 'Rules',
  rulesReset: 'Reset the rules',
  rulesLoading: 'Loading the rules …',
  rulesNone: 'This direction has no rules to change.',
  start: 'Go!',
  stop: 'Stop',
  retry: 'Try again',
  tryOther: 'Try another idea',
  needConfig: 'Pick a direction first.',
  needIdea: 'Write down your idea first.',
  connecting: 'Connecting …',
  queueWaiting: 'You are number {position} in the queue',
  queueWaited: ' · waiting for {seconds} s',
  working: 'The AI is working on your idea …',
  stage1: 'Checking your idea …',
  stage2: 'The AI is transforming your idea …',
  done: 'Done!',
  stopped: 'Stopped. You can start again any time.',
  lost: 'The connection broke off.',
  startFailed: 'Starting did not work. Maybe the server is very busy right now.',
  refusalTitle: 'That does not work like this',
  refusalHint: 'This is not a telling-off: the rule protects everyone here.',
  errorTitle: 'Something went wrong',
  resultText: 'This is what the AI made of your idea',
  chooseMedium: '3. What should it become?',
  mediaLoading: 'Checking what is available right now …',
  mediaNone: 'No output is available right now.',
  kind_image: 'Picture',
  kind_img2img: 'Picture from your picture',
  kind_video: 'Video',
  kind_audio: 'Sound',
  kind_code: 'Animated sketch (p5.js)',
  dropImage: 'Drop a picture here or choose one (PNG, JPEG, WebP)',
  imageChosen: 'Your picture',
  uploading: 'Uploading your picture …',
  uploadFailed: 'The picture could not be uploaded.',
  needImage: 'Choose a picture first.',
  makeMedium: 'Make it',
  mediaWorking: 'Making the {kind} …',
  mediaDone: 'The {kind} is ready.',
  mediaBlocked: 'This cannot be shown',
  resultAlt: 'The picture of your idea',
  sketchTitle: 'Your animated sketch',
  sketchCode: 'See the code of the sketch',
  sketchNote: 'The sketch runs shielded: it cannot load or send anything over the network.',
  again: 'New idea',
  roomTitle: 'Room view',
  roomIntro: 'For teachers: who waits, who runs, and whether the AI servers answer.',
  token: 'Admin token',
  open: 'Open',
  forget: 'Sign out',
  tokenWrong: 'The token is not right.',
  roomConnecting: 'Connecting …',
  roomLive: 'Live',
  roomReconnecting: 'Connection lost, trying again …',
  runsTitle: 'Runs',
  runsNone: 'Nothing is waiting or running right now.',
  colRun: 'Run',
  colState: 'State',
  colStage: 'Stage',
  colPosition: 'Place',
  colWait: 'Waiting',
  colAge: 'Since',
  colAction: 'Action',
  stateWaiting: 'waiting',
  stateRunning: 'running',
  stopRun: 'Stop',
  stopRunLabel: 'Stop run {id}',
  stopFailed: 'The run could not be stopped (maybe it had already finished).',
  showIdea: 'Idea',
  showIdeaLabel: 'Show the idea of run {id}',
  ideaOf: 'Idea of run {id}',
  ideaMissing: 'No idea is stored for this run (yet).',
  close: 'Close',
  slots: 'Model slots: {active} of {max} in use · {waiting} waiting',
  upstreamsTitle: 'AI servers',
  reachable: 'answers',
  unreachable: 'does not answer',
  installed: 'Installed',
  loaded: 'Loaded',
  none: 'none',
  comfyQueue: 'Jobs: {running} running, {pending} waiting',
  chartTitle: 'The last hour',
  chartWaiting: 'Waiting (most)',
  chartWait: 'Wait (mean, s)',
  chartEmpty: 'No data yet.',
  chartLabel: 'Queue length and wait time per minute over the last hour',
  chartAgo: '60 min ago',
  chartNow: 'now',
  inMediaQueue: ' (media)',
  sketchError: 'The sketch has an error: {message}',
  sketchSubset: 'Built-in subset of p5.js (not the full p5.js library)'
}

const TEXTS: Record<Lang, Texts> = { de, en }

export type TextKey = keyof Texts

/** The browser's first language if it is German or English; else German (the house default). */
export function browserLang (languages: readonly string[] = navigator.languages): Lang {
  for (const l of languages) {
    const short = l.toLowerCase().slice(0, 2)
    if (short === 'de' || short === 'en') return short
  }
  return 'de'
}

export function t (key: TextKey, lang: Lang, vars: Record<string, string | number> = {}): string {
  return TEXTS[lang][key].replace(/\{(\w+)\}/g, (_m, name: string) => String(vars[name] ?? `{${name}}`))
}

/** Fills every `data-i18n` element's text and every `data-i18n-placeholder` placeholder. */
export function translatePage (lang: Lang, root: ParentNode = document): void {
  document.documentElement.lang = lang
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as TextKey, lang)
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder as TextKey, lang)
}

/** A localized catalog field: `{de, en}` or a plain string. */
export function pick (value: unknown, lang: Lang): string {
  if (typeof value === 'string') return value
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>
    const s = v[lang] ?? v.en ?? v.de ?? Object.values(v)[0]
    return typeof s === 'string' ? s : ''
  }
  return ''
}
