import { describe, expect, it } from 'vitest';
import { helpReply, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, smsKeyword, twilioOptOutType } from './keywords.ts';
import { twimlResponse } from './twiml.ts';

describe('SMS keywords', () => {
  const spellings = (word: string) => [
    word,
    word.toLowerCase(),
    ` ${word[0]}${word.slice(1).toLowerCase()} `,
    `\n${word}\t`,
  ];

  it.each(OPT_OUT_KEYWORDS)('%s opts out in any case and with surrounding whitespace', (word) => {
    for (const body of spellings(word)) expect(smsKeyword(body), JSON.stringify(body)).toBe('opt_out');
  });

  it.each(OPT_IN_KEYWORDS)('%s opts back in in any case and with surrounding whitespace', (word) => {
    for (const body of spellings(word)) expect(smsKeyword(body), JSON.stringify(body)).toBe('opt_in');
  });

  it('HELP asks for help', () => {
    for (const body of spellings('HELP')) expect(smsKeyword(body)).toBe('help');
  });

  it('is the whole message or nothing: a sentence is a message for the store', () => {
    for (const body of ['please stop', 'STOP IT', 'st op', 'yes please', 'STOP.', 'HELP ME', '', '   ']) {
      expect(smsKeyword(body), JSON.stringify(body)).toBeNull();
    }
  });

  it("reads Twilio's OptOutType when Advanced Opt-Out matched a keyword", () => {
    expect(twilioOptOutType('STOP')).toBe('opt_out');
    expect(twilioOptOutType('start')).toBe('opt_in');
    expect(twilioOptOutType('HELP')).toBe('help');
    expect(twilioOptOutType(undefined)).toBeNull();
    expect(twilioOptOutType('OTHER')).toBeNull();
  });

  it('answers HELP with the store name and how to opt out, escaped as TwiML', () => {
    const reply = helpReply(`Bob's <Bottle> & Co`);
    expect(reply).toContain('Reply STOP to opt out');
    expect(twimlResponse(reply)).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Message>Bob&apos;s &lt;Bottle&gt; &amp; Co: offers and news by text. ` +
        `Msg &amp; data rates may apply. Reply STOP to opt out, START to opt back in.</Message></Response>`,
    );
    expect(twimlResponse()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });
});
