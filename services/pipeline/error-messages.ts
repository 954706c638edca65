import type { AppError, ErrorCode } from '../errors.js'
import type { Lang } from '../i18n.js'

/** A sentence for the browser, then the technical detail a teacher can act on. */
const SUMMARY: Partial<Record<ErrorCode, Record<Lang, string>>> = {
  UPSTREAM_TIMEOUT: { de: 'Das KI-Modell hat zu lange gebraucht.', en: 'The AI model took too long.' },
  UPSTREAM_UNAVAILABLE: { de: 'Der KI-Server ist gerade nicht erreichbar.', en: 'The AI server cannot be reached right now.' },
  UPSTREAM_BUSY: { de: 'Der KI-Server ist gerade ausgelastet. Bitte gleich noch einmal versuchen.', en: 'The AI server is busy. Please try again shortly.' },
  MODEL_NOT_FOUND: { de: 'Ein benötigtes KI-Modell ist nicht installiert.', en: 'A required AI model is not installed.' },
  UPSTREAM_ERROR: { de: 'Der KI-Server hat einen Fehler gemeldet.', en: 'The AI server reported an error.' },
  UPSTREAM_BAD_RESPONSE: { de: 'Der KI-Server hat eine unverständliche Antwort geschickt.', en: 'The AI server sent an answer that could not be read.' },
  UPSTREAM_CLOSED: { de: 'Die Verbindung zum KI-Server ist abgebrochen.', en: 'The connection to the AI server broke off.' },
  SAFETY_CHECK_FAILED: { de: 'Die Sicherheitsprüfung konnte gerade nicht durchgeführt werden, deshalb geht es nicht weiter.', en: 'The safety check could not be done, so the run stops.' },
  QUEUE_FULL: { de: 'Gerade warten zu viele. Bitte in einer Minute noch einmal versuchen.', en: 'Too many are waiting right now. Please try again in a minute.' },
  SHUTTING_DOWN: { de: 'Der Server startet gerade neu. Bitte gleich noch einmal versuchen.', en: 'The server is restarting. Please try again shortly.' },
  STOPPED: { de: 'Deine Lehrkraft hat diesen Lauf angehalten.', en: 'Your teacher stopped this run.' },
  TOO_MANY_WAITING: { de: 'Du hast schon mehrere Läufe in der Schlange. Warte, bis einer fertig ist, und versuche es dann noch einmal.', en: 'You already have several runs waiting. Wait until one is done, then try again.' },
  INTERNAL_ERROR: { de: 'Im Server ist ein Fehler passiert.', en: 'Something went wrong in the server.' }
}

export function userMessage (err: AppError, lang: Lang): string {
  const summary = SUMMARY[err.code]?.[lang]
  if (summary === undefined) return err.message
  // These say all there is; the others add the detail a teacher can act on.
  if (err.code === 'INTERNAL_ERROR' || err.code === 'SHUTTING_DOWN' || err.code === 'STOPPED' || err.code === 'QUEUE_FULL' || err.code === 'TOO_MANY_WAITING') return summary
  return `${summary} (${err.message})`
}
