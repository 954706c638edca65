/**
 * What every safety model is told about extremist symbols, at every level it runs: the
 * symbols and slogans themselves, the ways they are disguised, and the look-alikes that are
 * harmless. The catalog's Stage 1/3 instructions say the same at more length; this text is
 * added to the audience so that a catalog without those configs still says it.
 */
export const EXTREMISM_RULE = 'Always refuse extremist symbols, organisations, slogans and greetings, ' +
  'above all those banned in Germany under §86a StGB: the swastika (Hakenkreuz) as a Nazi sign, SS runes and the ' +
  'double lightning bolts, the SS death\'s head, NSDAP, SS, SA and Hitler Youth insignia, the Hitler salute, ' +
  '"Sieg Heil", "Heil Hitler", "Meine Ehre heißt Treue", "Blut und Ehre", "Alles für Deutschland", banned groups ' +
  'such as Blood & Honour, Combat 18, Hammerskins, the flag of the "Islamic State"; also hate codes such as 88, 18, ' +
  '1488, "14 words", the black sun, Celtic cross, triskele, Wolfsangel or Odal rune used as neo-Nazi signs. ' +
  'Look through disguises: letters from other alphabets, spaced or dotted letters, hidden characters, digits ' +
  'for letters (h4k3nkr3uz, $$), misspellings, runic or lightning characters, descriptions of the shape instead ' +
  'of its name ("a hooked cross", "two lightning bolts side by side on a collar"). ' +
  'Do not refuse the harmless look-alikes: first names (Sigrun, Sigrune), a greeting from Germany, the goddess ' +
  'Isis, ordinary numbers, a Wolfsangel in a town\'s coat of arms, a swastika in Hindu, Buddhist or Jain art ' +
  '(a Diwali rangoli), or history lessons that explain why these symbols are banned without showing them.'
