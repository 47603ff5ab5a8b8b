/**
 * The keywords a customer texts to our number (CTIA and carrier rules, and Twilio's defaults).
 * The whole message must be the keyword, in any case, with any surrounding whitespace: "stop"
 * and " Stop\n" opt out; "please stop texting" is a message for the store, not a keyword. An
 * opt-in is never guessed from anything looser.
 */

export const OPT_OUT_KEYWORDS = [
  'STOP',
  'UNSUBSCRIBE',
  'END',
  'QUIT',
  'STOPALL',
  'REVOKE',
  'OPTOUT',
  'CANCEL',
] as const;
export const OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'YES'] as const;
export const HELP_KEYWORDS = ['HELP'] as const;

export type SmsKeyword = 'opt_out' | 'opt_in' | 'help';

const keywords = new Map<string, SmsKeyword>([
  ...OPT_OUT_KEYWORDS.map((k) => [k, 'opt_out'] as const),
  ...OPT_IN_KEYWORDS.map((k) => [k, 'opt_in'] as const),
  ...HELP_KEYWORDS.map((k) => [k, 'help'] as const),
]);

export function smsKeyword(body: string): SmsKeyword | null {
  return keywords.get(body.trim().toUpperCase()) ?? null;
}

/**
 * Twilio's Advanced Opt-Out names the keyword class it matched (including keywords the store
 * added in Twilio's console) in `OptOutType`.
 */
export function twilioOptOutType(value: string | undefined): SmsKeyword | null {
  switch (value?.trim().toUpperCase()) {
    case 'STOP':
      return 'opt_out';
    case 'START':
      return 'opt_in';
    case 'HELP':
      return 'help';
    default:
      return null;
  }
}

/** The reply to HELP: who is texting, and how to stop it. */
export function helpReply(storeName: string): string {
  return `${storeName}: offers and news by text. Msg & data rates may apply. Reply STOP to opt out, START to opt back in.`;
}
